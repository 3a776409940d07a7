// Descriptor for the homeserver's support contacts (spec file support.yaml, added in v1.10).

import { endpoint, responds } from '../endpoint.ts';

export interface SupportResponse {
  contacts?: { role: string; matrix_id?: string; email_address?: string }[];
  support_page?: string;
}

export const getWellknownSupport = endpoint({
  operationId: 'getWellknownSupport',
  method: 'GET',
  path: '/.well-known/matrix/support',
  auth: 'none',
  response: responds<SupportResponse>(),
});
