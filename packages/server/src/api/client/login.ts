// GET/POST /login (spec: login.yaml): m.login.password with an m.id.user identifier.

import { api } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [
    defineRoute(api.getLoginFlows, () => ({ flows: [{ type: 'm.login.password' }] })),
    defineRoute(api.login, ({ body, req }) =>
      s.accounts.login({
        type: body.type,
        identifierType: body.identifier?.type,
        user: body.identifier?.user ?? body.user,
        password: body.password,
        deviceId: body.device_id,
        deviceName: body.initial_device_display_name,
        ip: req.ip,
      }),
    ),
  ];
}
