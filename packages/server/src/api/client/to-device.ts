// PUT /sendToDevice/{eventType}/{txnId} (spec: to_device.yaml).

import { api } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [
    defineRoute(api.sendToDevice, async ({ requester, params, body }) => {
      await s.toDevice.send(requester, params.eventType, params.txnId, body);
      return {};
    }),
  ];
}
