// GET /sync (spec: sync.yaml) and filters (spec: filter.yaml). A long-poll ends early when the
// client goes away, and with 401 M_UNKNOWN_TOKEN as soon as its token is revoked.

import { api } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import { whileTokenValid } from '../../http/auth.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [
    defineRoute(api.sync, ({ requester, query, req }) =>
      whileTokenValid(s.accounts, requester, req, (signal) =>
        s.sync.sync(requester, { since: query.since, timeout: query.timeout, fullState: query.full_state, useStateAfter: query.use_state_after, filter: query.filter, setPresence: query.set_presence }, signal),
      ),
    ),
    defineRoute(api.defineFilter, async ({ requester, params, body }) => ({ filter_id: await s.filters.define(requester, params.userId, body) })),
    defineRoute(api.getFilter, ({ requester, params }) => s.filters.get(requester, params.userId, params.filterId)),
  ];
}
