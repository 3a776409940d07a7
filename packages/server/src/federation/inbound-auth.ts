// Inbound request authentication (server-server API "Request Authentication"): the X-Matrix header
// parsed, its destination checked against our name, the origin's key found (key-ring.ts), and the
// signature over {method, uri, origin, destination, content} verified. Every refusal is 401
// M_UNAUTHORIZED with a reason a peer's operator can act on.

import { isServerName, MatrixError, ErrCode } from '@hush/protocol';
import { parseXMatrix, verifyRequestSignature, XMatrixParseError } from './transport/x-matrix.ts';
import type { KeyRing } from './keys/key-ring.ts';

const unauthorized = (msg: string) => new MatrixError(401, ErrCode.UNAUTHORIZED, msg);
const KEY_ID_RE = /^ed25519:[a-zA-Z0-9_]{1,64}$/;

export interface InboundRequest {
  method: string;
  /** The request target exactly as received (path and query). */
  uri: string;
  authorization: string | string[] | undefined;
  /** The parsed JSON body, or undefined when the request has none. */
  content: unknown;
}

/** Returns the authenticated origin server name, or throws 401 M_UNAUTHORIZED. */
export async function authenticateFederationRequest(req: InboundRequest, ourServerName: string, keyRing: KeyRing): Promise<string> {
  const headers = req.authorization === undefined ? [] : Array.isArray(req.authorization) ? req.authorization : [req.authorization];
  const header = headers.find((h) => /^x-matrix[ \t]/i.test(h));
  if (header === undefined) throw unauthorized('Missing Authorization: X-Matrix header');
  let auth;
  try {
    auth = parseXMatrix(header);
  } catch (err) {
    if (err instanceof XMatrixParseError) throw unauthorized(`Malformed X-Matrix header: ${err.message}`);
    throw err;
  }
  if (!isServerName(auth.origin)) throw unauthorized('X-Matrix origin is not a server name');
  if (auth.destination !== undefined && auth.destination !== ourServerName) {
    throw unauthorized(`X-Matrix destination ${JSON.stringify(auth.destination.slice(0, 255))} is not this server (${ourServerName})`);
  }
  if (!KEY_ID_RE.test(auth.key)) throw unauthorized('X-Matrix key is not an ed25519 key id');
  const publicKey = await keyRing.requestKey(auth.origin, auth.key);
  if (!publicKey) throw unauthorized(`Unknown key ${auth.key} for ${auth.origin} (not published by the server, nor by a trusted notary, or expired)`);
  const signed = { method: req.method, uri: req.uri, origin: auth.origin, destination: ourServerName, ...(req.content !== undefined ? { content: req.content } : {}) };
  if (!verifyRequestSignature(signed, auth, publicKey)) throw unauthorized(`Invalid X-Matrix signature from ${auth.origin} with ${auth.key}`);
  return auth.origin;
}
