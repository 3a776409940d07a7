// Room reads: /messages, /context, /event, /state, /members, /joined_rooms. Every event served
// passes the viewer (history visibility ∘ ignore); state is what the viewer's membership allows
// (timeline.visibleStateAt). Who may read at all, and what an outsider is told: decision 0016.

import { ErrCode, MatrixError, forbidden, type ClientEvent, type EventId, type RoomId } from '@hush/protocol';
import type { Db, Tx } from '../../storage/db.ts';
import { eventsStore, type EventRow } from '../../storage/events.store.ts';
import { stateStore } from '../../storage/state.store.ts';
import { streamStore } from '../../storage/stream.store.ts';
import type { Requester } from '../requester.ts';
import type { Caches } from '../caches.ts';
import type { RoomViewer, VisibleEvent } from '../../policy/visibility.ts';
import { parsePdu } from '../events/format.ts';
import { compileEventFilter, parseFilterParam, validateEventFilter, type CompiledEventFilter } from '../filters.ts';
import { pageToken, parsePageToken } from '../sync/tokens.ts';
import { loadViewer, scan, visibleOr404, visibleStateAt } from './timeline.ts';
import { presentState, presentTimeline } from './present.ts';

export interface MessagesQuery {
  from?: string;
  to?: string;
  dir: 'b' | 'f';
  limit?: number;
  filter?: string;
}

/** The one answer to anyone who may not read a room, whether it exists or not. */
const NOT_READABLE = 'You are not in this room';

function compileFilterParam(param: string | undefined): CompiledEventFilter {
  const f = param === undefined ? undefined : validateEventFilter(parseFilterParam(param), 'filter');
  return compileEventFilter(f, 10);
}

/** Below every stream position, backfilled ones included (they count down from -1). */
const LOWEST = -(10 ** 15 - 1);

export class RoomReads {
  /** Older events of a room from its other servers (federation/outbound/backfill.ts), set by the
   *  app when federation is on: called when a backward /messages page reaches the start of what we
   *  hold; answers how many events it stored. */
  backfill: ((roomId: string, wanted: number) => Promise<number>) | null = null;

  constructor(
    private readonly db: Db,
    private readonly caches: Pick<Caches, 'ignoreViews' | 'pdus'>,
  ) {}

  /**
   * The viewer of a room, or the one 403 for anyone who may not read it. The same two reads (the
   * user's ignore view, the user's membership and the room's visibility history) come first
   * whether the room exists or not — nothing is looked up only for rooms that exist — so neither
   * the answer nor its timing tells an outsider that a private room exists.
   */
  private async viewerFor(tx: Tx, r: Requester, roomId: string): Promise<RoomViewer> {
    const viewer = await loadViewer(tx, roomId, await this.caches.ignoreViews.load(tx, r.userId));
    if (!viewer.mayRead()) throw forbidden(NOT_READABLE);
    return viewer;
  }

  /** /state and /members: for viewers with a state bound (joined, left, or a world_readable room);
   *  an invitee who never joined gets the 403 an outsider gets. */
  private async stateViewerFor(tx: Tx, r: Requester, roomId: string): Promise<RoomViewer> {
    const viewer = await this.viewerFor(tx, r, roomId);
    if (viewer.stateBound() === undefined) throw forbidden(NOT_READABLE);
    return viewer;
  }

  async state(r: Requester, roomId: RoomId): Promise<ClientEvent[]> {
    return this.db.transaction().execute(async (tx) => {
      const viewer = await this.stateViewerFor(tx, r, roomId);
      return presentState(this.caches.pdus, r, await visibleStateAt(tx, viewer, roomId, 'current'));
    });
  }

  async stateEvent(r: Requester, roomId: RoomId, type: string, stateKey: string): Promise<ClientEvent> {
    return this.db.transaction().execute(async (tx) => {
      const viewer = await this.stateViewerFor(tx, r, roomId);
      const row = (await visibleStateAt(tx, viewer, roomId, 'current')).find((x) => x.type === type && x.state_key === stateKey);
      if (!row) throw new MatrixError(404, ErrCode.NOT_FOUND, 'State event not found');
      return presentState(this.caches.pdus, r, [row])[0] as ClientEvent;
    });
  }

  async members(
    r: Requester,
    roomId: RoomId,
    q: { membership?: string; not_membership?: string; at?: string },
  ): Promise<ClientEvent[]> {
    return this.db.transaction().execute(async (tx) => {
      const viewer = await this.stateViewerFor(tx, r, roomId);
      const at = q.at !== undefined ? parsePageToken(q.at) : 'current';
      const rows = (await visibleStateAt(tx, viewer, roomId, at)).filter((e) => {
        if (e.type !== 'm.room.member') return false;
        const m = parsePdu(e).content['membership'];
        return (q.membership === undefined || m === q.membership) && (q.not_membership === undefined || m !== q.not_membership);
      });
      return presentState(this.caches.pdus, r, rows);
    });
  }

  async joinedMembers(r: Requester, roomId: RoomId): Promise<Record<string, { display_name?: string; avatar_url?: string }>> {
    const m = await stateStore.membership(this.db, roomId, r.userId);
    if (m?.membership !== 'join') throw forbidden('You are not in this room');
    const rows = await stateStore.members(this.db, roomId, 'join');
    const events = await eventsStore.byIds(this.db, rows.map((x) => x.event_id));
    const out: Record<string, { display_name?: string; avatar_url?: string }> = {};
    for (const e of events) {
      const c = parsePdu(e).content;
      const entry: { display_name?: string; avatar_url?: string } = {};
      if (typeof c['displayname'] === 'string') entry.display_name = c['displayname'];
      if (typeof c['avatar_url'] === 'string') entry.avatar_url = c['avatar_url'];
      out[e.state_key ?? ''] = entry;
    }
    return out;
  }

