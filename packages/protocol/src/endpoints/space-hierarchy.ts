// Descriptors for room previews by id: the space hierarchy (space_hierarchy.yaml, v1.2) and the
// room summary (room_summary.yaml, v1.15). Both are served under /_matrix/client/v1.

import { endpoint, responds } from '../endpoint.ts';
import type { JsonObject } from '../events.ts';

const V1 = '/_matrix/client/v1';

/** definitions/room_summary.yaml: what anyone allowed to preview a room learns of it (a PublishedRoomsChunk plus room_type, allowed_room_ids, …). */
export interface RoomPreview {
  room_id: string;
  num_joined_members: number;
  world_readable: boolean;
  guest_can_join: boolean;
  name?: string;
  topic?: string;
  avatar_url?: string;
  canonical_alias?: string;
  join_rule?: string;
  room_type?: string;
  allowed_room_ids?: string[];
  encryption?: 'm.megolm.v1.aes-sha2';
  room_version?: string;
}

export interface StrippedChildState {
  type: string;
  state_key: string;
  sender: string;
  content: JsonObject;
  origin_server_ts: number;
}

export interface SpaceHierarchyResponse {
  rooms: (RoomPreview & { children_state: StrippedChildState[] })[];
  next_batch?: string;
}

export const getSpaceHierarchy = endpoint({
  operationId: 'getSpaceHierarchy',
  method: 'GET',
  path: `${V1}/rooms/{roomId}/hierarchy`,
  auth: 'required',
  query: {
    suggested_only: { kind: 'bool' },
    /** "Must be an integer greater than zero"; larger values are clamped to 100. */
    limit: { kind: 'int', min: 1, max: 100 },
    /** "Must be a non-negative integer"; larger values are clamped to 10. */
    max_depth: { kind: 'int', min: 0, max: 10 },
    from: { kind: 'string', maxLength: 128 },
  },
  response: responds<SpaceHierarchyResponse>(),
});

export const getRoomSummary = endpoint({
  operationId: 'getRoomSummary',
  method: 'GET',
  path: `${V1}/room_summary/{roomIdOrAlias}`,
  // "Servers MAY allow unauthenticated access" to rooms anyone may preview.
  auth: 'optional',
  // `via`: servers asked for a room this server does not hold; the handler reads every value of the
  // repeated parameter (queryValues), the descriptor validates the last.
  query: { via: { kind: 'string', maxLength: 255 } },
  response: responds<RoomPreview & { membership?: 'invite' | 'join' | 'knock' | 'leave' | 'ban' }>(),
});
