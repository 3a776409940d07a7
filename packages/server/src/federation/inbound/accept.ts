// Accepting one PDU from another server into a room we are in (server-server API "Checks performed
// on receipt of a PDU", decision 0030): format and size for the room version, the signatures of the
// servers that must sign (keys valid when it was sent), the content hash (a mismatch stores the
// redacted event), the auth events (fetched from the origin when unknown, bounded), missing
// prev_events (get_missing_events, bounded; still missing → backward extremities), the auth rules
// against its auth events and against the state before it (state resolution over several prev
// events), then the soft-fail check against the current state, under the room's lock. Accepted
// events go through the room writer (stream position, push, notify); soft-failed ones and fetched
// auth events are kept outside the timeline (event_outliers); rejected ones are not stored.

import { canonicalJson, isEventId, isRoomId, isUserId, serverNameOf, type JsonObject, type Pdu, type UserId } from '@hush/protocol';
import type { KeyObject } from 'node:crypto';
import type { Db, Tx } from '../../storage/db.ts';
import { eventsStore, type EventRow } from '../../storage/events.store.ts';
import { eventStateStore, type StateDelta } from '../../storage/event-state.store.ts';
import { federationInboundStore } from '../../storage/federation-inbound.store.ts';
import { roomsStore } from '../../storage/rooms.store.ts';
import { searchStore } from '../../storage/search.store.ts';
import { markRedacted } from '../../storage/redactions.ts';
import { ABSENT, stateStore, type StateRef } from '../../storage/state.store.ts';
import { streamStore } from '../../storage/stream.store.ts';
import { checkContentHash, redactEvent, verifyEventSignature } from '../../services/events/crypto.ts';
import { parsePdu } from '../../services/events/format.ts';
import { authEventKeys, authStateFrom, checkAuth, checkAuthEvents, type AuthState } from '../../services/rooms/auth-rules.ts';
import { eventRowOf, MAX_EVENT_BYTES, recordStateChange } from '../../services/rooms/persist.ts';
import { markStateChanged } from '../../services/rooms/state-memo.ts';
import type { RoomsTable } from '../../storage/schema.ts';
import { canRedactOthers, powerLevelsFrom } from '../../services/rooms/power-levels.ts';
import { resolveState, splitStateKey, stateKey, type ResEvent, type StateMap } from '../../services/rooms/state-res/index.ts';
import { referencedIds, roomVersion, type RoomVersion } from '../../services/rooms/versions/index.ts';
import { eventIdIn } from '../../services/rooms/versions/events.ts';
import type { RoomWriter } from '../../services/rooms/writer.ts';

/** Bounds on what one PDU may make us do. */
export const LIMITS = {
  prevEvents: 20,
  authEvents: 10,
  /** Events asked for in one get_missing_events. */
  missingEvents: 20,
  /** How far below the new event's depth missing events are looked for. */
  missingDepthWindow: 50,
  /** Auth events fetched (one /event each) for one top-level PDU. */
  authFetches: 10,
  /** Events loaded for one state resolution (state sets and their auth chains). */
  resolutionEvents: 5_000,
  /** Forward extremities a room keeps (the newest; decision 0043). Local events take 10. */
  forwardExtremities: 20,
  /** Backward extremities a room keeps (the newest). */
  backwardExtremities: 100,
} as const;

/** How another server's events reach us (the real one is signed federation requests). */
export interface RemoteEventSource {
  /** POST /_matrix/federation/v1/get_missing_events/{roomId} on `origin`: its `events`. */
  missingEvents(origin: string, roomId: string, body: { earliest_events: string[]; latest_events: string[]; limit: number; min_depth: number }): Promise<unknown[]>;
  /** GET /_matrix/federation/v1/event/{eventId} on `origin`: the PDU, or undefined. */
  event(origin: string, eventId: string): Promise<unknown>;
}

/** What the key ring offers: the key an event was signed with, valid at `ts`. */
export interface EventKeys {
  eventKey(serverName: string, keyId: string, ts: number, enforceValidity: boolean): Promise<KeyObject | undefined>;
}

export type AcceptResult =
  | { outcome: 'accepted'; eventId: string; row: EventRow }
  | { outcome: 'duplicate'; eventId: string }
  | { outcome: 'soft_failed'; eventId: string; reason: string }
  | { outcome: 'outlier'; eventId: string }
  | { outcome: 'rejected'; eventId: string | undefined; reason: string };

/** A refusal of the PDU itself; `remember` when the event id is bound to what was checked. */
class Rejection extends Error {
  constructor(
    message: string,
    readonly remember = false,
  ) {
    super(message);
  }
}

