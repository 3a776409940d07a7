// POST /account/password (spec: password_management.yaml), behind the m.login.password UIA stage.
// The requestToken endpoints of that file belong to third-party identifiers, which Hush does not
// serve (docs/decisions/0002-advertised-versions.md).

import { api } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [
    defineRoute(api.changePassword, async ({ requester, body }) => {
      await s.accountManagement.changePassword(requester, { newPassword: body.new_password, logoutDevices: body.logout_devices, auth: body.auth });
      return {};
    }),
  ];
}
