// Another server's user's profile (query.yaml queryProfile, the requesting side): a signed GET to
// the user's server. What comes back is untrusted: string displayname/avatar_url/m.tz, and other
// fields only under keys of the spec's grammar, within the 64 KiB a profile may take (v1.16).
// The user's server does not know them, or cannot be reached: 404 M_NOT_FOUND for the client.

import { notFound, serverNameOf, type Profile, type UserId } from '@hush/protocol';
import { MAX_PROFILE_BYTES, isProfileKey } from '../../services/profile-fields.ts';
import type { Federation } from '../index.ts';
import { FederationHttpError } from '../transport/http-client.ts';

export async function queryRemoteProfile(f: Federation, userId: UserId): Promise<{ displayname: string | null; avatar_url: string | null }> {
  const p = await queryRemoteFullProfile(f, userId);
  return { displayname: p.displayname ?? null, avatar_url: p.avatar_url ?? null };
}

/** The whole profile another server gives for its user, kept as far as it is well-formed. */
export async function queryRemoteFullProfile(f: Federation, userId: UserId): Promise<Profile> {
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
  return sanitizeRemoteProfile(res.json as Record<string, unknown>);
}

const text = (v: unknown, max: number) => (typeof v === 'string' && v.length <= max && v.isWellFormed() && !v.includes('\u0000') ? v : null);

/** What is kept of another server's profile answer: displayname, avatar_url and m.tz when they
 *  are sane strings; other fields under keys of the spec's grammar, in key order, while the whole
 *  stays within 64 KiB; null values and anything holding an unstorable string are dropped. */
export function sanitizeRemoteProfile(body: Record<string, unknown>): Profile {
  const out: Profile = {};
  const displayname = text(body['displayname'], 1000);
  const avatarUrl = text(body['avatar_url'], 2000);
  const tz = text(body['m.tz'], 255);
  if (displayname !== null) out.displayname = displayname;
  if (avatarUrl !== null) out.avatar_url = avatarUrl;
  if (tz !== null) out['m.tz'] = tz;
  let bytes = Buffer.byteLength(JSON.stringify(out));
  for (const key of Object.keys(body).sort()) {
    if (key === 'displayname' || key === 'avatar_url' || key === 'm.tz' || !isProfileKey(key)) continue;
    const value = body[key];
    if (value === null || value === undefined) continue;
    const json = JSON.stringify(value);
    if (!json.isWellFormed() || json.includes('\\u0000')) continue;
    const size = Buffer.byteLength(json) + Buffer.byteLength(key) + 4;
    if (bytes + size > MAX_PROFILE_BYTES) continue;
    bytes += size;
    out[key] = value;
  }
  return out;
}
