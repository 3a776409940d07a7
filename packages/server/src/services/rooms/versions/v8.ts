// Room versions 8-10: restricted joins (`join_authorised_via_users_server`, `allow` kept by
// redaction). Version 9 also protects `join_authorised_via_users_server` from redaction; version
// 10 makes power levels strictly integers and adds the `knock_restricted` join rule.

import type { RoomVersion } from './descriptor.ts';
import { V7 } from './v6.ts';

export const V8: RoomVersion = { ...V7, id: '8', family: 'v8', redaction: 'v8', restricted: true };

export const V9: RoomVersion = { ...V8, id: '9', redaction: 'v9' };

export const V10: RoomVersion = { ...V9, id: '10', knockRestricted: true, powerLevelValues: 'integer', integerPowerLevels: true };
