// GET /_matrix/client/v1/mutual_rooms (spec: mutual_rooms.yaml, v1.19).

import { api, parseUserId } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [defineRoute(api.getMutualRooms, ({ requester, query }) => s.mutualRooms.list(requester, parseUserId(query.user_id), query.from))];
}
