// The reads other servers make of our rooms (decision 0030): an event, the state at an event (whole
// or ids), an event's auth chain, backfill and get_missing_events. Every read is allowed by
// access.ts first (ACL, a member of the server in the room) and events the server may not see are
// given redacted. Every walk is bounded.

import { forbidden, notFound, type federation, type Pdu } from '@hush/protocol';
import type { Db } from '../../storage/db.ts';
import { eventsStore, type EventRow } from '../../storage/events.store.ts';
import { eventStateStore } from '../../storage/event-state.store.ts';
import { federationInboundStore } from '../../storage/federation-inbound.store.ts';
import { roomsStore } from '../../storage/rooms.store.ts';
import { parsePdu } from '../../services/events/format.ts';
import { redactEvent } from '../../services/events/crypto.ts';
import { referencedIds } from '../../services/rooms/versions/index.ts';
import type { ServerAccess } from './access.ts';

const AUTH_CHAIN_MAX = 10_000;
const BACKFILL_MAX = 100;
const MISSING_MAX = 100;

export class FederationReads {
  constructor(
    private readonly db: Db,
    private readonly access: ServerAccess,
    readonly serverName: string,
  ) {}

  /** Our events (timeline first, then outliers) by id; a redacted one as the redaction left it. */
  private async load(ids: readonly string[]): Promise<Map<string, Pdu>> {
    const out = await this.asServed(await eventsStore.byIds(this.db, ids));
    const rest = ids.filter((id) => !out.has(id));
    for (const row of await federationInboundStore.outliersByIds(this.db, rest)) out.set(row.event_id, JSON.parse(row.json) as Pdu);
    return out;
  }

  /** Timeline rows as PDUs; a redacted one as the redaction left it. */
  private async asServed(rows: readonly EventRow[]): Promise<Map<string, Pdu>> {
    const out = new Map<string, Pdu>();
    const versions = new Map<string, string>();
    for (const row of rows) {
      const pdu = parsePdu(row);
      if (row.redacted_by === null) {
        out.set(row.event_id, pdu);
        continue;
      }
      let rv = versions.get(row.room_id);
      if (rv === undefined) versions.set(row.room_id, (rv = await this.roomVersionOf(row.room_id)));
      out.set(row.event_id, redactEvent(pdu, rv));
    }
    return out;
  }

  private async roomVersionOf(roomId: string): Promise<string> {
    const room = await roomsStore.getRoom(this.db, roomId);
    if (!room) throw notFound('Unknown room');
    return room.room_version;
  }

  private pduList(pdus: Pdu[]): federation.PduListResponse {
    return { origin: this.serverName, origin_server_ts: Date.now(), pdus: pdus as unknown as federation.FederationPdu[] };
  }

  async event(origin: string, eventId: string): Promise<federation.PduListResponse> {
    const pdu = (await this.load([eventId])).get(eventId);
    if (!pdu) throw notFound('Unknown event');
    const roomId = pdu.room_id as string;
    await this.access.checkRoomRead(roomId, origin);
    const rv = await this.roomVersionOf(roomId);
    return this.pduList([await this.access.shown(pdu, eventId, rv, origin)]);
  }

  /** The state before `eventId` and the auth chain of that state. 404 for an event whose state is
   *  not known here (a backfilled one, decision 0037): no invented state is served. */
  async stateIds(origin: string, roomId: string, eventId: string): Promise<federation.RoomStateIdsResponse> {
    await this.access.checkRoomRead(roomId, origin);
    const at = await eventStateStore.stateAtEvent(this.db, eventId);
    if (!at || at.roomId !== roomId) throw notFound('Unknown event in this room');
    if (!at.state) throw notFound('The state at this event is not known to this server');
    if (!(await this.access.canSee(eventId, origin))) throw forbidden('This server may not see that event');
    const pduIds = at.state.map((r) => r.eventId);
    const chain = await this.authChain(pduIds);
    return { pdu_ids: pduIds, auth_chain_ids: [...chain.keys()] };
  }

  async state(origin: string, roomId: string, eventId: string): Promise<federation.RoomStateResponse> {
    const ids = await this.stateIds(origin, roomId, eventId);
    const pdus = await this.load(ids.pdu_ids);
    const chain = await this.load(ids.auth_chain_ids);
    const list = (m: Map<string, Pdu>) => [...m.values()] as unknown as federation.FederationPdu[];
    return { pdus: list(pdus), auth_chain: list(chain) };
  }