interface Budget {
  authFetches: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Format checks for `rv` (server-server API "PDUs", rooms/vN "Event format"); the PDU or a Rejection. */
export function checkPduFormat(raw: unknown, rv: RoomVersion): Pdu {
  if (!isObject(raw)) throw new Rejection('PDU is not a JSON object');
  let bytes: number;
  try {
    bytes = Buffer.byteLength(canonicalJson(raw as JsonObject));
  } catch (err) {
    throw new Rejection(`PDU is not canonical JSON: ${(err as Error).message.slice(0, 100)}`);
  }
  if (bytes > MAX_EVENT_BYTES) throw new Rejection(`PDU is ${bytes} bytes, more than ${MAX_EVENT_BYTES}`);
  const str = (k: string, max = 255) => typeof raw[k] === 'string' && Buffer.byteLength(raw[k]) <= max;
  if (!str('type')) throw new Rejection('type must be a string of at most 255 bytes');
  if (!isRoomId(raw['room_id'])) throw new Rejection('room_id is not a room ID');
  if (!isUserId(raw['sender']) || !str('sender')) throw new Rejection('sender is not a user ID');
  if (raw['state_key'] !== undefined && !str('state_key')) throw new Rejection('state_key must be a string of at most 255 bytes');
  if (!isObject(raw['content'])) throw new Rejection('content must be an object');
  if (!Number.isSafeInteger(raw['origin_server_ts'])) throw new Rejection('origin_server_ts must be an integer');
  const depth = raw['depth'];
  if (!Number.isSafeInteger(depth) || (depth as number) < 0) throw new Rejection('depth must be a non-negative integer');
  if (!isObject(raw['hashes']) || typeof raw['hashes']['sha256'] !== 'string') throw new Rejection('hashes.sha256 is missing');
  if (!isObject(raw['signatures'])) throw new Rejection('signatures must be an object');
  for (const [field, max] of [['prev_events', LIMITS.prevEvents], ['auth_events', LIMITS.authEvents]] as const) {
    const refs = raw[field];
    if (!Array.isArray(refs)) throw new Rejection(`${field} must be an array`);
    if (refs.length > max) throw new Rejection(`${field} lists ${refs.length} events, more than ${max}`);
    for (const r of refs) {
      if (rv.eventFormat === 'v1') {
        if (!Array.isArray(r) || r.length !== 2 || !isEventId(r[0]) || !isObject(r[1])) throw new Rejection(`${field}: room version ${rv.id} references are [event_id, hashes] pairs`);
      } else if (typeof r !== 'string' || !isEventId(r) || r.includes(':')) {
        throw new Rejection(`${field}: room version ${rv.id} references are event ids without a server name`);
      }
    }
  }
  if (rv.eventFormat === 'v1') {
    if (!isEventId(raw['event_id']) || !(raw['event_id'] as string).includes(':')) throw new Rejection(`room version ${rv.id} events carry a $opaque:server event_id`);
  }
  return raw as unknown as Pdu;
}

/** The servers whose signatures an event needs ("Validating hashes and signatures on received events"). */
function requiredSigners(pdu: Pdu, eventId: string, rv: RoomVersion): Set<string> {
  const out = new Set<string>([serverNameOf(pdu.sender as UserId)]);
  if (rv.eventFormat === 'v1') out.add(eventId.slice(eventId.indexOf(':') + 1));
  const via = pdu.content['join_authorised_via_users_server'];
  if (rv.restricted && pdu.type === 'm.room.member' && pdu.content['membership'] === 'join' && isUserId(via)) out.add(serverNameOf(via));
  return out;
}

export class RemotePduAcceptor {
  /** Figures for the bench and the logs. */
  readonly stats = { accepted: 0, softFailed: 0, rejected: 0, outliers: 0, missingFetches: 0 };

