// Server-side search ("Server Side Search", category `room_events`): full-text hits from the index,
// each passed through the room's viewer (history visibility ∘ ignore) before it is served; pages are
// refilled until `limit` visible results are found or the hits run out, and `count` counts visible
// events only. An ignored user's messages are never found (docs/ignore-semantics.md, row H).

import { ErrCode, MatrixError, badJson, type ClientEvent, type RoomEventFilter } from '@hush/protocol';
import type { api } from '@hush/protocol';
import type { Db, Tx } from '../storage/db.ts';
import type { EventRow } from '../storage/events.store.ts';
import { searchStore, type SearchScope } from '../storage/search.store.ts';
import { stateStore } from '../storage/state.store.ts';
import { streamStore } from '../storage/stream.store.ts';
import type { Requester } from './requester.ts';
import type { Caches } from './caches.ts';
import { hidesEvent, type IgnoreView } from '../policy/ignore.ts';
import type { RoomViewer, VisibleEvent } from '../policy/visibility.ts';
import { compileEventFilter, validateEventFilter } from './filters.ts';
import { parsePdu } from './events/format.ts';
import { pageToken } from './sync/tokens.ts';
import { loadViewer, scan, visibleStateAt } from './rooms/timeline.ts';
import { presentState, presentTimeline } from './rooms/present.ts';

/** The `room_events` criteria, as the descriptor validated them. */
export interface SearchCriteria {
  search_term: string;
  keys?: ('content.body' | 'content.name' | 'content.topic')[];
  filter?: RoomEventFilter;
  order_by?: 'recent' | 'rank';
  event_context?: { before_limit?: number; after_limit?: number; include_profile?: boolean };
  include_state?: boolean;
  groupings?: { group_by?: { key?: 'room_id' | 'sender' }[] };
}

const ALL_KEYS = ['content.body', 'content.name', 'content.topic'] as const;
const DEFAULT_LIMIT = 10;
/** Results per page at most (each may carry context). */
const MAX_LIMIT = 100;
const MAX_CONTEXT = 20;
/** Words of a search term used at most. */
const MAX_WORDS = 16;
/** Exact ignore-list entries pushed into the index query as a pre-filter at most. */
const MAX_SKIP_SENDERS = 500;

/** The words of a search term, lower-cased, as both backends tokenize them (letters and digits). */
export function searchWords(term: string): string[] {
  const words = term.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words)].slice(0, MAX_WORDS);
}

/** `next_batch`: `s1_t<position>` (recent: continue below that position) or `s1_r<offset>`
 *  (rank: continue after that many index hits). */
function batchToken(order: 'recent' | 'rank', n: number): string {
  return `s1_${order === 'recent' ? 't' : 'r'}${n}`;
}

function parseBatch(token: string, order: 'recent' | 'rank'): number {
  const m = /^s1_([tr])([0-9]{1,15})$/.exec(token);
  if (!m) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Invalid next_batch token');
  if ((m[1] === 't') !== (order === 'recent')) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'next_batch belongs to a search with another order_by');
  return Number(m[2]);
}

interface Candidate {
  viewer: RoomViewer;
}

export class SearchService {
  constructor(
    private readonly db: Db,
    private readonly caches: Pick<Caches, 'ignoreViews' | 'pdus' | 'heldRows'>,
  ) {}

