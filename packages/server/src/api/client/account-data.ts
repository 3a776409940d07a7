// Account data, global and per room (spec: account-data.yaml).

import { api, type JsonObject } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [
    defineRoute(api.setAccountData, async ({ requester, params, body }) => {
      await s.accountData.put(requester, params.userId, '', params.type, body as JsonObject);
      return {};
    }),
    defineRoute(api.getAccountData, ({ requester, params }) => s.accountData.get(requester, params.userId, '', params.type)),
    defineRoute(api.setAccountDataPerRoom, async ({ requester, params, body }) => {
      await s.accountData.put(requester, params.userId, params.roomId, params.type, body as JsonObject);
      return {};
    }),
    defineRoute(api.getAccountDataPerRoom, ({ requester, params }) => s.accountData.get(requester, params.userId, params.roomId, params.type)),
  ];
}
