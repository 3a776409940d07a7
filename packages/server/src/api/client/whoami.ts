// GET /account/whoami (spec: whoami.yaml).

import { api } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(_s: Services): RouteDef[] {
  return [defineRoute(api.getTokenOwner, ({ requester }) => ({ user_id: requester.userId, device_id: requester.deviceId, is_guest: false }))];
}
