// Descriptor for upgrading a room to a new room version (spec file room_upgrades.yaml).

import { Type } from '@sinclair/typebox';
import { endpoint, responds } from '../endpoint.ts';

const V3 = '/_matrix/client/v3';

export const upgradeRoom = endpoint({
  operationId: 'upgradeRoom',
  method: 'POST',
  path: `${V3}/rooms/{roomId}/upgrade`,
  auth: 'required',
  body: Type.Object({
    new_version: Type.String({ maxLength: 64 }),
    // v1.16; ignored for room versions without additional creators (every version Hush serves).
    additional_creators: Type.Optional(Type.Array(Type.String({ maxLength: 255 }), { maxItems: 100 })),
  }),
  response: responds<{ replacement_room: string }>(),
});
