// Builds, authorises and stores one event of a local room, in its room version's format and by its
// rules: auth events from the current state, prev event = the room's head, content hash, signature,
// event id, the auth rules, then the event row, state tables and memberships in the caller's transaction.

import { ErrCode, MatrixError, canonicalJson, type EventId, type JsonObject, type Pdu, type ServerName } from '@hush/protocol';
import type { Tx } from '../../storage/db.ts';
import { eventsStore, type EventRow } from '../../storage/events.store.ts';
import { roomsStore } from '../../storage/rooms.store.ts';
import { stateStore } from '../../storage/state.store.ts';
import { streamStore } from '../../storage/stream.store.ts';
import { searchStore, searchableText } from '../../storage/search.store.ts';
import type { HeldRows } from '../../storage/held-rows.ts';
import { predecessorOf, roomUpgradesStore } from '../../storage/room-upgrades.store.ts';
import { federationInboundStore } from '../../storage/federation-inbound.store.ts';
import type { RoomsTable } from '../../storage/schema.ts';
import { hashAndSignEvent, type UnhashedPdu } from '../events/crypto.ts';
import type { PduCache } from '../events/pdu-cache.ts';
import { authEventKeys, checkAuth } from './auth-rules.ts';
import { requireRoomVersion, type RoomVersion } from './versions/index.ts';
import { eventIdIn, eventReferences, newLocalEventId } from './versions/events.ts';
import type { SigningKey } from '../signing-key.ts';
import { keyOf, markStateChanged, type RoomStateMemo } from './state-memo.ts';

/** "The complete event MUST NOT be larger than 65536 bytes, when formatted with the federation event format." */
export const MAX_EVENT_BYTES = 65_536;

export interface NewEvent {
  type: string;
  stateKey?: string;
  sender: string;
  content: JsonObject;
  txn?: { deviceId: string; txnId: string };
}

export interface Persisted {
  row: EventRow;
  pdu: Pdu;
}

export class EventPersister {
  constructor(
    private readonly serverName: ServerName,
    private readonly signingKey: SigningKey,
    /** The app's parsed PDUs: auth state is read from it, and every event persisted goes in. */
    private readonly pdus: PduCache,
    /** What writes read of a room's current state, kept while it is unchanged. */
    private readonly stateMemo: RoomStateMemo,
    /** Where search index rows wait for their batch (SQLite); absent: indexed with the event. */
    private readonly held?: HeldRows,
  ) {}

  /** An event stored by another path (a remote PDU): later reads find it parsed. */
  remember(eventId: string, pdu: Pdu): void {
    this.pdus.remember(eventId, pdu);
  }

  /** Current state events needed to authorise `ev`, keyed by (type, state_key), with their
   *  event ids in stream order. PDUs come from the cache when they can. */
  private async authState(tx: Tx, room: RoomsTable, ev: NewEvent, rv: RoomVersion): Promise<{ pdus: Map<string, Pdu>; ids: EventId[] }> {
    const { refs, byKey } = await this.stateMemo.pdus(tx, room, authEventKeys(ev.type, ev.stateKey, ev.sender, ev.content, rv), this.pdus);
    return { pdus: byKey, ids: refs.sort((a, b) => a.ordering - b.ordering).map((r) => r.eventId as EventId) };
  }

