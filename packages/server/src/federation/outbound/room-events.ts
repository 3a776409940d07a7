// Remote room events for the membership handshakes (decision 0031): checking a PDU another server
// gave us (shape and size for its room version, the sender's server's signature through the key
// ring, the content hash — a mismatch keeps the redacted event —, the event id), building an event
// of ours from the current state (templates for make_join/make_leave/make_knock, our invites), and
// storing a checked event in the same tables as local ones (events, state, memberships, head, the
// search index). Auth is decided by the callers (auth-rules.ts), which hold the room lock.

import { canonicalJson, isRoomId, isUserId, serverNameOf, type EventId, type JsonObject, type Pdu, type UserId } from '@hush/protocol';
import type { Tx } from '../../storage/db.ts';
import { eventsStore, type EventRow } from '../../storage/events.store.ts';
import { roomsStore } from '../../storage/rooms.store.ts';
import { stateStore } from '../../storage/state.store.ts';
import { streamStore } from '../../storage/stream.store.ts';
import { searchStore } from '../../storage/search.store.ts';
import type { RoomsTable } from '../../storage/schema.ts';
import { checkContentHash, hashAndSignEvent, redactEvent, verifyEventSignature, type UnhashedPdu } from '../../services/events/crypto.ts';
import { parsePdu } from '../../services/events/format.ts';
import { authEventKeys, checkAuth, type AuthState } from '../../services/rooms/auth-rules.ts';
import { MAX_EVENT_BYTES, eventRowOf, prevEventsOf, recordStateChange } from '../../services/rooms/persist.ts';
import { referencedIds, requireRoomVersion, type RoomVersion } from '../../services/rooms/versions/index.ts';
import { federationInboundStore } from '../../storage/federation-inbound.store.ts';
import { eventIdIn, eventReferences, newLocalEventId } from '../../services/rooms/versions/events.ts';
import type { KeyRing } from '../keys/key-ring.ts';
import type { SigningKey } from '../../services/signing-key.ts';

