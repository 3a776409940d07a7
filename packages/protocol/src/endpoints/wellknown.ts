// Descriptors for the client-facing `.well-known` files: server discovery (spec file wellknown.yaml)
// and support contacts (support.yaml, added in v1.10).

import { endpoint, responds } from '../endpoint.ts';

export interface WellknownResponse {
  'm.homeserver': { base_url: string };
  'm.identity_server'?: { base_url: string };
}

export interface SupportResponse {
  contacts?: { role: string; matrix_id?: string; email_address?: string }[];
  support_page?: string;
}

export const getWellknown = endpoint({
  operationId: 'getWellknown',
  method: 'GET',
  path: '/.well-known/matrix/client',
  auth: 'none',
  response: responds<WellknownResponse>(),
});

export const getWellknownSupport = endpoint({
  operationId: 'getWellknownSupport',
  method: 'GET',
  path: '/.well-known/matrix/support',
  auth: 'none',
  response: responds<SupportResponse>(),
});