  constructor(
    private readonly db: Db,
    private readonly writer: RoomWriter,
    private readonly keys: EventKeys,
    private readonly source: RemoteEventSource | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Accepts `raw`, sent by `origin`, into its room. Never throws for anything the PDU contains:
   * every refusal is a `rejected` result. `fetchMissing: false` keeps it from asking the origin
   * for missing prev_events (used for the events such a request returns).
   */
  async accept(origin: string, raw: unknown, opts: { fetchMissing?: boolean; budget?: Budget } = {}): Promise<AcceptResult> {
    const budget = opts.budget ?? { authFetches: LIMITS.authFetches };
    let eventId: string | undefined;
    let roomId: string | undefined;
    try {
      if (!isObject(raw) || typeof raw['room_id'] !== 'string') throw new Rejection('PDU has no room_id');
      roomId = raw['room_id'];
      const room = await roomsStore.getRoom(this.db, roomId);
      if (!room) throw new Rejection(`This server is not in room ${roomId.slice(0, 255)}`);
      const rv = roomVersion(room.room_version);
      if (!rv) throw new Rejection(`Room version ${room.room_version} is not supported`);
      // Named before the format checks, so that a refusal can be reported under its id.
      eventId = await this.eventIdOf(raw);
      let pdu = checkPduFormat(raw, rv);
      try {
        eventId = eventIdIn(pdu, rv);
      } catch (err) {
        throw new Rejection(`No event id: ${(err as Error).message}`);
      }
      // An event held only as an outlier (fetched as an auth event) goes on: received as a PDU, it
      // belongs in the timeline and the state (decision 0040: otherwise it never would).
      const known = await this.knownStatus(eventId, { outlierIsKnown: false });
      if (known) return known;
      const signers = await this.checkSignatures(pdu, eventId, rv);
      const hashOk = checkContentHash(pdu);
      if (!hashOk) pdu = redactEvent(pdu, rv.id);
      return await this.authorise(origin, pdu, eventId, rv, signers, hashOk, opts.fetchMissing !== false, budget);
    } catch (err) {
      if (!(err instanceof Rejection)) throw err;
      this.stats.rejected++;
      if (err.remember && eventId !== undefined && roomId !== undefined) {
        await federationInboundStore.insertRejection(this.db, { event_id: eventId, room_id: roomId, reason: err.message.slice(0, 500), received_ts: this.now() });
      }
      return { outcome: 'rejected', eventId, reason: err.message };
    }
  }

  /** The event id of a PDU for its room's version, if it can be computed (to name a refusal). */
  async eventIdOf(raw: unknown): Promise<string | undefined> {
    if (!isObject(raw) || typeof raw['room_id'] !== 'string') return undefined;
    const room = await roomsStore.getRoom(this.db, raw['room_id']);
    const rv = room ? roomVersion(room.room_version) : undefined;
    try {
      return rv ? eventIdIn(raw, rv) : undefined;
    } catch {
      return undefined;
    }
  }

  private async knownStatus(eventId: string, opts: { outlierIsKnown: boolean } = { outlierIsKnown: true }): Promise<AcceptResult | undefined> {
    if (await eventsStore.byId(this.db, eventId)) return { outcome: 'duplicate', eventId };
    const [out] = await federationInboundStore.outliersByIds(this.db, [eventId]);
    if (out && (opts.outlierIsKnown || out.status === 'soft_failed')) return out.status === 'soft_failed' ? { outcome: 'soft_failed', eventId, reason: out.reason } : { outcome: 'outlier', eventId };
    const rejected = await federationInboundStore.rejection(this.db, eventId);
    if (rejected !== undefined) return { outcome: 'rejected', eventId, reason: `previously rejected: ${rejected}` };
    return undefined;
  }

  /** Verifies the signature of every server that must sign; returns the servers verified. */
  private async checkSignatures(pdu: Pdu, eventId: string, rv: RoomVersion): Promise<Set<string>> {
    const verified = new Set<string>();
    const sigs = pdu.signatures as unknown as Record<string, unknown>;
    for (const server of requiredSigners(pdu, eventId, rv)) {
      const mine = sigs[server];
      if (!isObject(mine)) throw new Rejection(`No signature of ${server}`);
      let ok = false;
      for (const keyId of Object.keys(mine).slice(0, 5)) {
        if (!/^ed25519:[a-zA-Z0-9_]{1,64}$/.test(keyId)) continue;
        const key = await this.keys.eventKey(server, keyId, pdu.origin_server_ts, rv.enforceKeyValidity);
        if (key && verifyEventSignature(pdu, server, keyId, key, rv.id)) {
          ok = true;
          break;
        }
      }
      if (!ok) throw new Rejection(`Signature of ${server} is missing, invalid or made with an unknown key`);
      verified.add(server);
    }
    return verified;
  }

  /** The PDUs of `ids` we hold (timeline events and outliers), with their ids. */
  private async loadEvents(tx: Tx, ids: readonly string[]): Promise<Map<string, ResEvent>> {
    const out = new Map<string, ResEvent>();
    for (const row of await eventsStore.byIds(tx, ids)) out.set(row.event_id, { ...parsePdu(row), event_id: row.event_id });
    const rest = ids.filter((id) => !out.has(id));
    for (const row of await federationInboundStore.outliersByIds(tx, rest)) out.set(row.event_id, { ...(JSON.parse(row.json) as Pdu), event_id: row.event_id });
    return out;
  }

  private async authorise(origin: string, pdu: Pdu, eventId: string, rv: RoomVersion, signers: Set<string>, hashOk: boolean, fetchMissing: boolean, budget: Budget): Promise<AcceptResult> {
    const isSignedBy = (_ev: Pdu, server: string) => signers.has(server);
    const roomId = pdu.room_id as string;
    // Auth events: known, or fetched from the origin (each checked the same way, kept as outliers).
    const authIds = referencedIds(pdu.auth_events);
    let authEvents = await this.loadEvents(this.db, authIds);
    for (const id of authIds.filter((i) => !authEvents.has(i))) {
      if (!this.source || budget.authFetches <= 0) break;
      budget.authFetches--;
      const fetched = await this.source.event(origin, id).catch(() => undefined);
      if (fetched === undefined) continue;
      const res = await this.acceptOutlier(origin, fetched, id, budget);
      if (res.outcome === 'rejected') throw new Rejection(`auth event ${id} was rejected: ${res.reason}`, hashOk);
    }
    authEvents = await this.loadEvents(this.db, authIds);
    const rejectedAuth = await federationInboundStore.rejectedAmong(this.db, authIds);
    if (rejectedAuth.size > 0) throw new Rejection(`auth event ${[...rejectedAuth][0]} was rejected (rule 2.3)`, hashOk);
    const missingAuth = authIds.filter((i) => !authEvents.has(i));
    if (missingAuth.length > 0) throw new Rejection(`auth events unknown and not obtainable: ${missingAuth.slice(0, 3).join(', ')}`);
    const authList = [...authEvents.values()];
    const onAuth = checkAuthEvents(pdu, authList, rv);
    if (!onAuth.ok) throw new Rejection(`auth events: ${onAuth.reason}`, hashOk);
    const byAuth = checkAuth({ ...pdu, event_id: eventId }, authStateFrom(authList), { roomVersion: rv, isSignedBy });
    if (!byAuth.ok) throw new Rejection(`not allowed by its auth events: ${byAuth.reason}`, hashOk);

    // prev_events: those we lack are asked of the origin once; the rest become backward extremities.
    const prevIds = referencedIds(pdu.prev_events);
    let missingPrev = await this.missingFromTimeline(prevIds);
    if (missingPrev.length > 0 && fetchMissing && this.source) {
      await this.fetchMissing(origin, roomId, pdu, eventId, budget);
      missingPrev = await this.missingFromTimeline(prevIds);
    }
    const statefulPrevs = prevIds.filter((id) => !missingPrev.includes(id));

    // An event whose one prev event is the room's only forward extremity (the common case: a
    // room's next event) has the current state before it (decision 0043: the current state is the
    // state after the extremities), so only the keys the auth rules read are read (decision 0046).
    // What was read is that state only if no event reached the room meanwhile: every write of the
    // current state moves the extremity, and an event that stopped being one never is one again.
    if (missingPrev.length === 0 && (await this.followsSoleExtremity(this.db, roomId, prevIds))) {
      const byCurrent = await this.checkAgainstCurrent(this.db, { ...pdu, event_id: eventId }, roomId, rv, isSignedBy);
      if (await this.followsSoleExtremity(this.db, roomId, prevIds)) {
        if (!byCurrent.ok) throw new Rejection(`not allowed by the state before it: ${byCurrent.reason}`, hashOk);
        return this.persist(pdu, eventId, rv, prevIds, missingPrev, undefined, new Map(), isSignedBy);
      }
    }

    // The state before the event: after its prev events (resolved when several), else the current state.
    const { before, prevStates } = await this.stateBefore(this.db, roomId, statefulPrevs, rv);
    const byState = await this.checkAgainst(this.db, { ...pdu, event_id: eventId }, before, rv, isSignedBy);
    if (!byState.ok) throw new Rejection(`not allowed by the state before it: ${byState.reason}`, hashOk);

    return this.persist(pdu, eventId, rv, prevIds, missingPrev, before, prevStates, isSignedBy);
  }

  /** Whether `prevIds` is one event, the room's only forward extremity. */
  private async followsSoleExtremity(tx: Tx, roomId: string, prevIds: readonly string[]): Promise<boolean> {
    if (prevIds.length !== 1) return false;
    const extremities = await federationInboundStore.forwardExtremities(tx, roomId);
    return extremities.length === 1 && extremities[0] === prevIds[0];
  }

  /** The auth rules for `ev` against the room's current state, reading from `room_state` only the
   *  keys they read (authEventKeys) and their events; should they read another key (or an event
   *  be missing), against the whole current state. */
  private async checkAgainstCurrent(tx: Tx, ev: ResEvent, roomId: string, rv: RoomVersion, isSignedBy: (ev: Pdu, server: string) => boolean) {
    const keys = authEventKeys(ev.type, ev.state_key, ev.sender, ev.content, rv);
    const asked = new Set(keys.map(([t, k]) => stateKey(t, k)));
    const map = refsToMap(await stateStore.currentStateRefs(tx, roomId, keys));
    const events = await this.loadEvents(tx, [...map.values()]);
    let outside = false;
    const state: AuthState = {
      get: (type, key) => {
        const k = stateKey(type, key);
        if (!asked.has(k)) outside = true;
        const id = map.get(k);
        if (id === undefined) return undefined;
        const found = events.get(id);
        if (!found) outside = true;
        return found;
      },
    };
    const verdict = checkAuth(ev, state, { roomVersion: rv, isSignedBy });
    if (!outside) return verdict;
    return this.checkAgainst(tx, ev, refsToMap(await stateStore.currentState(tx, roomId)), rv, isSignedBy);
  }

  private async missingFromTimeline(ids: readonly string[]): Promise<string[]> {
    const have = new Set((await eventsStore.byIds(this.db, ids)).map((r) => r.event_id));
    return ids.filter((id) => !have.has(id));
  }

  /** One get_missing_events to the origin (at most 20 events within 50 of the event's depth), accepted oldest first. */
  private async fetchMissing(origin: string, roomId: string, pdu: Pdu, eventId: string, budget: Budget): Promise<void> {
    if (!this.source) return;
    this.stats.missingFetches++;
    const earliest = await federationInboundStore.forwardExtremities(this.db, roomId);
    let events: unknown[];
    try {
      events = await this.source.missingEvents(origin, roomId, {
        earliest_events: earliest.slice(0, 20),
        latest_events: [eventId],
        limit: LIMITS.missingEvents,
        min_depth: Math.max(0, pdu.depth - LIMITS.missingDepthWindow),
      });
    } catch {
      return;
    }
    const candidates = events
      .slice(0, LIMITS.missingEvents)
      .filter((e): e is Record<string, unknown> => isObject(e) && e['room_id'] === roomId && Number.isSafeInteger(e['depth']))
      .sort((a, b) => (a['depth'] as number) - (b['depth'] as number));
    for (const ev of candidates) await this.accept(origin, ev, { fetchMissing: false, budget });
  }

  /** A fetched auth event: checked like any PDU against its own auth events, stored as an outlier. */
  private async acceptOutlier(origin: string, raw: unknown, expectedId: string, budget: Budget): Promise<AcceptResult> {
    try {
      if (!isObject(raw) || typeof raw['room_id'] !== 'string') throw new Rejection('fetched event has no room_id');
      const room = await roomsStore.getRoom(this.db, raw['room_id']);
      const rv = room ? roomVersion(room.room_version) : undefined;
      if (!room || !rv) throw new Rejection('fetched event is for another room');
      let pdu = checkPduFormat(raw, rv);
      const eventId = eventIdIn(pdu, rv);
      if (eventId !== expectedId) throw new Rejection(`fetched event is ${eventId}, not ${expectedId}`);
      const known = await this.knownStatus(eventId);
      if (known) return known;
      const signers = await this.checkSignatures(pdu, eventId, rv);
      if (!checkContentHash(pdu)) pdu = redactEvent(pdu, rv.id);
      const authIds = referencedIds(pdu.auth_events);
      let authEvents = await this.loadEvents(this.db, authIds);
      for (const id of authIds.filter((i) => !authEvents.has(i))) {
        if (!this.source || budget.authFetches <= 0) break;
        budget.authFetches--;
        const fetched = await this.source.event(origin, id).catch(() => undefined);
        if (fetched !== undefined) await this.acceptOutlier(origin, fetched, id, budget);
      }
      authEvents = await this.loadEvents(this.db, authIds);
      if (authEvents.size !== new Set(authIds).size) throw new Rejection('auth events of a fetched auth event are missing');
      const list = [...authEvents.values()];
      const onAuth = checkAuthEvents(pdu, list, rv);
      if (!onAuth.ok) throw new Rejection(onAuth.reason);
      const verdict = checkAuth({ ...pdu, event_id: eventId }, authStateFrom(list), { roomVersion: rv, isSignedBy: (_e, s) => signers.has(s) });
      if (!verdict.ok) throw new Rejection(verdict.reason);
      await federationInboundStore.insertOutlier(this.db, { event_id: eventId, room_id: room.room_id, status: 'outlier', reason: 'auth event', json: JSON.stringify(pdu), received_ts: this.now() });
      this.stats.outliers++;
      return { outcome: 'outlier', eventId };
    } catch (err) {
      if (!(err instanceof Rejection) && !(err instanceof TypeError)) throw err;
      return { outcome: 'rejected', eventId: expectedId, reason: err.message };
    }
  }

  /** The auth rules for `ev` against the state `map`, loading only the events of the keys they read
   *  (authEventKeys), not the whole state; should they read another key, with every event loaded. */
  private async checkAgainst(tx: Tx, ev: ResEvent, map: ReadonlyMap<string, string>, rv: RoomVersion, isSignedBy: (ev: Pdu, server: string) => boolean) {
    const keys = authEventKeys(ev.type, ev.state_key, ev.sender, ev.content, rv);
    const ids = keys.map(([t, k]) => map.get(stateKey(t, k))).filter((id): id is string => id !== undefined);
    const events = await this.loadEvents(tx, ids);
    let unloaded = false;
    const state: AuthState = {
      get: (type, key) => {
        const id = map.get(stateKey(type, key));
        if (id === undefined) return undefined;
        const found = events.get(id);
        if (!found) unloaded = true;
        return found;
      },
    };
    const verdict = checkAuth(ev, state, { roomVersion: rv, isSignedBy });
    if (!unloaded) return verdict;
    return checkAuth(ev, stateOf(map, await this.loadEvents(tx, [...map.values()])), { roomVersion: rv, isSignedBy });
  }

  /** (type, state_key) → event id before an event with these prev events: the states after them
   *  (exact on forks, decision 0037), resolved when several. A prev event whose state is not known
   *  (backfilled) counts as missing; with none known, the current state. Also the state after
   *  each prev event whose state is known. */
  private async stateBefore(tx: Tx, roomId: string, prevIds: readonly string[], rv: RoomVersion): Promise<{ before: Map<string, string>; prevStates: Map<string, Map<string, string>> }> {
    const prevStates = new Map<string, Map<string, string>>();
    for (const id of prevIds) {
      const at = await eventStateStore.stateAtEvent(tx, id, { after: true });
      if (at?.state && at.roomId === roomId) prevStates.set(id, refsToMap(at.state));
    }
    if (prevStates.size === 0) return { before: refsToMap(await stateStore.currentState(tx, roomId)), prevStates };
    return { before: await this.resolve(tx, [...prevStates.values()], rv), prevStates };
  }

  /** State resolution over `sets` (identical sets need none), with the events and auth chains it reads. */
  private async resolve(tx: Tx, sets: readonly StateMap[], rv: RoomVersion): Promise<Map<string, string>> {
    const first = sets[0] as StateMap;
    if (sets.every((s) => sameState(s, first))) return new Map(first);
    const events = new Map<string, ResEvent>();
    let frontier = [...new Set(sets.flatMap((s) => [...s.values()]))];
    while (frontier.length > 0 && events.size < LIMITS.resolutionEvents) {
      const loaded = await this.loadEvents(tx, frontier.slice(0, 1000));
      frontier = frontier.slice(1000);
      for (const [id, ev] of loaded) {
        events.set(id, ev);
        for (const a of referencedIds(ev.auth_events)) if (!events.has(a)) frontier.push(a);
      }
      frontier = [...new Set(frontier)].filter((id) => !events.has(id));
    }
    return resolveState(rv, sets, (id) => events.get(id));
  }

  /** Stores the event under the room's lock: soft-fail check on the current state, then the
   *  timeline, state, extremities — or the outliers table when soft-failed. `before` undefined:
   *  the event's one prev event was the room's only forward extremity (its state before is the
   *  current state); if that is still so under the lock, only the event's own key is read and
   *  written, else the state before is computed here. */
  private async persist(
    pdu: Pdu,
    eventId: string,
    rv: RoomVersion,
    prevIds: readonly string[],
    missingPrev: readonly string[],
    knownBefore: Map<string, string> | undefined,
    knownPrevStates: ReadonlyMap<string, Map<string, string>>,
    isSignedBy: (ev: Pdu, server: string) => boolean,
  ): Promise<AcceptResult> {
    const roomId = pdu.room_id as string;
    return this.writer.write(roomId, async (rt) => {
      const tx = rt.tx;
      if (await eventsStore.byId(tx, eventId)) return { outcome: 'duplicate', eventId } as AcceptResult;
      let before = knownBefore;
      let prevStates = knownPrevStates;
      const extremities = await federationInboundStore.forwardExtremities(tx, roomId);
      let current: Map<string, string>;
      if (before === undefined && prevIds.length === 1 && extremities.length === 1 && extremities[0] === prevIds[0]) {
        // The current state is the state before the event: of it only the event's own key is
        // needed (prev_content, the key it replaces); no deltas, nothing else changes.
        current = new Map();
        if (pdu.state_key !== undefined) {
          const id = await stateStore.currentStateEventId(tx, roomId, pdu.type, pdu.state_key);
          if (id !== undefined) current.set(stateKey(pdu.type, pdu.state_key), id);
        }
        before = current;
      } else {
        // Another event reached the room since the event was checked: the state before it (the
        // state after its prev event, checked above) is computed in full.
        if (before === undefined) ({ before, prevStates } = await this.stateBefore(tx, roomId, prevIds, rv));
        current = refsToMap(await stateStore.currentState(tx, roomId));
      }
      if (!sameState(current, before)) {
        const verdict = await this.checkAgainst(tx, { ...pdu, event_id: eventId }, current, rv, isSignedBy);
        if (!verdict.ok) {
          const reason = `soft-failed: not allowed by the current state: ${verdict.reason}`.slice(0, 500);
          await federationInboundStore.insertOutlier(tx, { event_id: eventId, room_id: roomId, status: 'soft_failed', reason, json: JSON.stringify(pdu), received_ts: this.now() });
          this.stats.softFailed++;
          return { outcome: 'soft_failed', eventId, reason } as AcceptResult;
        }
      }
      const linear = extremities.every((id) => prevIds.includes(id));
      const ordering = await streamStore.next(tx);
      let prevContent: string | null = null;
      let replacesState: string | null = null;
      if (pdu.state_key !== undefined) {
        const prevId = current.get(stateKey(pdu.type, pdu.state_key));
        const prev = prevId ? await eventsStore.byId(tx, prevId) : undefined;
        if (prev) {
          prevContent = JSON.stringify(parsePdu(prev).content);
          replacesState = prev.event_id;
        }
      }
      const row = eventRowOf(pdu, eventId, ordering, JSON.stringify(pdu), { prevContent, replacesState });
      await eventsStore.insert(tx, row);
      // The state history at ordering − 1 is the current state (both are written together, under
      // this lock): where the true state before the event differs, the keys are kept per event.
      const deltas = stateDeltas(before, current);
      if (deltas.length > 0) await eventStateStore.insertDeltas(tx, roomId, eventId, deltas);
      await searchStore.index(tx, row, pdu.content);
      const after = new Map(before);
      if (pdu.state_key !== undefined) after.set(stateKey(pdu.type, pdu.state_key), eventId);
      // The forward extremities after this event, the newest LIMITS.forwardExtremities kept.
      const next = [...extremities.filter((id) => !prevIds.includes(id)), eventId];
      const pruned = await this.extremitiesToPrune(tx, next, eventId, ordering);
      // The new current state (decision 0043): the state after this event when it follows every
      // forward extremity (a merge included); on a fork, the resolution of the states after the
      // forward extremities — unchanged when the event only replaced extremities whose state
      // after was its own (a message on a side branch). Every key that differs is written, and
      // every key that leaves it gets a tombstone.
      let target = after;
      if (!linear) {
        const covered = extremities.filter((id) => prevIds.includes(id));
        const same = pruned.length === 0 && covered.length > 0 && covered.every((id) => {
          const s = prevStates.get(id);
          return s !== undefined && sameState(s, after);
        });
        target = same ? current : await this.stateOfExtremities(tx, roomId, next.filter((id) => !pruned.includes(id)), eventId, after, prevStates, current, rv);
      }
      await this.writeCurrent(tx, rt.room, current, target, ordering, { ...pdu, event_id: eventId });
      await federationInboundStore.advanceForward(tx, roomId, prevIds, eventId);
      await federationInboundStore.dropForward(tx, roomId, pruned);
      if (missingPrev.length > 0) {
        await federationInboundStore.addBackward(tx, roomId, missingPrev, ordering);
        await federationInboundStore.keepNewestBackward(tx, roomId, LIMITS.backwardExtremities);
      }
      await federationInboundStore.removeBackward(tx, roomId, eventId);
      const depth = Math.max(rt.room.head_depth, pdu.depth);
      await roomsStore.setHead(tx, roomId, eventId, depth);
      rt.room.head_event_id = eventId;
      rt.room.head_depth = depth;
      if (pdu.type === 'm.room.redaction') await applyRedactionTo(tx, roomId, pdu, eventId, rv);
      await rt.adopt(row, pdu);
      this.stats.accepted++;
      return { outcome: 'accepted', eventId, row } as AcceptResult;
    });
  }

  /** Of the forward extremities `next` (the new event, at `ordering`, last), those past the
   *  newest LIMITS.forwardExtremities by stream position (ours, not a depth the sender chose). */
  private async extremitiesToPrune(tx: Tx, next: readonly string[], eventId: string, ordering: number): Promise<string[]> {
    if (next.length <= LIMITS.forwardExtremities) return [];
    const at = new Map((await eventsStore.byIds(tx, next.filter((id) => id !== eventId))).map((r) => [r.event_id, Number(r.stream_ordering)]));
    at.set(eventId, ordering);
    const newestFirst = [...next].sort((a, b) => (at.get(b) ?? -Infinity) - (at.get(a) ?? -Infinity) || (a < b ? -1 : 1));
    return newestFirst.slice(LIMITS.forwardExtremities);
  }

  /** The resolution of the states after the forward extremities `ids` (the new event's is `after`;
   *  one whose state is unknown here counts for nothing; none known: `current`). */
  private async stateOfExtremities(
    tx: Tx,
    roomId: string,
    ids: readonly string[],
    eventId: string,
    after: Map<string, string>,
    prevStates: ReadonlyMap<string, Map<string, string>>,
    current: Map<string, string>,
    rv: RoomVersion,
  ): Promise<Map<string, string>> {
    const sets: Map<string, string>[] = [];
    for (const id of ids) {
      let set = id === eventId ? after : prevStates.get(id);
      if (!set) {
        const at = await eventStateStore.stateAtEvent(tx, id, { after: true });
        if (!at?.state || at.roomId !== roomId) continue;
        set = refsToMap(at.state);
      }
      if (!sets.some((s) => sameState(s, set))) sets.push(set);
    }
    if (sets.length === 0) return current;
    return this.resolve(tx, sets, rv);
  }

  /** Makes `target` the room's current state at `ordering`: each key that differs from `current`
   *  is written (current state, history, membership); each key `target` lacks gets a history
   *  tombstone, leaves the current state, and a member's membership becomes `leave` (no event:
   *  the room's state no longer holds one). */
  private async writeCurrent(tx: Tx, room: RoomsTable, current: ReadonlyMap<string, string>, target: ReadonlyMap<string, string>, ordering: number, ev: ResEvent): Promise<void> {
    const changes = [...target].filter(([k, id]) => current.get(k) !== id);
    const gone = [...current.keys()].filter((k) => !target.has(k));
    if (changes.length === 0 && gone.length === 0) return;
    const roomId = room.room_id;
    markStateChanged(room);
    const rows = await this.loadEvents(tx, changes.map(([, id]) => id).filter((id) => id !== ev.event_id));
    rows.set(ev.event_id, ev);
    for (const [, id] of changes) {
      const row = rows.get(id);
      if (!row || typeof row.state_key !== 'string') continue;
      await recordStateChange(tx, room, { type: row.type, state_key: row.state_key, content: row.content, sender: row.sender }, id, ordering);
    }
    for (const k of gone) {
      const [type, key] = splitStateKey(k);
      await stateStore.removeCurrent(tx, roomId, type, key);
      await stateStore.appendHistory(tx, roomId, type, key, ordering, ABSENT, null);
      if (type === 'm.room.member') {
        await stateStore.upsertMembership(tx, { room_id: roomId, user_id: key, membership: 'leave', event_id: ABSENT, stream_ordering: ordering, sender: ev.sender });
      }
    }
  }

}

/** An accepted remote redaction takes effect on a target we hold in the same room when its sender
 *  may redact others (the redact level) or is of the target sender's server ("Redactions": from
 *  v3 the check is made by the receiving server when it applies the redaction). A target that
 *  arrives later is not redacted by it (yet). */
async function applyRedactionTo(tx: Tx, roomId: string, pdu: Pdu, eventId: string, rv: RoomVersion): Promise<void> {
  const target = rv.redactsInContent ? pdu.content['redacts'] : (pdu as unknown as Record<string, unknown>)['redacts'];
  if (typeof target !== 'string' || !isEventId(target)) return;
  const row = await eventsStore.byId(tx, target);
  if (!row || row.room_id !== roomId || row.redacted_by !== null) return;
  let sameServer = false;
  try {
    sameServer = serverNameOf(pdu.sender as UserId) === serverNameOf(row.sender as UserId);
  } catch {
    return;
  }
  if (!sameServer) {
    const plId = await stateStore.currentStateEventId(tx, roomId, 'm.room.power_levels', '');
    const createId = await stateStore.currentStateEventId(tx, roomId, 'm.room.create', '');
    const [pl, create] = [plId ? await eventsStore.byId(tx, plId) : undefined, createId ? await eventsStore.byId(tx, createId) : undefined];
    const levels = powerLevelsFrom(pl ? parsePdu(pl).content : undefined, create ? parsePdu(create) : undefined);
    if (!canRedactOthers(levels, pdu.sender)) return;
  }
  await markRedacted(tx, row, eventId);
}

function refsToMap(refs: readonly StateRef[]): Map<string, string> {
  return new Map(refs.map((r) => [stateKey(r.type, r.stateKey), r.eventId]));
}

/** The keys where `before` differs from `history` (null: absent in `before`). */
export function stateDeltas(before: StateMap, history: StateMap): StateDelta[] {
  const out: StateDelta[] = [];
  const delta = (k: string, eventId: string | null) => {
    const [type, key] = splitStateKey(k);
    out.push({ type, stateKey: key, eventId });
  };
  for (const [k, id] of before) if (history.get(k) !== id) delta(k, id);
  for (const k of history.keys()) if (!before.has(k)) delta(k, null);
  return out;
}

function sameState(a: StateMap, b: StateMap): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

function stateOf(map: ReadonlyMap<string, string>, events: ReadonlyMap<string, ResEvent>): AuthState {
  return {
    get: (type, key) => {
      const id = map.get(stateKey(type, key));
      return id === undefined ? undefined : events.get(id);
    },
  };
}

