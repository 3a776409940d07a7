// Descriptors for membership changes and the joined-rooms list (spec files inviting.yaml,
// joining.yaml, leaving.yaml, kicking.yaml, banning.yaml, list_joined_rooms.yaml).

import { Type } from '@sinclair/typebox';
import { endpoint, responds } from '../endpoint.ts';

const V3 = '/_matrix/client/v3';

const Str = (max = 4096) => Type.String({ maxLength: max });
const Reason = Str(2048);

const ThirdPartySigned = Type.Object({
  sender: Str(255),
  mxid: Str(255),
  token: Str(1024),
  signatures: Type.Record(Type.String(), Type.Record(Type.String(), Str(4096))),
});

const JoinBody = Type.Object({
  third_party_signed: Type.Optional(ThirdPartySigned),
  reason: Type.Optional(Reason),
});

/** Body of kick, ban and unban. */
const TargetBody = Type.Object({ user_id: Str(255), reason: Type.Optional(Reason) });

export const inviteUser = endpoint({
  operationId: 'inviteUser',
  method: 'POST',
  path: `${V3}/rooms/{roomId}/invite`,
  auth: 'required',
  body: Type.Object({ user_id: Str(255), reason: Type.Optional(Reason) }),
  response: responds<Record<string, never>>(),
});

export const joinRoomById = endpoint({
  operationId: 'joinRoomById',
  method: 'POST',
  path: `${V3}/rooms/{roomId}/join`,
  auth: 'required',
  optionalBody: true,
  body: JoinBody,
  response: responds<{ room_id: string }>(),
});

export const joinRoom = endpoint({
  operationId: 'joinRoom',
  method: 'POST',
  path: `${V3}/join/{roomIdOrAlias}`,
  auth: 'required',
  optionalBody: true,
  // The spec's `via` is an array (repeated parameter); the query parser keeps only the last value.
  query: { via: { kind: 'string', maxLength: 255 } },
  body: JoinBody,
  response: responds<{ room_id: string }>(),
});

export const leaveRoom = endpoint({
  operationId: 'leaveRoom',
  method: 'POST',
  path: `${V3}/rooms/{roomId}/leave`,
  auth: 'required',
  optionalBody: true,
  body: Type.Object({ reason: Type.Optional(Reason) }),
  response: responds<Record<string, never>>(),
});

export const forgetRoom = endpoint({
  operationId: 'forgetRoom',
  method: 'POST',
  path: `${V3}/rooms/{roomId}/forget`,
  auth: 'required',
  optionalBody: true,
  response: responds<Record<string, never>>(),
});

export const kick = endpoint({
  operationId: 'kick',
  method: 'POST',
  path: `${V3}/rooms/{roomId}/kick`,
  auth: 'required',
  body: TargetBody,
  response: responds<Record<string, never>>(),
});

export const ban = endpoint({
  operationId: 'ban',
  method: 'POST',
  path: `${V3}/rooms/{roomId}/ban`,
  auth: 'required',
  body: TargetBody,
  response: responds<Record<string, never>>(),
});

export const unban = endpoint({
  operationId: 'unban',
  method: 'POST',
  path: `${V3}/rooms/{roomId}/unban`,
  auth: 'required',
  body: TargetBody,
  response: responds<Record<string, never>>(),
});

export const getJoinedRooms = endpoint({
  operationId: 'getJoinedRooms',
  method: 'GET',
  path: `${V3}/joined_rooms`,
  auth: 'required',
  response: responds<{ joined_rooms: string[] }>(),
});
