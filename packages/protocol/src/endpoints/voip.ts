// Descriptor for the TURN credentials a client asks for before a call (spec file voip.yaml).

import { endpoint, responds } from '../endpoint.ts';

/** The spec's four fields when a TURN server is configured; `{}` when none is (as Synapse answers,
 *  and clients read as "no TURN server"). */
export type TurnServerResponse = { username: string; password: string; uris: string[]; ttl: number } | Record<string, never>;

export const getTurnServer = endpoint({
  operationId: 'getTurnServer',
  method: 'GET',
  path: '/_matrix/client/v3/voip/turnServer',
  auth: 'required',
  response: responds<TurnServerResponse>(),
});
