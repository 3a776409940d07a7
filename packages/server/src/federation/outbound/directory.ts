// Another server's published room directory for our clients (`/publicRooms?server=`, decision 0033):
// a signed GET (no filter) or POST (search term, room types) to its /publicRooms. The answer is
// untrusted: only well-formed entries (a room id, counts and flags of the right types, strings
// within bounds) are kept, at most 500; an unreachable server or a refusal is a 502 / its 4xx.

import { ErrCode, MatrixError, isRoomId, type PublicRoomsChunk, type PublicRoomsResponse } from '@hush/protocol';
import type { Federation } from '../index.ts';
import type { PublicRoomsQuery } from '../../services/rooms/public-rooms.ts';

const MAX_ENTRIES = 500;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown, max: number): string | undefined => (typeof v === 'string' && v.length <= max && v.isWellFormed() && !v.includes('\u0000') ? v : undefined);

function entry(v: unknown): PublicRoomsChunk | undefined {
  if (!isObject(v) || typeof v['room_id'] !== 'string' || !isRoomId(v['room_id'])) return undefined;
  const n = v['num_joined_members'];
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) return undefined;
  const out: PublicRoomsChunk = { room_id: v['room_id'], num_joined_members: n, world_readable: v['world_readable'] === true, guest_can_join: v['guest_can_join'] === true };
  for (const key of ['name', 'topic', 'avatar_url', 'canonical_alias', 'join_rule', 'room_type'] as const) {
    const s = text(v[key], key === 'topic' ? 4096 : 1024);
    if (s !== undefined) out[key] = s;
  }
  return out;
}

export async function remotePublicRooms(f: Federation, server: string, q: PublicRoomsQuery): Promise<PublicRoomsResponse> {
  const filtered = q.searchTerm !== undefined || (q.roomTypes !== undefined && q.roomTypes.length > 0);
  let res;
  try {
    if (filtered || q.thirdPartyInstanceId !== undefined) {
      const body: Record<string, unknown> = {};
      if (q.limit !== undefined) body['limit'] = q.limit;
      if (q.since !== undefined) body['since'] = q.since;
      if (filtered) body['filter'] = { ...(q.searchTerm !== undefined ? { generic_search_term: q.searchTerm } : {}), ...(q.roomTypes !== undefined ? { room_types: q.roomTypes } : {}) };
      if (q.thirdPartyInstanceId !== undefined) body['third_party_instance_id'] = q.thirdPartyInstanceId;
      res = await f.signedRequest(server, 'POST', '/_matrix/federation/v1/publicRooms', body);
    } else {
      const params = new URLSearchParams();
      if (q.limit !== undefined) params.set('limit', String(q.limit));
      if (q.since !== undefined) params.set('since', q.since);
      const qs = params.toString();
      res = await f.signedRequest(server, 'GET', `/_matrix/federation/v1/publicRooms${qs ? `?${qs}` : ''}`);
    }
  } catch (err) {
    throw new MatrixError(502, ErrCode.UNKNOWN, `${server.slice(0, 255)} could not be reached: ${String((err as Error).message).slice(0, 200)}`);
  }
  const body = res.json;
  if (res.status !== 200 || !isObject(body) || !Array.isArray(body['chunk'])) {
    const errcode = isObject(body) && typeof body['errcode'] === 'string' ? body['errcode'].slice(0, 64) : ErrCode.UNKNOWN;
    throw new MatrixError(res.status >= 400 && res.status < 500 ? res.status : 502, errcode, `${server.slice(0, 255)} answered ${res.status}`);
  }
  const chunk = body['chunk'].slice(0, MAX_ENTRIES).map(entry).filter((c): c is PublicRoomsChunk => c !== undefined);
  const out: PublicRoomsResponse = { chunk };
  const total = body['total_room_count_estimate'];
  if (typeof total === 'number' && Number.isSafeInteger(total) && total >= 0) out.total_room_count_estimate = total;
  const next = text(body['next_batch'], 1024);
  if (next !== undefined) out.next_batch = next;
  const prev = text(body['prev_batch'], 1024);
  if (prev !== undefined) out.prev_batch = prev;
  return out;
}