  async eventAuth(origin: string, roomId: string, eventId: string): Promise<{ auth_chain: federation.FederationPdu[] }> {
    await this.access.checkRoomRead(roomId, origin);
    const pdu = (await this.load([eventId])).get(eventId);
    if (!pdu || pdu.room_id !== roomId) throw notFound('Unknown event in this room');
    if (!(await this.access.canSee(eventId, origin))) throw forbidden('This server may not see that event');
    const chain = await this.authChain(referencedIds(pdu.auth_events), true);
    return { auth_chain: [...chain.values()] as unknown as federation.FederationPdu[] };
  }

  /** The auth chain of `roots` (with the roots when `includeRoots`), bounded. */
  private async authChain(roots: readonly string[], includeRoots = false): Promise<Map<string, Pdu>> {
    const out = new Map<string, Pdu>();
    const seen = new Set<string>();
    let frontier = [...new Set(roots)];
    let first = true;
    while (frontier.length > 0 && out.size < AUTH_CHAIN_MAX) {
      for (const id of frontier) seen.add(id);
      const loaded = await this.load(frontier.slice(0, 1000));
      const next: string[] = [];
      for (const [id, pdu] of loaded) {
        if (!first || includeRoots) out.set(id, pdu);
        for (const a of referencedIds(pdu.auth_events)) if (!seen.has(a)) next.push(a);
      }
      first = false;
      frontier = [...new Set(next)];
    }
    return out;
  }

  /** Events before `from` (and those), newest first by depth, at most `limit` (≤ 100). */
  async backfill(origin: string, roomId: string, from: readonly string[], limit: number): Promise<federation.PduListResponse> {
    await this.access.checkRoomRead(roomId, origin);
    const rv = await this.roomVersionOf(roomId);
    const max = Math.min(Math.max(limit, 0), BACKFILL_MAX);
    const found = await this.walk(roomId, from.slice(0, 20), new Set(), max, 0, true);
    found.sort((a, b) => b.pdu.depth - a.pdu.depth);
    const out: Pdu[] = [];
    for (const f of found) out.push(await this.access.shown(f.pdu, f.id, rv, origin));
    return this.pduList(out);
  }

  async missingEvents(origin: string, roomId: string, body: { earliest_events: string[]; latest_events: string[]; limit?: number; min_depth?: number }): Promise<{ events: federation.FederationPdu[] }> {
    await this.access.checkRoomRead(roomId, origin);
    const rv = await this.roomVersionOf(roomId);
    const max = Math.min(Math.max(body.limit ?? 10, 0), MISSING_MAX);
    const latest = await this.load(body.latest_events.slice(0, 20));
    const starts = [...latest.values()].filter((p) => p.room_id === roomId).flatMap((p) => referencedIds(p.prev_events));
    const found = await this.walk(roomId, starts, new Set(body.earliest_events), max, body.min_depth ?? 0, true);
    found.sort((a, b) => a.pdu.depth - b.pdu.depth);
    const out: Pdu[] = [];
    for (const f of found) out.push(await this.access.shown(f.pdu, f.id, rv, origin));
    return { events: out as unknown as federation.FederationPdu[] };
  }

  /** Breadth-first over prev_events from `starts`, stopping at `stop`, below `minDepth`, or at `max` events. */
  private async walk(roomId: string, starts: readonly string[], stop: ReadonlySet<string>, max: number, minDepth: number, timelineOnly: boolean): Promise<{ id: string; pdu: Pdu }[]> {
    const out: { id: string; pdu: Pdu }[] = [];
    const seen = new Set<string>(stop);
    let frontier = starts.filter((id) => !seen.has(id));
    while (frontier.length > 0 && out.length < max) {
      for (const id of frontier) seen.add(id);
      const rows = await eventsStore.byIds(this.db, frontier);
      const loaded = timelineOnly ? await this.asServed(rows) : await this.load(frontier);
      const next: string[] = [];
      for (const id of frontier) {
        const pdu = loaded.get(id);
        if (!pdu || pdu.room_id !== roomId || pdu.depth < minDepth) continue;
        if (out.length >= max) break;
        out.push({ id, pdu });
        for (const p of referencedIds(pdu.prev_events)) if (!seen.has(p)) next.push(p);
      }
      frontier = [...new Set(next)];
    }
    return out;
  }
}