  async search(r: Requester, body: { search_categories: { room_events?: SearchCriteria } }, nextBatch?: string): Promise<api.SearchResponse> {
    const criteria = body.search_categories.room_events;
    if (criteria === undefined) return { search_categories: {} };
    const filterJson = validateEventFilter(criteria.filter, 'filter');
    const filter = compileEventFilter(filterJson, DEFAULT_LIMIT);
    const limit = Math.min(filter.limit, MAX_LIMIT);
    const order = criteria.order_by ?? 'rank';
    const from = nextBatch !== undefined ? parseBatch(nextBatch, order) : undefined;
    const keys = criteria.keys === undefined || criteria.keys.length === 0 ? [...ALL_KEYS] : [...new Set(criteria.keys)];
    const ctxOpts = criteria.event_context;
    if (ctxOpts && ((ctxOpts.before_limit ?? 0) > 1000 || (ctxOpts.after_limit ?? 0) > 1000)) throw badJson('event_context limits must be at most 1000');
    const words = searchWords(criteria.search_term);
    const groupBy = new Set((criteria.groupings?.group_by ?? []).map((g) => g.key).filter((k): k is 'room_id' | 'sender' => k !== undefined));
    // Events sent up to now are searchable: what is held for the index is written first (decision 0047).
    await this.caches.heldRows?.flushSearch();

    return this.db.transaction().execute(async (tx) => {
      const ignore = await this.caches.ignoreViews.load(tx, r.userId);
      const rooms = new Map<string, Candidate>();
      const ranges = new Map<string, [number, number][]>();
      for (const m of await stateStore.membershipsOfUser(tx, r.userId)) {
        if (!filter.matchesRoom(m.room_id)) continue;
        const viewer = await loadViewer(tx, m.room_id, ignore);
        const rs = viewer.visibleRanges();
        if (rs.length === 0) continue;
        rooms.set(m.room_id, { viewer });
        ranges.set(m.room_id, rs);
      }
      const scope: SearchScope = { rooms: ranges, keys, skipSenders: ignore.ignoredUsers.size <= MAX_SKIP_SENDERS ? [...ignore.ignoredUsers] : [] };
      const hits = await this.collect(tx, words, scope, rooms, filter.matches, order, from, limit);
      // Counted by type and sender: the filter's rooms are in the scope already, contains_url is
      // not counted (the count is "approximate" in the spec's words).
      const countFilter = compileEventFilter({ ...filterJson, rooms: undefined, not_rooms: undefined, contains_url: undefined }, DEFAULT_LIMIT);
      const count = await this.count(tx, words, scope, ignore, (type, sender) => countFilter.matches({ type, sender, room_id: '', json: '{}' } as EventRow));
      const now = await streamStore.current(tx);

      const results: api.SearchResponse['search_categories']['room_events'] & object = { count, highlights: words, results: [] };
      for (const { row, rank } of hits.events) {
        const viewer = (rooms.get(row.room_id) as Candidate).viewer;
        const [event] = await presentTimeline(tx, this.caches.pdus, viewer, r, [row]);
        const result: api.SearchResult = { rank, result: event as ClientEvent };
        if (ctxOpts) result.context = await this.context(tx, r, viewer, row, now, ctxOpts);
        results.results.push(result);
      }
      if (hits.next !== undefined) results.next_batch = batchToken(order, hits.next);
      if (criteria.include_state === true) {
        const state: Record<string, ClientEvent[]> = {};
        for (const roomId of new Set(hits.events.map((h) => h.row.room_id))) {
          const viewer = (rooms.get(roomId) as Candidate).viewer;
          state[roomId] = presentState(this.caches.pdus, r, await visibleStateAt(tx, viewer, roomId, 'current'));
        }
        results.state = state;
      }
      if (groupBy.size > 0) {
        const groups: NonNullable<api.RoomEventsResults['groups']> = {};
        for (const key of groupBy) {
          const g: Record<string, { order: number; results: string[] }> = {};
          for (const { row } of hits.events) {
            const value = key === 'room_id' ? row.room_id : row.sender;
            const entry = (g[value] ??= { order: Object.keys(g).length + 1, results: [] });
            entry.results.push(row.event_id);
          }
          groups[key] = g;
        }
        results.groups = groups;
      }
      return { search_categories: { room_events: results } };
    });
  }

