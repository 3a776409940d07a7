// Descriptor for refreshing an access token (spec file refresh.yaml, added in v1.3).

import { Type } from '@sinclair/typebox';
import { endpoint, responds } from '../endpoint.ts';

export const refresh = endpoint({
  operationId: 'refresh',
  method: 'POST',
  path: '/_matrix/client/v3/refresh',
  // "Authentication is provided via the refresh token", not an access token.
  auth: 'none',
  rateLimit: 'login',
  body: Type.Object({ refresh_token: Type.String({ maxLength: 4096 }) }),
  response: responds<{ access_token: string; refresh_token?: string; expires_in_ms?: number }>(),
});
