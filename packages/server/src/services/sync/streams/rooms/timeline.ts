// A room's timeline and state for /sync (joined and left rooms): the timeline filled to the filter's
// limit with what the viewer may see, `limited` when visible events were cut (or the room's visible
// history changed), and the state before it as the viewer may see it — or, with `use_state_after`
// (v1.16), the state up to its end, timeline state events included — with lazy-loaded members sent
// only to devices that do not hold them yet.

import type { StateEventBatch, TimelineBatch } from '@hush/protocol';
import { eventsStore, type EventRow } from '../../../../storage/events.store.ts';
import { ABSENT, stateStore } from '../../../../storage/state.store.ts';
import type { Tx } from '../../../../storage/db.ts';
import type { RoomViewer, VisibleEvent } from '../../../../policy/visibility.ts';
import { presentState, presentTimeline } from '../../../rooms/present.ts';
import { scanRows, stateReadPosition, visibleStateAt } from '../../../rooms/timeline.ts';
import { pageToken } from '../../tokens.ts';
import type { SyncContext } from '../../context.ts';

export interface TimelineRequest {
  viewer: RoomViewer;
  roomId: string;
  /** The last position the timeline may reach (the response's, or the leave for a left room). */
  upTo: number;
  /** The client holds nothing of the room as it is: the last `limit` events and all the state. */
  full: boolean;
  /** The visible history before the window changed: `limited`, so the client pages back. */
  historyChanged?: boolean;
  /** The room's newest events up to `upTo` read with the other rooms' (`timelineFirstPage`): the
   *  scan's first page when it asks for exactly that page, saving a round trip per room. */
  firstPage?: { upTo: number; limit: number; rows: EventRow[] };
  /** The room's state where its timeline starts, read with the other rooms' (`prefetchFullState`):
   *  used when the timeline starts at `start`, else the state is read here. */
  prefetched?: PrefetchedState;
}

/** A full entry's reads, done for many rooms at once: the state at `start` (cut at the viewer's
 *  bound, in stream order), the latest change per key in `start` → `upTo` with the events those
 *  changes name, and the thread replies to the timeline's events (bundled relations). */
export interface PrefetchedState {
  start: number;
  upTo: number;
  before: EventRow[];
  changes: Map<string, string>;
  events: Map<string, EventRow>;
  replies: EventRow[];
}

/** For every room whose timeline the scan can fill from its first page alone (read with the other
 *  rooms' up front), the reads of `timelineAndState`'s full entry (no `use_state_after`) in a few
 *  queries over all those rooms: on PostgreSQL three per 500 rooms instead of three per room. A
 *  room whose scan needs more rows is left out (it reads as before). */
export async function prefetchFullState(ctx: SyncContext, rooms: readonly { roomId: string; viewer: RoomViewer; firstPage: { upTo: number; limit: number; rows: EventRow[] } }[]): Promise<Map<string, PrefetchedState>> {
  const { tx, filter } = ctx;
  const limit = filter.timeline.limit;
  const plans: { roomId: string; start: number; upTo: number; at: number; timeline: string[] }[] = [];
  for (const { roomId, viewer, firstPage } of rooms) {
    let short = false;
    const res = await scanRows(
      (after, to, dir, n) => {
        if (after === 0 && to === firstPage.upTo && dir === 'b' && n === firstPage.limit) return Promise.resolve(firstPage.rows);
        short = true;
        return Promise.resolve([]);
      },
      viewer,
      'b',
      firstPage.upTo,
      0,
      limit + 1,
      (e) => filter.timeline.matches(e),
    );
    if (short) continue;
    const events = res.events.slice(0, limit);
    const oldest = events[events.length - 1];
    const start = oldest ? oldest.stream_ordering - 1 : firstPage.upTo;
    const at = stateReadPosition(viewer, start);
    if (at === 'current') continue;
    plans.push({ roomId, start, upTo: firstPage.upTo, at, timeline: events.map((e) => e.event_id) });
  }
  const out = new Map<string, PrefetchedState>();
  if (plans.length === 0) return out;
  const before = await stateStore.stateAtIn(tx, plans.map((p) => ({ roomId: p.roomId, at: p.at })));
  const changes = await stateStore.changesBetweenIn(tx, plans.map((p) => ({ roomId: p.roomId, after: p.start, upTo: p.upTo })));
  const ids = new Set<string>();
  for (const refs of [...before.values(), ...changes.values()]) for (const c of refs) if (c.eventId !== ABSENT) ids.add(c.eventId);
  const events = new Map((await eventsStore.byIds(tx, [...ids])).map((e) => [e.event_id, e]));
  // Thread replies by the room of the root they name (as the per-room read takes them).
  const roomOfRoot = new Map(plans.flatMap((p) => p.timeline.map((id) => [id, p.roomId] as const)));
  const roots = [...roomOfRoot.keys()];
  const replies = new Map<string, EventRow[]>();
  for (let i = 0; i < roots.length; i += 500) {
    for (const e of await eventsStore.threadReplies(tx, roots.slice(i, i + 500))) {
      const roomId = roomOfRoot.get(e.relates_to ?? '');
      if (roomId === undefined) continue;
      const list = replies.get(roomId) ?? [];
      list.push(e);
      replies.set(roomId, list);
    }
  }
  for (const p of plans) {
    const rows = (before.get(p.roomId) ?? []).flatMap((c) => events.get(c.eventId) ?? []).sort((a, b) => a.stream_ordering - b.stream_ordering);
    const latest = new Map<string, string>();
    for (const c of changes.get(p.roomId) ?? []) latest.set(`${c.type}\u0000${c.stateKey}`, c.eventId);
    // In stream order, as the per-room read gives them (chunks may split a room's roots).
    const ofRoom = (replies.get(p.roomId) ?? []).sort((a, b) => a.stream_ordering - b.stream_ordering);
    out.set(p.roomId, { start: p.start, upTo: p.upTo, before: rows, changes: latest, events, replies: ofRoom });
  }
  return out;
}

