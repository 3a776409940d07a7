// Descriptor for the third-party protocols bridged to this server (spec file
// third_party_lookup.yaml): the list only; the per-protocol lookups stay unserved.

import { endpoint, responds } from '../endpoint.ts';

/** Protocol name → its metadata (spec definitions/protocol.yaml). */
export type ProtocolsResponse = Record<string, Record<string, unknown>>;

export const getProtocols = endpoint({
  operationId: 'getProtocols',
  method: 'GET',
  path: '/_matrix/client/v3/thirdparty/protocols',
  auth: 'required',
  response: responds<ProtocolsResponse>(),
});
