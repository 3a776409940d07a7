// Descriptor for knocking on a room (spec file knocking.yaml, added in v1.1).

import { Type } from '@sinclair/typebox';
import { endpoint, responds } from '../endpoint.ts';

export const knockRoom = endpoint({
  operationId: 'knockRoom',
  method: 'POST',
  path: '/_matrix/client/v3/knock/{roomIdOrAlias}',
  auth: 'required',
  optionalBody: true,
  // `via` (and the older `server_name`) name servers to knock through; Hush does not federate, so
  // they are read and ignored. The spec's array is a repeated parameter; only the last is kept.
  query: { via: { kind: 'string', maxLength: 255 }, server_name: { kind: 'string', maxLength: 255 } },
  body: Type.Object({ reason: Type.Optional(Type.String({ maxLength: 2048 })) }),
  response: responds<{ room_id: string }>(),
});
