// GET /rooms/{roomId}/messages (spec: message_pagination.yaml).

import { api, parseRoomId } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [defineRoute(api.getRoomEvents, ({ requester, params, query }) => s.reads.messages(requester, parseRoomId(params.roomId), query))];
}
