// Descriptors for the published room directory (spec file list_public_rooms.yaml).

import { Type } from '@sinclair/typebox';
import { endpoint, responds } from '../endpoint.ts';
import type { PublicRoomsResponse } from '../responses.ts';

const V3 = '/_matrix/client/v3';

const Visibility = Type.Union([Type.Literal('private'), Type.Literal('public')]);

export const getRoomVisibilityOnDirectory = endpoint({
  operationId: 'getRoomVisibilityOnDirectory',
  method: 'GET',
  path: `${V3}/directory/list/room/{roomId}`,
  auth: 'none',
  response: responds<{ visibility: 'private' | 'public' }>(),
});

export const setRoomVisibilityOnDirectory = endpoint({
  operationId: 'setRoomVisibilityOnDirectory',
  method: 'PUT',
  path: `${V3}/directory/list/room/{roomId}`,
  auth: 'required',
  optionalBody: true,
  body: Type.Object({ visibility: Type.Optional(Visibility) }),
  response: responds<Record<string, never>>(),
});

export const getPublicRooms = endpoint({
  operationId: 'getPublicRooms',
  method: 'GET',
  path: `${V3}/publicRooms`,
  auth: 'none',
  query: {
    // No spec default or maximum; larger values are clamped to 1000 by the query parser.
    limit: { kind: 'int', min: 0, max: 1000 },
    since: { kind: 'string', maxLength: 1024 },
    server: { kind: 'string', maxLength: 255 },
  },
  response: responds<PublicRoomsResponse>(),
});

/** The body of a directory search, the same for clients and for other servers. */
export const PublicRoomsQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 0 })),
  since: Type.Optional(Type.String({ maxLength: 1024 })),
  filter: Type.Optional(
    Type.Object({
      generic_search_term: Type.Optional(Type.String({ maxLength: 1024 })),
      room_types: Type.Optional(Type.Array(Type.Union([Type.String({ maxLength: 255 }), Type.Null()]), { maxItems: 100 })),
    }),
  ),
  include_all_networks: Type.Optional(Type.Boolean()),
  third_party_instance_id: Type.Optional(Type.String({ maxLength: 1024 })),
});

export const queryPublicRooms = endpoint({
  operationId: 'queryPublicRooms',
  method: 'POST',
  path: `${V3}/publicRooms`,
  auth: 'required',
  optionalBody: true,
  query: { server: { kind: 'string', maxLength: 255 } },
  body: PublicRoomsQuery,
  response: responds<PublicRoomsResponse>(),
});
