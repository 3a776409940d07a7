// Room aliases (spec: directory.yaml, and GET /rooms/{roomId}/aliases).

import { api, parseRoomAlias, parseRoomId } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [
    defineRoute(api.getRoomIdByAlias, ({ params }) => s.rooms.resolveAlias(parseRoomAlias(params.roomAlias))),
    defineRoute(api.setRoomAlias, async ({ requester, params, body }) => {
      await s.rooms.setAlias(requester, parseRoomAlias(params.roomAlias), parseRoomId(body.room_id));
      return {};
    }),
    defineRoute(api.deleteRoomAlias, async ({ requester, params }) => {
      await s.rooms.deleteAlias(requester, parseRoomAlias(params.roomAlias));
      return {};
    }),
    defineRoute(api.getLocalAliases, async ({ requester, params }) => ({ aliases: await s.rooms.localAliases(requester, parseRoomId(params.roomId)) })),
  ];
}