  /** Index hits in order, each passed through its room's viewer and the filter, until `limit`
   *  pass or the hits run out. `next` is where the following page starts, when there may be more. */
  private async collect(
    tx: Tx,
    words: string[],
    scope: SearchScope,
    rooms: ReadonlyMap<string, Candidate>,
    keep: (e: EventRow) => boolean,
    order: 'recent' | 'rank',
    from: number | undefined,
    limit: number,
  ): Promise<{ events: { row: VisibleEvent; rank: number }[]; next?: number }> {
    const events: { row: VisibleEvent; rank: number }[] = [];
    if (limit === 0 || words.length === 0) return { events };
    let cursor = from ?? (order === 'recent' ? Number.MAX_SAFE_INTEGER : 0);
    let batch = Math.min(Math.max(limit * 2, 20), 500);
    for (;;) {
      const rows = await searchStore.find(tx, words, scope, order === 'recent' ? { by: 'recent', before: cursor } : { by: 'rank', offset: cursor }, batch);
      for (const hit of rows) {
        cursor = order === 'recent' ? hit.stream_ordering : cursor + 1;
        const { rank, ...row } = hit;
        const viewer = rooms.get(row.room_id)?.viewer;
        if (viewer?.canSee(row) && keep(row)) {
          events.push({ row, rank });
          if (events.length === limit) return { events, next: cursor };
        }
      }
      if (rows.length < batch) return { events };
      // Mostly hidden hits (an ignored user who talks a lot): read further at a time.
      batch = Math.min(batch * 2, 2000);
    }
  }

  /** How many hits the viewer may see: counted in the index by sender and type within the visible
   *  ranges, then each sender asked of the policy (state events are never hidden by ignoring). */
  private async count(tx: Tx, words: string[], scope: SearchScope, ignore: IgnoreView, matches: (type: string, sender: string) => boolean): Promise<number> {
    let n = 0;
    for (const c of await searchStore.countBySender(tx, words, scope)) {
      if (!matches(c.type, c.sender)) continue;
      if (hidesEvent(ignore, { sender: c.sender, state_key: c.state ? '' : null })) continue;
      n += c.n;
    }
    return n;
  }

  private async context(
    tx: Tx,
    r: Requester,
    viewer: RoomViewer,
    row: VisibleEvent,
    now: number,
    opts: { before_limit?: number; after_limit?: number; include_profile?: boolean },
  ): Promise<NonNullable<api.SearchResult['context']>> {
    const nBefore = Math.min(opts.before_limit ?? 5, MAX_CONTEXT);
    const nAfter = Math.min(opts.after_limit ?? 5, MAX_CONTEXT);
    const before = nBefore > 0 ? await scan(tx, viewer, row.room_id, 'b', row.stream_ordering - 1, 0, nBefore) : { events: [], last: row.stream_ordering - 1 };
    const after = nAfter > 0 ? await scan(tx, viewer, row.room_id, 'f', row.stream_ordering, now, nAfter) : { events: [], last: row.stream_ordering };
    const out: NonNullable<api.SearchResult['context']> = {
      start: pageToken(before.last),
      end: pageToken(after.last),
      events_before: await presentTimeline(tx, this.caches.pdus, viewer, r, before.events),
      events_after: await presentTimeline(tx, this.caches.pdus, viewer, r, after.events),
    };
    if (opts.include_profile === true) {
      const senders = new Set([row, ...before.events, ...after.events].map((e) => e.sender));
      out.profile_info = await this.profiles(tx, viewer, row, senders);
    }
    return out;
  }

  /** The senders' profiles as they were at the result (their membership event then), as far as
   *  the viewer may see that state. */
  private async profiles(tx: Tx, viewer: RoomViewer, row: VisibleEvent, senders: ReadonlySet<string>): Promise<Record<string, api.SearchProfile>> {
    const state = await visibleStateAt(tx, viewer, row.room_id, row.stream_ordering);
    const out: Record<string, api.SearchProfile> = {};
    for (const e of state) {
      if (e.type !== 'm.room.member' || e.state_key === null || !senders.has(e.state_key)) continue;
      const c = parsePdu(e).content;
      const p: api.SearchProfile = {};
      if (typeof c['displayname'] === 'string') p.displayname = c['displayname'];
      if (typeof c['avatar_url'] === 'string' && c['avatar_url'].startsWith('mxc://')) p.avatar_url = c['avatar_url'];
      out[e.state_key] = p;
    }
    return out;
  }
}
