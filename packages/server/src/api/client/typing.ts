// PUT /rooms/{roomId}/typing/{userId} (spec: typing.yaml).

import { api, parseRoomId } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [
    defineRoute(api.setTyping, async ({ requester, params, body }) => {
      await s.typing.setTyping(requester, parseRoomId(params.roomId), params.userId, body.typing, body.timeout);
      await s.presence.active(requester.userId);
      return {};
    }),
  ];
}
