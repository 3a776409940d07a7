// Descriptors for room aliases (spec file directory.yaml).

import { Type } from '@sinclair/typebox';
import { endpoint, responds } from '../endpoint.ts';

const V3 = '/_matrix/client/v3';

export const setRoomAlias = endpoint({
  operationId: 'setRoomAlias',
  method: 'PUT',
  path: `${V3}/directory/room/{roomAlias}`,
  auth: 'required',
  body: Type.Object({ room_id: Type.String({ maxLength: 255 }) }),
  response: responds<Record<string, never>>(),
});

export const getRoomIdByAlias = endpoint({
  operationId: 'getRoomIdByAlias',
  method: 'GET',
  path: `${V3}/directory/room/{roomAlias}`,
  auth: 'none',
  response: responds<{ room_id: string; servers: string[] }>(),
});

export const deleteRoomAlias = endpoint({
  operationId: 'deleteRoomAlias',
  method: 'DELETE',
  path: `${V3}/directory/room/{roomAlias}`,
  auth: 'required',
  optionalBody: true,
  response: responds<Record<string, never>>(),
});

export const getLocalAliases = endpoint({
  operationId: 'getLocalAliases',
  method: 'GET',
  path: `${V3}/rooms/{roomId}/aliases`,
  auth: 'required',
  response: responds<{ aliases: string[] }>(),
});
