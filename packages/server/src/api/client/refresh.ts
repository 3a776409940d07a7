// POST /_matrix/client/v3/refresh (spec: refresh.yaml, v1.3). Hush never issues refresh tokens:
// access tokens do not expire, and `refresh_token: true` in login or registration is accepted and
// ignored (the spec lets a server leave `refresh_token` out). So every refresh token is unknown:
// 401 M_UNKNOWN_TOKEN with `soft_logout: false`. See docs/decisions/0002-advertised-versions.md.

import { ErrCode, MatrixError, api } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(_s: Services): RouteDef[] {
  return [
    defineRoute(api.refresh, () => {
      throw new MatrixError(401, ErrCode.UNKNOWN_TOKEN, 'Unknown refresh token: this server does not issue refresh tokens', { soft_logout: false });
    }),
  ];
}