  async joinedRooms(r: Requester): Promise<string[]> {
    return (await stateStore.membershipsOfUser(this.db, r.userId)).filter((m) => m.membership === 'join').map((m) => m.room_id);
  }

  /** One event by id; 404 when it is not in the room or the viewer may not see it. */
  async event(r: Requester, roomId: RoomId, eventId: string): Promise<ClientEvent> {
    return this.db.transaction().execute(async (tx) => {
      const viewer = await this.viewerFor(tx, r, roomId);
      const row = visibleOr404(viewer, await eventsStore.byId(tx, eventId), roomId);
      return (await presentTimeline(tx, this.caches.pdus, viewer, r, [row]))[0] as ClientEvent;
    });
  }

  /** Members who sent the given events, for lazy-loading filters (as the viewer may see them). */
  private async lazyMembers(tx: Tx, viewer: RoomViewer, roomId: string, events: readonly EventRow[], at: number | 'current'): Promise<VisibleEvent[]> {
    const senders = new Set(events.map((e) => e.sender));
    if (senders.size === 0) return [];
    const state = await visibleStateAt(tx, viewer, roomId, at);
    return state.filter((e) => e.type === 'm.room.member' && senders.has(e.state_key ?? ''));
  }

  async messages(r: Requester, roomId: RoomId, q: MessagesQuery): Promise<{ chunk: ClientEvent[]; start: string; end?: string; state?: ClientEvent[] }> {
    // A backward page that reaches the start of what we hold asks other servers for older events
    // (outside the read transaction), then is read again; at most 3 rounds.
    for (let round = 0; ; round++) {
      const out = await this.messagesOnce(r, roomId, q, this.backfill !== null);
      if (!out.short || !this.backfill || round === 3) return out.page;
      if ((await this.backfill(roomId, out.short).catch(() => 0)) === 0) return out.page;
    }
  }

  private async messagesOnce(
    r: Requester,
    roomId: string,
    q: MessagesQuery,
    mayBackfill: boolean,
  ): Promise<{ page: { chunk: ClientEvent[]; start: string; end?: string; state?: ClientEvent[] }; short: number }> {
    const filter = compileFilterParam(q.filter);
    const limit = Math.min(q.limit ?? filter.limit, 1000);
    return this.db.transaction().execute(async (tx) => {
      const viewer = await this.viewerFor(tx, r, roomId);
      const now = await streamStore.current(tx);
      const from = q.from !== undefined ? Math.min(parsePageToken(q.from), now) : q.dir === 'b' ? now : LOWEST;
      const to = q.to !== undefined ? parsePageToken(q.to) : undefined;
      const bound = q.dir === 'b' ? Math.max(to ?? LOWEST, LOWEST) : Math.min(to ?? now, now);
      const res = limit === 0 ? { events: [], last: from, exhausted: false } : await scan(tx, viewer, roomId, q.dir, from, bound, limit, (e) => filter.matches(e));
      // Reached the start of what we hold (no `to` stopped it): the page may continue with
      // backfilled events, which will sit just below the lowest position now held.
      const short = mayBackfill && q.dir === 'b' && to === undefined && res.exhausted && limit > 0 ? limit - res.events.length : 0;
      if (short > 0 && res.events.length > 0) res.last = Math.min(...res.events.map((e) => e.stream_ordering)) - 1;
      const out: { chunk: ClientEvent[]; start: string; end?: string; state?: ClientEvent[] } = {
        chunk: await presentTimeline(tx, this.caches.pdus, viewer, r, res.events),
        start: pageToken(from),
      };
      // `end` whenever the chunk holds events, in both directions (clients such as nheko drop a page
      // without one); an empty chunk has none, so a client paging on stops there.
      if (res.events.length > 0) out.end = pageToken(res.last);
      if (filter.lazyLoadMembers) out.state = presentState(this.caches.pdus, r, await this.lazyMembers(tx, viewer, roomId, res.events, 'current'));
      return { page: out, short };
    });
  }

  async context(r: Requester, roomId: RoomId, eventId: EventId, limit: number, filterParam?: string) {
    const filter = compileFilterParam(filterParam);
    return this.db.transaction().execute(async (tx) => {
      const viewer = await this.viewerFor(tx, r, roomId);
      const target = visibleOr404(viewer, await eventsStore.byId(tx, eventId), roomId);
      const now = await streamStore.current(tx);
      const nBefore = Math.floor(limit / 2);
      const nAfter = limit - nBefore;
      const keep = (e: EventRow) => filter.matches(e);
      const before = nBefore > 0 ? await scan(tx, viewer, roomId, 'b', target.stream_ordering - 1, 0, nBefore, keep) : { events: [], last: target.stream_ordering - 1, exhausted: false };
      const after = nAfter > 0 ? await scan(tx, viewer, roomId, 'f', target.stream_ordering, now, nAfter, keep) : { events: [], last: target.stream_ordering, exhausted: false };
      const all = [...before.events, target, ...after.events];
      const lastPos = after.events.at(-1)?.stream_ordering ?? target.stream_ordering;
      const stateRows = filter.lazyLoadMembers ? await this.lazyMembers(tx, viewer, roomId, all, lastPos) : await visibleStateAt(tx, viewer, roomId, lastPos);
      return {
        start: pageToken(before.last),
        end: pageToken(after.last),
        events_before: await presentTimeline(tx, this.caches.pdus, viewer, r, before.events),
        event: (await presentTimeline(tx, this.caches.pdus, viewer, r, [target]))[0] as ClientEvent,
        events_after: await presentTimeline(tx, this.caches.pdus, viewer, r, after.events),
        state: presentState(this.caches.pdus, r, stateRows),
      };
    });
  }
}
