// Access tokens → the Requester. Tokens come from `Authorization: Bearer` or, as the spec still
// allows, the `access_token` query parameter; they are stored as SHA-256 hashes, so a lookup never
// compares secrets, and the found row is checked again in constant time. A request held open on a
// token (the /sync long-poll) ends with 401 as soon as the token is revoked.

import type { FastifyRequest } from 'fastify';
import { ErrCode, MatrixError } from '@hush/protocol';
import type { AccountService } from '../services/accounts.ts';
import type { Requester } from '../services/requester.ts';

export type { Requester };

/**
 * The request's token. When both places carry one they must name the same token: a request that
 * names two is refused (401 M_MISSING_TOKEN, as Synapse answers a mixed request) rather than
 * served as whichever one we happened to read first — docs/decisions/0017-token-lifetime-and-uia-binding.md.
 */
export function extractToken(req: FastifyRequest): string | undefined {
  let fromHeader: string | undefined;
  const header = req.headers.authorization;
  if (typeof header === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (m) fromHeader = m[1];
  }
  const q = (req.query as Record<string, unknown> | undefined)?.['access_token'];
  const fromQuery = typeof q === 'string' && q.length > 0 ? q : undefined;
  if (fromHeader !== undefined && fromQuery !== undefined && fromHeader !== fromQuery) {
    throw new MatrixError(401, ErrCode.MISSING_TOKEN, 'The Authorization header and the access_token query parameter name different tokens');
  }
  return fromHeader ?? fromQuery;
}

export async function authenticate(req: FastifyRequest, accounts: AccountService, required: boolean): Promise<Requester | undefined> {
  const token = extractToken(req);
  if (token === undefined) {
    if (!required) return undefined;
    throw new MatrixError(401, ErrCode.MISSING_TOKEN, 'Missing access token');
  }
  const requester = await accounts.requesterForToken(token);
  if (!requester) throw unknownToken();
  return requester;
}

function unknownToken(): MatrixError {
  return new MatrixError(401, ErrCode.UNKNOWN_TOKEN, 'Unrecognised access token', { soft_logout: false });
}

/**
 * Runs a request that may be held open (the /sync long-poll) with a signal that aborts when the
 * client goes away or when the requester's token may have been revoked (logout, password change,
 * device deletion, deactivation — from any process). Whatever ended the wait, the answer goes out
 * only if the token is still valid then; otherwise 401 M_UNKNOWN_TOKEN, so nothing that happened
 * after a revocation reaches the revoked token.
 */
export async function whileTokenValid<T>(accounts: AccountService, r: Requester, req: FastifyRequest, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const gone = new AbortController();
  req.raw.once('close', () => gone.abort());
  const watch = accounts.watchToken(r);
  try {
    let result: T;
    try {
      result = await run(AbortSignal.any([gone.signal, watch.signal]));
    } catch (err) {
      if (watch.signal.aborted && !(await accounts.stillValid(r))) throw unknownToken();
      throw err;
    }
    if (!(await accounts.stillValid(r))) throw unknownToken();
    return result;
  } finally {
    watch.close();
  }
}