/** How many rows the timeline scan of `timelineAndState` reads first (scanRows' batch for the
 *  filter's limit + 1): what an initial /sync reads for every room at once. */
export function timelineFirstPageSize(limit: number): number {
  return Math.min(Math.max((limit + 1) * 2, 20), 500);
}

export async function timelineAndState(ctx: SyncContext, q: TimelineRequest): Promise<{ timeline: TimelineBatch; state: StateEventBatch; membersDropped: boolean }> {
  const { tx, r, since, filter, position, deps } = ctx;
  const { viewer, roomId, upTo, full } = q;
  const bound = full ? 0 : (since?.stream ?? 0);
  const limit = filter.timeline.limit;
  // One event more than the limit tells whether visible events were cut (limited), so hidden
  // events alone never make a timeline look limited.
  const first = q.firstPage;
  const res = await scanRows(
    (after, to, dir, n) =>
      first && after === 0 && to === first.upTo && dir === 'b' && n === first.limit ? Promise.resolve(first.rows) : eventsStore.range(tx, roomId, after, to, dir, n),
    viewer,
    'b',
    upTo,
    bound,
    limit + 1,
    (e) => filter.timeline.matches(e),
  );
  // `limited` also when the visible history before these events changed (a list change): the
  // client drops what it holds and pages back from prev_batch, without the events being replayed.
  const limited = res.events.length > limit || q.historyChanged === true;
  const events = res.events.slice(0, limit).reverse();
  const start = events.length > 0 ? (events[0] as EventRow).stream_ordering - 1 : full || limited ? upTo : bound;
  // State as the viewer may see it: never past their leave (a room left and later banned from
  // shows the state at the leave), for one who never joined only what history visibility shows.
  let state: VisibleEvent[];
  // Read beforehand for this very timeline (same start and end: the same events), or not at all.
  const pre = full && !ctx.stateAfter && q.prefetched && q.prefetched.start === start && q.prefetched.upTo === upTo ? q.prefetched : undefined;
  // Whether a member's key left the room's state in the window (state resolution dropped it,
  // decision 0043): no event says so, the summary does.
  let membersDropped = false;
  const changesIn = async (after: number, to: number) => {
    const latest = await latestChanges(tx, roomId, after, to);
    for (const [k, id] of latest) if (id === ABSENT && k.startsWith('m.room.member\u0000')) membersDropped = true;
    return latest;
  };
  if (ctx.stateAfter) {
    // Up to the timeline's end: all of it when the client holds nothing, else every change since
    // the token (those the timeline shows too: the client takes state from here alone).
    state = full ? await visibleStateAt(tx, viewer, roomId, upTo) : viewer.visibleState(await eventsStore.byIds(tx, [...(await changesIn(bound, upTo)).values()]));
  } else if (full) {
    state = pre ? viewer.visibleState(pre.before) : await visibleStateAt(tx, viewer, roomId, start);
    // State set inside the timeline's span by events it does not show (sent while the viewer was
    // away, history visibility `joined`): the client learns the outcome here, or never.
    const shown = new Set(events.map((e) => e.event_id));
    const unshown = [...(pre ? pre.changes : await latestChanges(tx, roomId, start, upTo)).values()].filter((id) => !shown.has(id));
    if (unshown.length > 0) {
      const byKey = new Map(state.map((e) => [`${e.type}\u0000${e.state_key}`, e]));
      const rows = pre ? unshown.flatMap((id) => pre.events.get(id) ?? []) : await eventsStore.byIds(tx, unshown);
      for (const e of viewer.visibleState(rows)) byKey.set(`${e.type}\u0000${e.state_key}`, e);
      state = [...byKey.values()];
    }
  } else if (limited) {
    state = viewer.visibleState(await eventsStore.byIds(tx, [...(await changesIn(bound, start)).values()]));
  } else {
    state = [];
    // An event of another server may have changed keys besides its own (a merge of branches, or
    // keys state resolution dropped, decision 0043), set by events older than the window: the
    // client learns them here. Rooms with only this server's events in the window have none.
    const ours = r.userId.slice(r.userId.indexOf(':'));
    if (events.some((e) => !e.sender.endsWith(ours))) {
      const shown = new Set(events.map((e) => e.event_id));
      const unshown = [...(await changesIn(bound, upTo)).values()].filter((id) => id !== ABSENT && !shown.has(id));
      if (unshown.length > 0) state = viewer.visibleState(await eventsStore.byIds(tx, unshown));
    }
  }
  state = state.filter((e) => filter.state.matches(e));
  if (filter.state.lazyLoadMembers) state = await lazyMembers(ctx, viewer, roomId, events, state, full);
  const timeline = await presentTimeline(tx, deps.caches.pdus, viewer, r, events, pre?.replies);
  if (filter.state.lazyLoadMembers) deps.sentMembers.record(r.userId, r.deviceId, roomId, [...state, ...events], position.stream);
  return {
    timeline: { events: timeline, limited, prev_batch: pageToken(start) },
    state: { events: presentState(deps.caches.pdus, r, state) },
    membersDropped,
  };
}

