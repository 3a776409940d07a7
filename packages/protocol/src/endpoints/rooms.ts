// Descriptors for room reads: one event, state, members (spec file rooms.yaml).

import { endpoint, responds } from '../endpoint.ts';
import type { ClientEvent, JsonObject } from '../events.ts';
import type { JoinedMembersResponse, MembersResponse } from '../responses.ts';

const V3 = '/_matrix/client/v3';

const MEMBERSHIPS = ['join', 'invite', 'knock', 'leave', 'ban'] as const;

export const getOneRoomEvent = endpoint({
  operationId: 'getOneRoomEvent',
  method: 'GET',
  path: `${V3}/rooms/{roomId}/event/{eventId}`,
  auth: 'required',
  response: responds<ClientEvent>(),
});

export const getRoomStateWithKey = endpoint({
  operationId: 'getRoomStateWithKey',
  method: 'GET',
  path: `${V3}/rooms/{roomId}/state/{eventType}/{stateKey}`,
  auth: 'required',
  query: { format: { kind: 'enum', values: ['content', 'event'] } },
  response: responds<JsonObject | ClientEvent>(),
});

/**
 * The same operation with an empty state key: the spec lets the trailing `/` after `{eventType}`
 * be omitted when the state key is empty, so `/state/{eventType}` is served here.
 */
export const getRoomStateWithKeyEmpty = endpoint({
  operationId: 'getRoomStateWithKey',
  method: 'GET',
  path: `${V3}/rooms/{roomId}/state/{eventType}`,
  auth: 'required',
  query: { format: { kind: 'enum', values: ['content', 'event'] } },
  response: responds<JsonObject | ClientEvent>(),
});

export const getRoomState = endpoint({
  operationId: 'getRoomState',
  method: 'GET',
  path: `${V3}/rooms/{roomId}/state`,
  auth: 'required',
  response: responds<ClientEvent[]>(),
});

export const getMembersByRoom = endpoint({
  operationId: 'getMembersByRoom',
  method: 'GET',
  path: `${V3}/rooms/{roomId}/members`,
  auth: 'required',
  query: {
    at: { kind: 'string', maxLength: 1024 },
    membership: { kind: 'enum', values: MEMBERSHIPS },
    not_membership: { kind: 'enum', values: MEMBERSHIPS },
  },
  response: responds<MembersResponse>(),
});

export const getJoinedMembersByRoom = endpoint({
  operationId: 'getJoinedMembersByRoom',
  method: 'GET',
  path: `${V3}/rooms/{roomId}/joined_members`,
  auth: 'required',
  response: responds<JoinedMembersResponse>(),
});
