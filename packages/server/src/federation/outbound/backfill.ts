// Backfill for our clients' /messages (decision 0033): when a backward page reaches the start of
// what we hold of a room, the prev_events of our oldest events that we lack are asked of the room's
// other servers (GET /backfill, at most 3 servers tried). Every returned PDU is untrusted: format
// and size for the room version, the sender's server's signature, content hash (redacted on a
// mismatch), the room id, and auth against its own auth events (held here or in the same answer);
// failures are dropped. Accepted events get stream positions below every existing one, the room's
// backfilled events in depth order (≤ 5,000 a room), without touching current state, extremities
// or /sync.
// Only rooms whose history is `shared` or `world_readable` now are backfilled: for the others the
// pre-join history is not ours to show.
// One named event (another server's timestamp_to_event answer, decision 0044) is fetched with
// /event and goes through the same checks and layout (`fetchOne`).

import { canonicalJson, serverNameOf, type EventId, type JsonObject, type Pdu, type UserId } from '@hush/protocol';
import type { Db, Tx } from '../../storage/db.ts';
import { backfillStore } from '../../storage/backfill.store.ts';
import { eventsStore, type EventRow } from '../../storage/events.store.ts';
import { federationInboundStore } from '../../storage/federation-inbound.store.ts';
import { roomsStore } from '../../storage/rooms.store.ts';
import { searchStore } from '../../storage/search.store.ts';
import { stateStore } from '../../storage/state.store.ts';
import { parsePdu } from '../../services/events/format.ts';
import { eventRowOf } from '../../services/rooms/persist.ts';
import { referencedIds, roomVersion, type RoomVersion } from '../../services/rooms/versions/index.ts';
import type { Federation } from '../index.ts';
import { authAgainstAuthEvents, checkPdu, type CheckedPdu } from './room-events.ts';

/** Oldest events whose prev_events are looked at. */
const EDGE = 50;
/** Ids sent as `v`, events asked for, servers tried. */
const MAX_V = 20;
const MAX_LIMIT = 100;
const MAX_SERVERS = 3;
/** Backfilled events kept per room, at most (they are laid out again at each backfill). */
const MAX_BACKFILLED = 5000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function serverOf(userId: string): string | undefined {
  try {
    return serverNameOf(userId as UserId);
  } catch {
    return undefined;
  }
}

export class Backfiller {
  /** Rooms being backfilled now: one backfill per room at a time. */
  private readonly running = new Map<string, Promise<number>>();

  constructor(
    private readonly db: Db,
    private readonly f: Federation,
  ) {}

  /** Fetches and stores up to ~`wanted` older events of the room; how many were stored. */
  backfill(roomId: string, wanted: number): Promise<number> {
    let p = this.running.get(roomId);
    if (!p) {
      p = this.run(roomId, wanted).finally(() => this.running.delete(roomId));
      this.running.set(roomId, p);
    }
    return p;
  }

