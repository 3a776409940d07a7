// Invite, join, leave, forget, kick, ban, unban, joined rooms (spec: inviting.yaml, joining.yaml,
// leaving.yaml, kicking.yaml, banning.yaml, list_joined_rooms.yaml).

import { api, parseRoomId, parseUserId } from '@hush/protocol';
import { defineRoute, queryValues, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [
    defineRoute(api.inviteUser, async ({ requester, params, body }) => {
      await s.rooms.invite(requester, parseRoomId(params.roomId), parseUserId(body.user_id), { reason: body.reason });
      return {};
    }),
    defineRoute(api.joinRoomById, async ({ requester, params, body }) => ({
      room_id: await s.rooms.join(requester, parseRoomId(params.roomId), body.reason),
    })),
    defineRoute(api.joinRoom, async ({ requester, params, body, req }) => ({
      room_id: await s.rooms.join(requester, params.roomIdOrAlias, body.reason, [...queryValues(req, 'via', 255), ...queryValues(req, 'server_name', 255)]),
    })),
    defineRoute(api.leaveRoom, async ({ requester, params, body }) => {
      await s.rooms.leave(requester, parseRoomId(params.roomId), body.reason);
      return {};
    }),
    defineRoute(api.forgetRoom, async ({ requester, params }) => {
      await s.rooms.forget(requester, parseRoomId(params.roomId));
      return {};
    }),
    defineRoute(api.kick, async ({ requester, params, body }) => {
      await s.rooms.moderate(requester, parseRoomId(params.roomId), parseUserId(body.user_id), 'kick', body.reason);
      return {};
    }),
    defineRoute(api.ban, async ({ requester, params, body }) => {
      await s.rooms.moderate(requester, parseRoomId(params.roomId), parseUserId(body.user_id), 'ban', body.reason);
      return {};
    }),
    defineRoute(api.unban, async ({ requester, params, body }) => {
      await s.rooms.moderate(requester, parseRoomId(params.roomId), parseUserId(body.user_id), 'unban', body.reason);
      return {};
    }),
    defineRoute(api.getJoinedRooms, async ({ requester }) => ({ joined_rooms: await s.reads.joinedRooms(requester) })),
  ];
}
