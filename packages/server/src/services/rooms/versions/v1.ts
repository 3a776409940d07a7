// Room versions 1 and 2: event IDs chosen by the sending server (`$opaque:server`, carried in the
// event), `[id, hashes]` reference pairs, the original redaction algorithm and auth rules (with
// `m.room.aliases` and the redaction rule). Version 1 uses state resolution v1; version 2 v2.

import type { RoomVersion } from './descriptor.ts';

export const V1: RoomVersion = {
  id: '1',
  family: 'v1',
  eventFormat: 'v1',
  stateRes: 'v1',
  redaction: 'v1',
  eventIdServerSignature: true,
  aliasesAuthRule: true,
  redactionAuthRule: true,
  creatorInContent: true,
  notificationsAuthRule: false,
  knock: false,
  restricted: false,
  knockRestricted: false,
  powerLevelValues: 'floaty',
  integerPowerLevels: false,
  enforceCanonicalJson: false,
  enforceKeyValidity: false,
  redactsInContent: false,
};

export const V2: RoomVersion = { ...V1, id: '2', stateRes: 'v2' };