export interface CheckedPdu {
  pdu: Pdu;
  eventId: EventId;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const MAX_REFS = 20;

/** Format checks for a PDU of `rv`; a reason string when it fails. */
export function formatProblem(raw: unknown, rv: RoomVersion): string | undefined {
  if (!isObject(raw)) return 'not a JSON object';
  let size: number;
  try {
    size = Buffer.byteLength(canonicalJson(raw as JsonObject));
  } catch {
    return 'not canonical JSON';
  }
  if (size > MAX_EVENT_BYTES) return 'larger than 65536 bytes';
  if (typeof raw['room_id'] !== 'string' || !isRoomId(raw['room_id'])) return 'bad room_id';
  if (typeof raw['sender'] !== 'string' || !isUserId(raw['sender'])) return 'bad sender';
  if (typeof raw['type'] !== 'string' || raw['type'].length > 255) return 'bad type';
  if (raw['state_key'] !== undefined && typeof raw['state_key'] !== 'string') return 'bad state_key';
  if (!isObject(raw['content'])) return 'bad content';
  if (!Number.isSafeInteger(raw['depth']) || (raw['depth'] as number) < 0) return 'bad depth';
  if (!Number.isSafeInteger(raw['origin_server_ts'])) return 'bad origin_server_ts';
  for (const f of ['prev_events', 'auth_events']) {
    const refs = raw[f];
    if (!Array.isArray(refs) || refs.length > MAX_REFS) return `bad ${f}`;
    for (const r of refs) {
      const id = rv.eventFormat === 'v1' ? (Array.isArray(r) ? r[0] : undefined) : r;
      if (typeof id !== 'string' || !id.startsWith('$') || id.length > 255) return `bad ${f}`;
    }
  }
  if (!isObject(raw['hashes']) || typeof raw['hashes']['sha256'] !== 'string') return 'no content hash';
  if (!isObject(raw['signatures'])) return 'no signatures';
  if (rv.eventFormat === 'v1' && typeof raw['event_id'] !== 'string') return 'no event_id';
  return undefined;
}

/** The sender's server's signature with one of its keys (the key ring fetches what it lacks). */
export async function signedBySender(keyRing: KeyRing, pdu: object & { sender: string }, rv: RoomVersion, server = serverNameOf(pdu.sender as UserId)): Promise<boolean> {
  const sigs = (pdu as { signatures?: Record<string, Record<string, string>> }).signatures?.[server];
  if (!isObject(sigs)) return false;
  for (const keyId of Object.keys(sigs).slice(0, 4)) {
    if (!/^ed25519:[a-zA-Z0-9_]{1,64}$/.test(keyId)) continue;
    const key = await keyRing.requestKey(server, keyId).catch(() => undefined);
    if (key && verifyEventSignature(pdu, server, keyId, key, rv.id)) return true;
  }
  return false;
}

/** Format, signature and hash checks; undefined when the event must be dropped. */
export async function checkPdu(keyRing: KeyRing, raw: unknown, rv: RoomVersion): Promise<CheckedPdu | undefined> {
  if (formatProblem(raw, rv) !== undefined) return undefined;
  const obj = { ...(raw as Record<string, unknown>) };
  delete obj['unsigned'];
  let pdu = obj as unknown as Pdu;
  if (!(await signedBySender(keyRing, pdu, rv))) return undefined;
  if (!checkContentHash(pdu)) pdu = redactEvent(pdu, rv.id);
  try {
    return { pdu, eventId: eventIdIn(pdu, rv) };
  } catch {
    return undefined;
  }
}

/** Auth of `pdu` against its own auth events (looked up in `known`). */
export function authAgainstAuthEvents(pdu: Pdu, eventId: EventId, known: ReadonlyMap<string, Pdu>, rv: RoomVersion): boolean {
  const byKey = new Map<string, Pdu>();
  for (const ref of pdu.auth_events as unknown[]) {
    const id = Array.isArray(ref) ? (ref[0] as string) : (ref as string);
    const ev = known.get(id);
    if (!ev) return false;
    byKey.set(`${ev.type}\u0000${ev.state_key ?? ''}`, ev);
  }
  const state: AuthState = { get: (t, k) => byKey.get(`${t}\u0000${k}`) };
  return checkAuth({ ...pdu, event_id: eventId }, state, { roomVersion: rv }).ok;
}

/** The room's current state as the auth rules consult it. */
export async function currentAuthState(tx: Tx, roomId: string, type: string, stateKey: string | undefined, sender: string, content: JsonObject, rv: RoomVersion): Promise<{ state: AuthState; ids: EventId[]; pdus: Map<string, Pdu> }> {
  const refs = await stateStore.currentStateRefs(tx, roomId, authEventKeys(type, stateKey, sender, content, rv));
  const rows = await eventsStore.byIds(tx, refs.map((r) => r.eventId));
  const byKey = new Map<string, Pdu>();
  const pdus = new Map<string, Pdu>();
  for (const row of rows) {
    const pdu = parsePdu(row);
    byKey.set(`${row.type}\u0000${row.state_key ?? ''}`, pdu);
    pdus.set(row.event_id, pdu);
  }
  return { state: { get: (t, k) => byKey.get(`${t}\u0000${k}`) }, ids: refs.sort((a, b) => a.ordering - b.ordering).map((r) => r.eventId as EventId), pdus };
}

/** An unsigned event of ours after the room's forward extremities: auth events from the current state. */
export async function buildTemplate(tx: Tx, room: RoomsTable, ev: { type: string; stateKey?: string; sender: string; content: JsonObject }, origin: string): Promise<UnhashedPdu & { event_id?: EventId; origin?: string }> {
  const rv = requireRoomVersion(room.room_version);
  const { ids, pdus } = await currentAuthState(tx, room.room_id, ev.type, ev.stateKey, ev.sender, ev.content, rv);
  const prevIds = await prevEventsOf(tx, room);
  let authRefs: EventId[] = ids;
  let prevRefs: EventId[] = prevIds;
  if (rv.eventFormat === 'v1') {
    for (const row of await eventsStore.byIds(tx, prevIds)) pdus.set(row.event_id, parsePdu(row));
    authRefs = eventReferences(ids, rv, (id) => pdus.get(id)) as unknown as EventId[];
    prevRefs = eventReferences(prevIds, rv, (id) => pdus.get(id)) as unknown as EventId[];
  }
  const t: UnhashedPdu & { event_id?: EventId; origin?: string } = {
    auth_events: authRefs,
    prev_events: prevRefs,
    content: ev.content,
    depth: Math.min(room.head_depth + 1, Number.MAX_SAFE_INTEGER),
    origin_server_ts: Date.now(),
    room_id: room.room_id as Pdu['room_id'],
    sender: ev.sender as Pdu['sender'],
    type: ev.type,
    origin,
  };
  if (ev.stateKey !== undefined) t.state_key = ev.stateKey;
  return t;
}

/** Fills in and signs an event of ours from a template (ours or another server's). */
export function signTemplate(template: Record<string, unknown>, rv: RoomVersion, serverName: string, key: SigningKey): { pdu: Pdu; eventId: EventId } {
  const ev: Record<string, unknown> = { ...template, origin_server_ts: Date.now(), origin: serverName };
  delete ev['signatures'];
  delete ev['hashes'];
  delete ev['unsigned'];
  if (rv.eventFormat === 'v1') ev['event_id'] = newLocalEventId(serverName);
  else delete ev['event_id'];
  const pdu = hashAndSignEvent(ev, serverName, key.keyId, key.privateKey, rv.id) as unknown as Pdu;
  return { pdu, eventId: eventIdIn(pdu, rv) };
}

/** Stores a checked event as the room's newest (events row, state, membership, head, forward
 *  extremities). Returns the row, or undefined when the event was stored before (nothing to
 *  adopt). `extremity`: the event replaces those of its prev_events (`advance`, the default: an
 *  event of the room's graph), all of them (`only`: our join, after the state it joins), or none
 *  (`none`: the state a join answer carries, a membership in a room we are not in). */
export async function storeEvent(
  tx: Tx,
  room: RoomsTable,
  pdu: Pdu,
  eventId: EventId,
  opts: { setHead?: boolean; extremity?: 'advance' | 'only' | 'none' } = {},
): Promise<EventRow | undefined> {
  if (await eventsStore.byId(tx, eventId)) return undefined;
  const ordering = await streamStore.next(tx);
  const stateKey = pdu.state_key;
  let prevContent: string | null = null;
  let replacesState: string | null = null;
  if (stateKey !== undefined) {
    const prevId = await stateStore.currentStateEventId(tx, room.room_id, pdu.type, stateKey);
    const prev = prevId ? await eventsStore.byId(tx, prevId) : undefined;
    if (prev) {
      prevContent = JSON.stringify(parsePdu(prev).content);
      replacesState = prev.event_id;
    }
  }
  const row = eventRowOf(pdu, eventId, ordering, canonicalJson(pdu as unknown as JsonObject), { prevContent, replacesState });
  await eventsStore.insert(tx, row);
  await searchStore.index(tx, row, pdu.content);
  if (stateKey !== undefined) await recordStateChange(tx, room, { type: pdu.type, state_key: stateKey, content: pdu.content, sender: pdu.sender }, eventId, ordering);
  const extremity = opts.extremity ?? 'advance';
  if (extremity === 'only') await federationInboundStore.dropForward(tx, room.room_id, await federationInboundStore.forwardExtremities(tx, room.room_id));
  if (extremity !== 'none') await federationInboundStore.advanceForward(tx, room.room_id, referencedIds(pdu.prev_events), eventId);
  if (opts.setHead !== false) {
    await roomsStore.setHead(tx, room.room_id, eventId, Math.max(pdu.depth, room.head_depth));
    room.head_event_id = eventId;
    room.head_depth = Math.max(pdu.depth, room.head_depth);
  }
  return row;
}
