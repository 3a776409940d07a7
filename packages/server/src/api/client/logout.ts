// POST /logout and /logout/all (spec: logout.yaml).

import { api } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [
    defineRoute(api.logout, async ({ requester }) => {
      await s.accounts.logout(requester);
      return {};
    }),
    defineRoute(api.logoutAll, async ({ requester }) => {
      await s.accounts.logoutAll(requester);
      return {};
    }),
  ];
}
