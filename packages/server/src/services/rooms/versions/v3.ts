// Room versions 3-5: event IDs are reference hashes (v3 in standard base64, v4+ URL-safe), plain
// ID lists for prev/auth events, redactions out of the auth rules (checked when applied), state
// resolution v2. Version 5 enforces signing key validity periods.

import type { RoomVersion } from './descriptor.ts';
import { V2 } from './v1.ts';

export const V3: RoomVersion = {
  ...V2,
  id: '3',
  family: 'v3',
  eventFormat: 'v3',
  eventIdServerSignature: false,
  redactionAuthRule: false,
};

export const V4: RoomVersion = { ...V3, id: '4', eventFormat: 'v4' };

export const V5: RoomVersion = { ...V4, id: '5', enforceKeyValidity: true };
