// GET /_matrix/client/v1/rooms/{roomId}/hierarchy (spec: space_hierarchy.yaml).

import { api, parseRoomId } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [defineRoute(api.getSpaceHierarchy, ({ requester, params, query }) => s.spaces.hierarchy(requester, parseRoomId(params.roomId), query))];
}
