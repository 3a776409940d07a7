// Look-ups our clients make of other servers. Another server's published room directory
// (`/publicRooms?server=`, decision 0033): a signed GET (no filter) or POST (search term, room
// types) to its /publicRooms; only well-formed entries (a room id, counts and flags of the right
// types, strings within bounds) are kept, at most 500; an unreachable server or a refusal is a 502 /
// its 4xx. A space or room we do not hold (the client hierarchy and room summary, decision 0039):
// `/federation/v1/hierarchy/{roomId}` of a few of its servers, each with a time limit, the answer
// checked field by field (a room that is not the one asked for, or children it does not list, are
// dropped; `inaccessible_children` is not read) and cached a few minutes, failures a minute.

import { ErrCode, MatrixError, isRoomId, isServerName, isUserId, type PublicRoomsChunk, type PublicRoomsResponse, type api } from '@hush/protocol';
import type { Federation } from '../index.ts';
import type { PublicRoomsQuery } from '../../services/rooms/public-rooms.ts';
import type { RemoteHierarchy, RemoteSpace } from '../../services/rooms/preview.ts';

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

type HierarchyEntry = api.SpaceHierarchyResponse['rooms'][number];

/** Servers asked about one room, at most, and how long each may take. */
const MAX_SERVERS_ASKED = 3;
const ASK_TIMEOUT_MS = 8_000;
/** Children kept of one answer, `via` servers kept of one child, room ids of a restricted rule. */
const MAX_CHILDREN = 200;
const MAX_VIA = 10;
const MAX_ALLOWED_ROOMS = 50;
/** How long an answer is reused (a paginated walk repeats its look-ups), a failure remembered. */
const CACHE_MS = 5 * 60_000;
const FAILURE_CACHE_MS = 60_000;
const MAX_CACHED = 1000;

/** One `m.space.child` entry of `children_state`, rebuilt from checked fields only: a room id state
 *  key, a user id sender, a timestamp, and of the content a non-empty `via` of server names, an
 *  `order` and `suggested`. */
function childState(v: unknown): api.StrippedChildState | undefined {
  if (!isObject(v) || v['type'] !== 'm.space.child' || !isRoomId(v['state_key']) || !isUserId(v['sender'])) return undefined;
  const ts = v['origin_server_ts'];
  const c = v['content'];
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0 || !isObject(c) || !Array.isArray(c['via'])) return undefined;
  const via = c['via'].filter((s): s is string => isServerName(s)).slice(0, MAX_VIA);
  if (via.length === 0) return undefined;
  const content: Record<string, unknown> = { via };
  const order = c['order'];
  if (typeof order === 'string' && order.length <= 50 && /^[\x20-\x7E]*$/.test(order)) content['order'] = order;
  if (c['suggested'] === true) content['suggested'] = true;
  return { type: 'm.space.child', state_key: v['state_key'], sender: v['sender'], content: content as api.StrippedChildState['content'], origin_server_ts: ts };
}

/** One room of a hierarchy answer, checked: a summary (entry()'s rules plus the version, the
 *  restricted rule's rooms and the encryption) and its children_state. */
function hierarchyRoom(v: unknown): HierarchyEntry | undefined {
  const base = entry(v);
  if (!base || !isObject(v)) return undefined;
  const out: HierarchyEntry = { ...base, children_state: [] };
  const version = text(v['room_version'], 32);
  if (version !== undefined) out.room_version = version;
  if (v['encryption'] === 'm.megolm.v1.aes-sha2') out.encryption = 'm.megolm.v1.aes-sha2';
  const allowed = v['allowed_room_ids'];
  if (Array.isArray(allowed)) out.allowed_room_ids = allowed.filter((r): r is string => isRoomId(r)).slice(0, MAX_ALLOWED_ROOMS);
  const states = Array.isArray(v['children_state']) ? v['children_state'].slice(0, MAX_CHILDREN) : [];
  const seen = new Set<string>();
  for (const raw of states) {
    const c = childState(raw);
    if (c && !seen.has(c.state_key)) {
      seen.add(c.state_key);
      out.children_state.push(c);
    }
  }
  return out;
}

/** A checked answer for `roomId`, or undefined when it is not one. */
export function checkHierarchyAnswer(roomId: string, body: unknown): RemoteSpace | undefined {
  if (!isObject(body)) return undefined;
  const room = hierarchyRoom(body['room']);
  if (!room || room.room_id !== roomId) return undefined;
  const named = new Set(room.children_state.map((c) => c.state_key));
  const children: HierarchyEntry[] = [];
  for (const raw of Array.isArray(body['children']) ? body['children'].slice(0, MAX_CHILDREN) : []) {
    const c = hierarchyRoom(raw);
    if (c && named.has(c.room_id) && c.room_id !== roomId && !children.some((x) => x.room_id === c.room_id)) children.push(c);
  }
  return { room, children };
}

/** The federation hierarchy look-up, with its cache (per process). */
export function remoteHierarchy(f: Federation): RemoteHierarchy {
  const cache = new Map<string, { until: number; value: RemoteSpace | undefined }>();
  const ask = async (server: string, roomId: string, suggestedOnly: boolean, timeoutMs: number): Promise<RemoteSpace | undefined> => {
    const path = `/_matrix/federation/v1/hierarchy/${encodeURIComponent(roomId)}?suggested_only=${suggestedOnly}`;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
    try {
      const res = await Promise.race([f.signedRequest(server, 'GET', path), timeout]);
      return res && res.status === 200 ? checkHierarchyAnswer(roomId, res.json) : undefined;
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    async space(roomId, servers, suggestedOnly, deadline = Infinity) {
      const key = `${suggestedOnly ? 1 : 0}${roomId}`;
      const now = Date.now();
      const hit = cache.get(key);
      if (hit && hit.until > now) return hit.value;
      let value: RemoteSpace | undefined;
      const asked = [...new Set(servers)].filter((s) => s !== f.serverName && isServerName(s)).slice(0, MAX_SERVERS_ASKED);
      let timedOut = false;
      for (const server of asked) {
        const left = Math.min(ASK_TIMEOUT_MS, deadline - Date.now());
        if (left <= 0) {
          timedOut = true;
          break;
        }
        if ((value = await ask(server, roomId, suggestedOnly, left))) break;
      }
      // A look-up cut short by the caller's budget is not remembered as a failure.
      if (!value && timedOut) return undefined;
      if (cache.size >= MAX_CACHED) cache.clear();
      cache.set(key, { until: Date.now() + (value ? CACHE_MS : FAILURE_CACHE_MS), value });
      return value;
    },
  };
}