  /** Builds, authorises and stores `ev`. `heard` (the writer's listeners) runs once for it: for an
   *  event that changes no state once its row is made and before anything is written — the state
   *  it reads is the same before and after, and on PostgreSQL the writes then all go with the
   *  commit, after the listeners' reads (decision 0049) —, for a state event after its writes. */
  async persist(tx: Tx, room: RoomsTable, ev: NewEvent, afterCommit?: (fn: () => void) => void, heard?: (row: EventRow, pdu: Pdu) => Promise<void>): Promise<Persisted> {
    const rv = requireRoomVersion(room.room_version);
    const { pdus, ids } = ev.type === 'm.room.create' ? { pdus: new Map<string, Pdu>(), ids: [] } : await this.authState(tx, room, ev, rv);
    const prevIds = await prevEventsOf(tx, room);
    let authRefs: EventId[] = ids;
    let prevRefs: EventId[] = prevIds;
    let localId: EventId | undefined;
    if (rv.eventFormat === 'v1') {
      // Rooms v1-v2 reference events with their reference hashes.
      const known = await this.pdus.many(tx, [...ids, ...prevIds]);
      authRefs = eventReferences(ids, rv, (id) => known.get(id)) as unknown as EventId[];
      prevRefs = eventReferences(prevIds, rv, (id) => known.get(id)) as unknown as EventId[];
      localId = newLocalEventId(this.serverName);
    }
    const unhashed: UnhashedPdu & { event_id?: EventId } = {
      auth_events: authRefs,
      prev_events: prevRefs,
      content: ev.content,
      // Capped: a received event may claim the largest depth Canonical JSON allows (decision 0037).
      depth: Math.min(room.head_depth + 1, Number.MAX_SAFE_INTEGER),
      origin_server_ts: Date.now(),
      room_id: room.room_id as Pdu['room_id'],
      sender: ev.sender as Pdu['sender'],
      type: ev.type,
    };
    if (ev.stateKey !== undefined) unhashed.state_key = ev.stateKey;
    if (localId !== undefined) unhashed.event_id = localId;
    // Before v11 a redaction names its target at the top level (content.redacts is kept for readers).
    const redacts = ev.content['redacts'];
    if (ev.type === 'm.room.redaction' && !rv.redactsInContent && typeof redacts === 'string') unhashed.redacts = redacts as EventId;
    let pdu: Pdu;
    let json: string;
    try {
      pdu = hashAndSignEvent(unhashed, this.serverName, this.signingKey.keyId, this.signingKey.privateKey, rv.id) as Pdu;
      json = canonicalJson(pdu);
    } catch (err) {
      // Canonical JSON refuses floats, unsafe integers and the like: the client's content is bad.
      throw new MatrixError(400, ErrCode.BAD_JSON, `Event content is not valid canonical JSON: ${(err as Error).message}`);
    }
    if (Buffer.byteLength(json) > MAX_EVENT_BYTES) throw new MatrixError(413, ErrCode.TOO_LARGE, 'Event is larger than 65536 bytes');
    const eventId = eventIdIn(pdu, rv);
    this.pdus.remember(eventId, pdu);
    const verdict = checkAuth({ ...pdu, event_id: eventId }, { get: (t: string, k: string) => pdus.get(keyOf(t, k)) }, { roomVersion: rv });
    if (!verdict.ok) throw new MatrixError(403, ErrCode.FORBIDDEN, verdict.reason);

    // The room's row lock (RoomWriter) orders its events: no stream scope lock needed (decision 0028).
    const ordering = await streamStore.next(tx, null);
    let prevContent: string | null = null;
    let replacesState: string | null = null;
    if (ev.stateKey !== undefined) {
      const prevId = await stateStore.currentStateEventId(tx, room.room_id, ev.type, ev.stateKey);
      const prev = prevId ? await eventsStore.byId(tx, prevId) : undefined;
      if (prev) {
        prevContent = JSON.stringify(this.pdus.parse(prev).content);
        replacesState = prev.event_id;
      }
    }
    const row = eventRowOf(pdu, eventId, ordering, json, { prevContent, replacesState, txn: ev.txn });
    if (ev.stateKey === undefined) await heard?.(row, pdu);
    await eventsStore.insert(tx, row);
    // Written behind on SQLite (decision 0047): indexed with the next flush, before any search.
    const held = this.held;
    if (held && afterCommit) {
      const searchable = searchableText(row.type, row.state_key, ev.content);
      if (searchable) afterCommit(() => held.addSearch({ stream_ordering: ordering, ...searchable }));
    } else await searchStore.index(tx, row, ev.content);
    if (ev.type === 'm.room.create') {
      const predecessor = predecessorOf(ev.content);
      if (predecessor !== undefined) await roomUpgradesStore.record(tx, room.room_id, predecessor, ordering);
    }
    if (ev.stateKey !== undefined) await recordStateChange(tx, room, { type: ev.type, state_key: ev.stateKey, content: ev.content, sender: ev.sender }, eventId, ordering);
    await roomsStore.setHead(tx, room.room_id, eventId, pdu.depth);
    await federationInboundStore.advanceForward(tx, room.room_id, prevIds, eventId);
    room.head_event_id = eventId;
    room.head_depth = pdu.depth;
    if (ev.txn) await eventsStore.insertTxn(tx, ev.sender, ev.txn.deviceId, ev.txn.txnId, eventId);
    if (ev.stateKey !== undefined) await heard?.(row, pdu);
    return { row, pdu };
  }
}

