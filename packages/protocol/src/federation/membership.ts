// Server-server membership descriptors (spec v1.11: joins.yaml, leaving.yaml, invites-v1/v2.yaml,
// knocks.yaml) and the transaction descriptor the outbound queue sends (transactions.yaml). Bodies
// are PDUs, checked field by field by the handlers (another server is untrusted input), so the
// descriptors only require a JSON object. `ver` (make_join/make_knock) repeats: handlers read every
// value from the raw query.

import { Type } from '@sinclair/typebox';
import { endpoint, responds } from '../endpoint.ts';

const AnyObject = Type.Record(Type.String(), Type.Unknown());

export interface MakeMembershipResponse {
  room_version?: string;
  event: Record<string, unknown>;
}

export interface SendJoinResponseV2 {
  origin: string;
  state: unknown[];
  auth_chain: unknown[];
  event?: Record<string, unknown>;
  members_omitted?: boolean;
  servers_in_room?: string[];
}

export const makeJoin = endpoint({
  operationId: 'makeJoin',
  method: 'GET',
  path: '/_matrix/federation/v1/make_join/{roomId}/{userId}',
  auth: 'none',
  query: { ver: { kind: 'string', maxLength: 64 } },
  response: responds<MakeMembershipResponse>(),
});

export const sendJoinV1 = endpoint({
  operationId: 'sendJoinV1',
  method: 'PUT',
  path: '/_matrix/federation/v1/send_join/{roomId}/{eventId}',
  auth: 'none',
  body: AnyObject,
  response: responds<[number, SendJoinResponseV2]>(),
});

export const sendJoinV2 = endpoint({
  operationId: 'sendJoinV2',
  method: 'PUT',
  path: '/_matrix/federation/v2/send_join/{roomId}/{eventId}',
  auth: 'none',
  query: { omit_members: { kind: 'bool' } },
  body: AnyObject,
  response: responds<SendJoinResponseV2>(),
});

export const makeLeave = endpoint({
  operationId: 'makeLeave',
  method: 'GET',
  path: '/_matrix/federation/v1/make_leave/{roomId}/{userId}',
  auth: 'none',
  response: responds<MakeMembershipResponse>(),
});

export const sendLeaveV1 = endpoint({
  operationId: 'sendLeaveV1',
  method: 'PUT',
  path: '/_matrix/federation/v1/send_leave/{roomId}/{eventId}',
  auth: 'none',
  body: AnyObject,
  response: responds<[number, Record<string, never>]>(),
});

export const sendLeaveV2 = endpoint({
  operationId: 'sendLeaveV2',
  method: 'PUT',
  path: '/_matrix/federation/v2/send_leave/{roomId}/{eventId}',
  auth: 'none',
  body: AnyObject,
  response: responds<Record<string, never>>(),
});

export const makeKnock = endpoint({
  operationId: 'makeKnock',
  method: 'GET',
  path: '/_matrix/federation/v1/make_knock/{roomId}/{userId}',
  auth: 'none',
  query: { ver: { kind: 'string', maxLength: 64 } },
  response: responds<MakeMembershipResponse>(),
});

export const sendKnock = endpoint({
  operationId: 'sendKnock',
  method: 'PUT',
  path: '/_matrix/federation/v1/send_knock/{roomId}/{eventId}',
  auth: 'none',
  body: AnyObject,
  response: responds<{ knock_room_state: unknown[] }>(),
});

export const sendInviteV1 = endpoint({
  operationId: 'sendInviteV1',
  method: 'PUT',
  path: '/_matrix/federation/v1/invite/{roomId}/{eventId}',
  auth: 'none',
  body: AnyObject,
  response: responds<[number, { event: Record<string, unknown> }]>(),
});

export const sendInviteV2 = endpoint({
  operationId: 'sendInviteV2',
  method: 'PUT',
  path: '/_matrix/federation/v2/invite/{roomId}/{eventId}',
  auth: 'none',
  body: Type.Object({
    room_version: Type.String({ maxLength: 64 }),
    event: AnyObject,
    invite_room_state: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 100 })),
  }),
  response: responds<{ event: Record<string, unknown> }>(),
});

/** The operations of this file, all signed. */
export const MEMBERSHIP_SIGNED_OPERATIONS: readonly string[] = [
  'makeJoin', 'sendJoinV1', 'sendJoinV2', 'makeLeave', 'sendLeaveV1', 'sendLeaveV2', 'makeKnock', 'sendKnock', 'sendInviteV1', 'sendInviteV2',
];
