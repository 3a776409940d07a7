// Another server's user's profile (query.yaml queryProfile, the requesting side): a signed GET to
// the user's server. What comes back is untrusted: only string displayname/avatar_url are kept.
// The user's server does not know them, or cannot be reached: 404 M_NOT_FOUND for the client.

import { notFound, serverNameOf, type UserId } from '@hush/protocol';
import type { Federation } from '../index.ts';
import { FederationHttpError } from '../transport/http-client.ts';

export async function queryRemoteProfile(f: Federation, userId: UserId): Promise<{ displayname: string | null; avatar_url: string | null }> {
  const server = serverNameOf(userId);
  let res;
  try {
    res = await f.signedRequest(server, 'GET', `/_matrix/federation/v1/query/profile?user_id=${encodeURIComponent(userId)}`);
  } catch (err) {
    if (err instanceof FederationHttpError || err instanceof TypeError) throw notFound(`Profile not available: ${server} could not be reached (${err.message.slice(0, 200)})`);
    throw err;
  }
  if (res.status !== 200 || typeof res.json !== 'object' || res.json === null || Array.isArray(res.json)) {
    throw notFound(`Profile not available: ${server} answered ${res.status}`);
  }
  const body = res.json as Record<string, unknown>;
  const text = (v: unknown, max: number) => (typeof v === 'string' && v.length <= max && v.isWellFormed() && !v.includes('\u0000') ? v : null);
  return { displayname: text(body.displayname, 1000), avatar_url: text(body.avatar_url, 2000) };
}
