// Room versions 6-7: Canonical JSON enforced (so no float power levels), `m.room.aliases` loses
// its auth rule and its redaction protection, `notifications` joins the power level checks.
// Version 7 adds knocking.

import type { RoomVersion } from './descriptor.ts';
import { V5 } from './v3.ts';

export const V6: RoomVersion = {
  ...V5,
  id: '6',
  family: 'v6',
  redaction: 'v6',
  aliasesAuthRule: false,
  notificationsAuthRule: true,
  powerLevelValues: 'stringy',
  enforceCanonicalJson: true,
};

export const V7: RoomVersion = { ...V6, id: '7', knock: true };
