// POST /user_directory/search (spec: users.yaml).

import { api } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [defineRoute(api.searchUserDirectory, ({ requester, body }) => s.userDirectory.search(requester, body.search_term, body.limit))];
}