/** A new event's prev_events: the room's forward extremities (several once federation forked
 *  the room, at most 10, decision 0030), else its head. */
export async function prevEventsOf(tx: Tx, room: RoomsTable): Promise<EventId[]> {
  const ids = await federationInboundStore.forwardExtremities(tx, room.room_id);
  if (ids.length > 0) return ids.slice(0, 10) as EventId[];
  return room.head_event_id ? [room.head_event_id as EventId] : [];
}

/** The stored row of a PDU: ids, position and JSON text, the state event it replaced and its
 *  content, the sending device's transaction, the relation it declares. One shape for local,
 *  received and backfilled events. */
export function eventRowOf(
  pdu: Pdu,
  eventId: string,
  ordering: number,
  json: string,
  extra: { prevContent?: string | null; replacesState?: string | null; txn?: { deviceId: string; txnId: string } } = {},
): EventRow {
  return {
    stream_ordering: ordering,
    event_id: eventId,
    room_id: pdu.room_id,
    type: pdu.type,
    state_key: pdu.state_key ?? null,
    sender: pdu.sender,
    origin_server_ts: pdu.origin_server_ts,
    depth: pdu.depth,
    json,
    prev_content: extra.prevContent ?? null,
    replaces_state: extra.replacesState ?? null,
    redacted_by: null,
    txn_device: extra.txn?.deviceId ?? null,
    txn_id: extra.txn?.txnId ?? null,
    ...relationOf(pdu.content),
  };
}

/** The relation an event declares (`m.relates_to` with `rel_type` and `event_id`), if any. */
export function relationOf(content: JsonObject): { relates_to: string | null; rel_type: string | null } {
  const rel = content['m.relates_to'];
  if (rel && typeof rel === 'object' && !Array.isArray(rel)) {
    const id = rel['event_id'];
    const type = rel['rel_type'];
    if (typeof id === 'string' && typeof type === 'string' && id.length <= 255 && type.length <= 255) return { relates_to: id, rel_type: type };
  }
  return { relates_to: null, rel_type: null };
}

/** A state event entering the room's current state at `ordering`: the current state, the state
 *  history and, for a member event, the membership table. Local, received and joined events alike.
 *  `room` is the row locked by the writer: it is marked as changed (state-memo.ts). */
export async function recordStateChange(tx: Tx, room: RoomsTable, ev: { type: string; state_key: string; content: JsonObject; sender: string }, eventId: string, ordering: number): Promise<void> {
  markStateChanged(room);
  const roomId = room.room_id;
  const value = stateValue(ev.type, ev.content);
  await stateStore.setCurrent(tx, roomId, ev.type, ev.state_key, eventId, ordering);
  await stateStore.appendHistory(tx, roomId, ev.type, ev.state_key, ordering, eventId, value);
  if (ev.type === 'm.room.member' && value !== null) {
    await stateStore.upsertMembership(tx, { room_id: roomId, user_id: ev.state_key, membership: value, event_id: eventId, stream_ordering: ordering, sender: ev.sender });
  }
}

/** The value the state history keeps for visibility and invite decisions. */
export function stateValue(type: string, content: JsonObject): string | null {
  if (type === 'm.room.member') return typeof content['membership'] === 'string' ? content['membership'] : null;
  if (type === 'm.room.join_rules') return typeof content['join_rule'] === 'string' ? content['join_rule'].slice(0, 64) : null;
  if (type === 'm.room.history_visibility') {
    const v = content['history_visibility'];
    return typeof v === 'string' ? v : 'shared';
  }
  return null;
}
