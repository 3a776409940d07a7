// POST /account/deactivate (spec: account_deactivation.yaml), behind the m.login.password UIA stage.

import { api } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [defineRoute(api.deactivateAccount, ({ requester, body }) => s.accountManagement.deactivate(requester, body.auth))];
}
