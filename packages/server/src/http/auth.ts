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

export function extractToken(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (typeof header === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (m) return m[1];
  }
  const q = (req.query as Record<string, unknown> | undefined)?.['access_token'];
  return typeof q === 'string' && q.length > 0 ? q : undefined;
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
