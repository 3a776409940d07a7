// Pushers (spec: pusher.yaml): GET /pushers and POST /pushers/set, for the requester's own pushers.

import { api } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [
    defineRoute(api.getPushers, ({ requester }) => s.pushers.list(requester.userId)),
    defineRoute(api.postPusher, async ({ requester, body }) => {
      await s.pushers.set(requester.userId, requester.deviceId, body);
      return {};
    }),
  ];
}
