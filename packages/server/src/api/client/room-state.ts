// Room state reads and writes, members (spec: room_state.yaml, rooms.yaml).

import { api, parseRoomId, type JsonObject } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [
    defineRoute(api.getRoomState, ({ requester, params }) => s.reads.state(requester, parseRoomId(params.roomId))),
    // `format=event` (v1.16): the whole event, as /state lists it; by default its content only.
    defineRoute(api.getRoomStateWithKey, async ({ requester, params, query }) => {
      const ev = await s.reads.stateEvent(requester, parseRoomId(params.roomId), params.eventType, params.stateKey);
      return query.format === 'event' ? ev : ev.content;
    }),
    defineRoute(api.getRoomStateWithKeyEmpty, async ({ requester, params, query }) => {
      const ev = await s.reads.stateEvent(requester, parseRoomId(params.roomId), params.eventType, '');
      return query.format === 'event' ? ev : ev.content;
    }),
    defineRoute(api.setRoomStateWithKey, async ({ requester, params, body }) => ({
      event_id: await s.rooms.setState(requester, parseRoomId(params.roomId), params.eventType, params.stateKey, body as JsonObject),
    })),
    defineRoute(api.setRoomStateWithKeyEmpty, async ({ requester, params, body }) => ({
      event_id: await s.rooms.setState(requester, parseRoomId(params.roomId), params.eventType, '', body as JsonObject),
    })),
    defineRoute(api.getMembersByRoom, async ({ requester, params, query }) => ({
      chunk: await s.reads.members(requester, parseRoomId(params.roomId), query),
    })),
    defineRoute(api.getJoinedMembersByRoom, async ({ requester, params }) => ({
      joined: await s.reads.joinedMembers(requester, parseRoomId(params.roomId)),
    })),
    defineRoute(api.getOneRoomEvent, ({ requester, params }) => s.reads.event(requester, parseRoomId(params.roomId), params.eventId)),
  ];
}
