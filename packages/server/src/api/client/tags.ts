// Room tags (spec: tags.yaml), kept as the room account data m.tag.

import { api, parseRoomId, type JsonObject } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [
    defineRoute(api.getRoomTags, ({ requester, params }) => s.tags.get(requester, params.userId, parseRoomId(params.roomId))),
    defineRoute(api.setRoomTag, async ({ requester, params, body }) => {
      await s.tags.set(requester, params.userId, parseRoomId(params.roomId), params.tag, body as JsonObject);
      return {};
    }),
    defineRoute(api.deleteRoomTag, async ({ requester, params }) => {
      await s.tags.remove(requester, params.userId, parseRoomId(params.roomId), params.tag);
      return {};
    }),
  ];
}