  /** One event of the room, fetched from `server` (GET /event, within `timeoutMs`) and stored like
   *  a backfilled one if it passes the same checks (decision 0044: an answer of another server's
   *  timestamp_to_event). Whether it was stored. */
  async fetchOne(roomId: string, eventId: string, server: string, timeoutMs: number): Promise<boolean> {
    const room = await roomsStore.getRoom(this.db, roomId);
    const rv = room ? roomVersion(room.room_version) : undefined;
    if (!rv || !(await this.db.transaction().execute((tx) => historyShared(tx, roomId)))) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
    let raw: unknown;
    try {
      const res = await Promise.race([this.f.signedRequest(server, 'GET', `/_matrix/federation/v1/event/${encodeURIComponent(eventId)}`), timeout]);
      const pdus = res && res.status === 200 && isObject(res.json) ? res.json['pdus'] : undefined;
      raw = Array.isArray(pdus) ? pdus[0] : undefined;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
    const c = raw === undefined ? undefined : await checkPdu(this.f.keyRing, raw, rv);
    if (!c || c.eventId !== eventId || c.pdu.room_id !== roomId) return false;
    // Stored while no backfill of the room runs: both lay its backfilled events out again.
    for (let p = this.running.get(roomId); p; p = this.running.get(roomId)) await p.catch(() => 0);
    const p = this.store(roomId, [c], rv).finally(() => this.running.delete(roomId));
    this.running.set(roomId, p);
    return (await p) > 0;
  }

  private async run(roomId: string, wanted: number): Promise<number> {
    const room = await roomsStore.getRoom(this.db, roomId);
    if (!room) return 0;
    const rv = roomVersion(room.room_version);
    if (!rv) return 0;
    const plan = await this.db.transaction().execute(async (tx) => {
      if (!(await historyShared(tx, roomId))) return undefined;
      const edge = await backfillStore.oldest(tx, roomId, EDGE);
      const prevs = new Set<string>();
      for (const row of edge) for (const id of referencedIds(parsePdu(row).prev_events)) prevs.add(id);
      for (const id of await federationInboundStore.backwardExtremities(tx, roomId)) prevs.add(id);
      const held = await backfillStore.held(tx, [...prevs]);
      const missing = [...prevs].filter((id) => !held.has(id)).slice(0, MAX_V);
      const servers: string[] = [];
      for (const m of await stateStore.members(tx, roomId, 'join')) {
        const s = serverOf(m.user_id);
        if (s !== undefined && s !== this.f.serverName && !servers.includes(s)) servers.push(s);
      }
      const roomServer = roomId.slice(roomId.indexOf(':') + 1);
      servers.sort((a, b) => (a === roomServer ? -1 : b === roomServer ? 1 : 0));
      return { missing, servers: servers.slice(0, MAX_SERVERS) };
    });
    if (!plan || plan.missing.length === 0) return 0;
    const limit = Math.min(Math.max(wanted, 10) * 2, MAX_LIMIT);
    const qs = `${plan.missing.map((id) => `v=${encodeURIComponent(id)}`).join('&')}&limit=${limit}`;
    for (const server of plan.servers) {
      let pdus: unknown[];
      try {
        const res = await this.f.signedRequest(server, 'GET', `/_matrix/federation/v1/backfill/${encodeURIComponent(roomId)}?${qs}`);
        const list = res.status === 200 && isObject(res.json) ? res.json['pdus'] : undefined;
        if (!Array.isArray(list)) continue;
        pdus = list.slice(0, limit);
      } catch {
        continue;
      }
      const checked: CheckedPdu[] = [];
      for (const raw of pdus) {
        const c = await checkPdu(this.f.keyRing, raw, rv);
        if (c && c.pdu.room_id === roomId && !checked.some((o) => o.eventId === c.eventId)) checked.push(c);
      }
      const stored = await this.store(roomId, checked, rv);
      if (stored > 0) return stored;
    }
    return 0;
  }

  private async store(roomId: string, checked: CheckedPdu[], rv: RoomVersion): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      const held = await backfillStore.held(tx, checked.map((c) => c.eventId));
      const fresh = checked.filter((c) => !held.has(c.eventId));
      if (fresh.length === 0) return 0;
      // Auth events: held here (timeline or outliers) or in this answer, checked oldest first.
      const authIds = new Set<string>();
      for (const c of fresh) for (const id of referencedIds(c.pdu.auth_events)) authIds.add(id);
      const known = new Map<string, Pdu>();
      for (const row of await eventsStore.byIds(tx, [...authIds])) known.set(row.event_id, parsePdu(row));
      for (const row of await federationInboundStore.outliersByIds(tx, [...authIds].filter((id) => !known.has(id)))) known.set(row.event_id, JSON.parse(row.json) as Pdu);
      const oldestFirst = [...fresh].sort((a, b) => a.pdu.depth - b.pdu.depth || a.pdu.origin_server_ts - b.pdu.origin_server_ts);
      const passed: CheckedPdu[] = [];
      for (const c of oldestFirst) {
        if (!authAgainstAuthEvents(c.pdu, c.eventId, known, rv)) continue;
        known.set(c.eventId, c.pdu);
        passed.push(c);
      }
      if (passed.length === 0) return 0;
      // The room's backfilled events, old and new, are laid out again in depth order over the
      // positions they hold plus new ones below everything: an answer may fill a gap between
      // events fetched earlier (several starting points, a truncated walk), and the timeline
      // must still read oldest to newest.
      const existing = await backfillStore.backfilled(tx, roomId, MAX_BACKFILLED + 1);
      if (existing.length + passed.length > MAX_BACKFILLED) return 0;
      const base = await backfillStore.nextBelow(tx);
      const pool = [...existing.map((r) => Number(r.stream_ordering)), ...passed.map((_, i) => base - i)].sort((a, b) => b - a);
      const all = [
        ...existing.map((row) => ({ row, content: parsePdu(row).content })),
        ...passed.map((c) => ({ row: backfilledRow(c.pdu, c.eventId, 0), content: c.pdu.content })),
      ].sort((a, b) => b.row.depth - a.row.depth || b.row.origin_server_ts - a.row.origin_server_ts || (a.row.event_id < b.row.event_id ? 1 : -1));
      for (const r of existing) await searchStore.remove(tx, Number(r.stream_ordering));
      await backfillStore.removeAt(tx, existing.map((r) => Number(r.stream_ordering)));
      for (const [i, e] of all.entries()) {
        const row = { ...e.row, stream_ordering: pool[i] as number };
        await eventsStore.insert(tx, row);
        if (row.redacted_by === null) await searchStore.index(tx, row, e.content);
      }
      return passed.length;
    });
  }
}

/** Whether the room's history is `shared` or `world_readable` now: only then is it fetched. */
async function historyShared(tx: Tx, roomId: string): Promise<boolean> {
  const hvId = await stateStore.currentStateEventId(tx, roomId, 'm.room.history_visibility', '');
  const hvRow = hvId ? await eventsStore.byId(tx, hvId) : undefined;
  const hv = hvRow ? parsePdu(hvRow).content['history_visibility'] : 'shared';
  return hv === 'shared' || hv === 'world_readable';
}

function backfilledRow(pdu: Pdu, eventId: EventId, ordering: number): EventRow {
  return eventRowOf(pdu, eventId, ordering, canonicalJson(pdu as unknown as JsonObject));
}