/** The last state event of each (type, state key) set after `after` up to `upTo`. */
async function latestChanges(tx: Tx, roomId: string, after: number, upTo: number): Promise<Map<string, string>> {
  const latest = new Map<string, string>();
  for (const c of await stateStore.changesBetween(tx, roomId, after, upTo)) latest.set(`${c.type}\u0000${c.stateKey}`, c.eventId);
  return latest;
}

/**
 * Lazy-loaded members: the memberships of this batch's senders (and the viewer's own) that the
 * device does not hold yet — all of them with `include_redundant_members` — plus, in a gap, the
 * membership changes of members the device holds and every leave or ban, so that nobody who left
 * during the gap stays in the client's member list.
 */
async function lazyMembers(ctx: SyncContext, viewer: RoomViewer, roomId: string, events: readonly EventRow[], state: VisibleEvent[], full: boolean): Promise<VisibleEvent[]> {
  const { tx, r, since, filter, deps } = ctx;
  const needed = new Set(events.map((e) => e.sender));
  needed.add(r.userId);
  const inTimeline = new Set(events.filter((e) => e.type === 'm.room.member').map((e) => e.state_key));
  const incremental = since !== undefined && !full;
  const known = (member: string) => incremental && deps.sentMembers.knows(r.userId, r.deviceId, roomId, member, since.stream);
  const held = (e: EventRow) =>
    incremental && !filter.state.includeRedundantMembers && deps.sentMembers.has(r.userId, r.deviceId, roomId, e.state_key ?? '', e.event_id, since.stream);
  const out = state.filter((e) => {
    if (e.type !== 'm.room.member') return true;
    const member = e.state_key ?? '';
    if ((inTimeline.has(member) && !ctx.stateAfter) || held(e)) return false;
    if (needed.has(member)) return true;
    const membership = (JSON.parse(e.json) as { content?: { membership?: unknown } }).content?.membership;
    return incremental && (known(member) || membership === 'leave' || membership === 'ban');
  });
  if (!full) {
    // Senders whose membership did not change in the window: as of now, unless the device holds it.
    const have = new Set(out.filter((e) => e.type === 'm.room.member').map((e) => e.state_key));
    const missing = [...needed].filter((u) => !have.has(u) && (ctx.stateAfter || !inTimeline.has(u)) && u !== r.userId);
    if (missing.length > 0) {
      const refs = await stateStore.currentStateRefs(tx, roomId, missing.map((u) => ['m.room.member', u] as const));
      for (const e of viewer.visibleState(await eventsStore.byIds(tx, refs.map((x) => x.eventId)))) if (!held(e)) out.push(e);
    }
  }
  return out;
}
