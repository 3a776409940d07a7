// POST /_matrix/client/v3/search (spec: search.yaml), the room_events category.

import { api } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [defineRoute(api.search, ({ requester, body, query }) => s.search.search(requester, body, query.next_batch))];
}
