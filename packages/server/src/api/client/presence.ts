// GET and PUT /presence/{userId}/status (spec: presence.yaml).

import { api } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [
    defineRoute(api.getPresence, ({ requester, params }) => s.presence.get(requester, params.userId)),
    defineRoute(api.setPresence, async ({ requester, params, body }) => {
      await s.presence.set(requester, params.userId, body.presence, body.status_msg);
      return {};
    }),
  ];
}
