// Server-server API descriptors of the remote look-ups (spec v1.11: query.yaml queryRoomDirectory,
// public_rooms.yaml, space_hierarchy.yaml, event_by_timestamp): what another server may ask of our
// aliases, our published room directory, a space's tree and a room's timeline by time. All signed.

import { endpoint, responds } from '../endpoint.ts';
import type { PublicRoomsResponse } from '../responses.ts';
import type { RoomPreview, StrippedChildState } from '../endpoints/space-hierarchy.ts';
import { PublicRoomsQuery } from '../endpoints/list-public-rooms.ts';

export interface RoomDirectoryResponse {
  room_id: string;
  servers: string[];
}

export type HierarchyRoom = RoomPreview & { children_state: StrippedChildState[] };

export interface FederationHierarchyResponse {
  room: HierarchyRoom;
  children: HierarchyRoom[];
  inaccessible_children: string[];
}

export const queryRoomDirectory = endpoint({
  operationId: 'queryRoomDirectory',
  method: 'GET',
  path: '/_matrix/federation/v1/query/directory',
  auth: 'none',
  query: { room_alias: { kind: 'string', required: true, maxLength: 255 } },
  response: responds<RoomDirectoryResponse>(),
});

export const getPublicRoomsFederation = endpoint({
  operationId: 'getPublicRooms',
  method: 'GET',
  path: '/_matrix/federation/v1/publicRooms',
  auth: 'none',
  query: {
    limit: { kind: 'int', min: 0, max: 1000 },
    since: { kind: 'string', maxLength: 1024 },
    include_all_networks: { kind: 'bool' },
    third_party_instance_id: { kind: 'string', maxLength: 255 },
  },
  response: responds<PublicRoomsResponse>(),
});

export const queryPublicRoomsFederation = endpoint({
  operationId: 'queryPublicRooms',
  method: 'POST',
  path: '/_matrix/federation/v1/publicRooms',
  auth: 'none',
  optionalBody: true,
  body: PublicRoomsQuery,
  response: responds<PublicRoomsResponse>(),
});

export const getSpaceHierarchyFederation = endpoint({
  operationId: 'getSpaceHierarchy',
  method: 'GET',
  path: '/_matrix/federation/v1/hierarchy/{roomId}',
  auth: 'none',
  query: { suggested_only: { kind: 'bool' } },
  response: responds<FederationHierarchyResponse>(),
});

export const getEventByTimestampFederation = endpoint({
  operationId: 'getEventByTimestamp',
  method: 'GET',
  path: '/_matrix/federation/v1/timestamp_to_event/{roomId}',
  auth: 'none',
  query: {
    ts: { kind: 'int', required: true, min: 0, max: Number.MAX_SAFE_INTEGER },
    dir: { kind: 'enum', required: true, values: ['f', 'b'] },
  },
  response: responds<{ event_id: string; origin_server_ts: number }>(),
});
