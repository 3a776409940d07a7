// GET /notifications (spec: notifications.yaml).

import { api } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [defineRoute(api.getNotifications, ({ requester, query }) => s.notifications.list(requester, query))];
}
