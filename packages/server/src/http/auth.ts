// Access tokens → the Requester. Tokens come from `Authorization: Bearer` or, as the spec still
// allows, the `access_token` query parameter; they are stored as SHA-256 hashes, so a lookup never
// compares secrets, and the found row is checked again in constant time.

import type { FastifyRequest } from 'fastify';
import { ErrCode, MatrixError, type UserId } from '@hush/spec';
import type { AccountService } from '../services/accounts.ts';

export interface Requester {
  userId: UserId;
  deviceId: string;
  tokenHash: string;
}

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
  if (!requester) throw new MatrixError(401, ErrCode.UNKNOWN_TOKEN, 'Unrecognised access token', { soft_logout: false });
  return requester;
}
