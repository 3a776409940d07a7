// Descriptor for client server discovery (spec file wellknown.yaml).

import { endpoint, responds } from '../endpoint.ts';

export interface WellknownResponse {
  'm.homeserver': { base_url: string };
  'm.identity_server'?: { base_url: string };
}

export const getWellknown = endpoint({
  operationId: 'getWellknown',
  method: 'GET',
  path: '/.well-known/matrix/client',
  auth: 'none',
  response: responds<WellknownResponse>(),
});
