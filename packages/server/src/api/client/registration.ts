// POST /register, GET /register/available, registration-token validity (spec: registration.yaml,
// registration_tokens.yaml).

import { api } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [
    defineRoute(api.register, ({ body, query }) =>
      s.accounts.register({
        username: body.username,
        password: body.password,
        deviceId: body.device_id,
        deviceName: body.initial_device_display_name,
        inhibitLogin: body.inhibit_login,
        auth: body.auth,
        kind: query.kind,
      }),
    ),
    defineRoute(api.checkUsernameAvailability, async ({ query }) => ({ available: await s.accounts.usernameAvailable(query.username) })),
    defineRoute(api.registrationTokenValidity, ({ query }) => ({ valid: s.accounts.tokenValid(query.token) })),
  ];
}
