// The full-text index of room events ("Server Side Search"): one row per searchable event (the
// `content.body` of m.room.message, the `content.name` of m.room.name, the `content.topic` of
// m.room.topic), keyed by its stream position. SQLite: an FTS5 table `event_search` whose rowid is
// the position; PostgreSQL: a table with a tsvector and a GIN index. Kept in step with `events`
// (indexed when persisted, removed when redacted). Rows only: no visibility, no ignoring.

import { PostgresAdapter, sql, type Kysely, type RawBuilder } from 'kysely';
import type { Tx } from './db.ts';
import type { EventRow } from './events.store.ts';
import { deferredIn } from './deferred-writes.ts';

/** The searchable key of each indexed event type, and whether the event is a state event. */
export const SEARCH_KEYS: Readonly<Record<string, { key: string; field: string; state: boolean }>> = {
  'm.room.message': { key: 'content.body', field: 'body', state: false },
  'm.room.name': { key: 'content.name', field: 'name', state: true },
  'm.room.topic': { key: 'content.topic', field: 'topic', state: true },
};

/** The PostgreSQL text-search configuration; SQLite's tokenizer stems with Porter's English rules too. */
const PG_CONFIG = 'english';
/** Text indexed per event at most (an event is at most 64 KiB anyway). */
const MAX_TEXT = 16_384;

function isPg(tx: { getExecutor(): { adapter: unknown } }): boolean {
  return tx.getExecutor().adapter instanceof PostgresAdapter;
}

/** The text an event is searched by, or undefined when it is not searchable. */
export function searchableText(type: string, stateKey: string | null, content: Record<string, unknown>): { key: string; text: string } | undefined {
  const k = SEARCH_KEYS[type];
  if (!k || (k.state ? stateKey !== '' : stateKey !== null)) return undefined;
  const v = content[k.field];
  if (typeof v !== 'string' || v.length === 0) return undefined;
  return { key: k.key, text: v.slice(0, MAX_TEXT) };
}

/** One candidate: the event row, and how well it matched (higher is closer). */
export type SearchHit = EventRow & { rank: number };

/** Where results may come from: per room, the ranges (after, upTo] of positions to look in. */
export interface SearchScope {
  rooms: ReadonlyMap<string, readonly (readonly [number, number])[]>;
  /** The searched keys (`content.body`, …). */
  keys: readonly string[];
  /** Senders whose non-state events are left out before the policy is even asked (a pre-filter
   *  only: every hit still passes the viewer). */
  skipSenders: readonly string[];
}

function scopeWhere(scope: SearchScope, keyColumn: RawBuilder<unknown>): RawBuilder<unknown> {
  const perRoom = [...scope.rooms].map(([roomId, ranges]) => {
    const r = ranges.map(([after, upTo]) => sql`(e.stream_ordering > ${after} and e.stream_ordering <= ${upTo})`);
    return sql`(e.room_id = ${roomId} and (${sql.join(r, sql` or `)}))`;
  });
  const parts = [sql`(${sql.join(perRoom, sql` or `)})`, sql`${keyColumn} in (${sql.join(scope.keys.map((k) => sql`${k}`))})`];
  if (scope.skipSenders.length > 0) parts.push(sql`(e.state_key is not null or e.sender not in (${sql.join(scope.skipSenders.map((s) => sql`${s}`))}))`);
  return sql.join(parts, sql` and `);
}

/** The FTS5 query for words: each one quoted (no operators reach the parser), all required. */
function ftsQuery(words: readonly string[]): string {
  return words.map((w) => `"${w.replace(/"/g, '""')}"`).join(' AND ');
}

export const searchStore = {
  /** Indexes a persisted event when it is searchable. */
  async index(tx: Tx, row: Pick<EventRow, 'stream_ordering' | 'type' | 'state_key'>, content: Record<string, unknown>): Promise<void> {
    const s = searchableText(row.type, row.state_key, content);
    if (s) await this.insertText(tx, row.stream_ordering, s.key, s.text);
  },

  /** Indexes the searchable text of the event at `ordering` (from `searchableText`). */
  async insertText(tx: Tx, ordering: number, key: string, text: string): Promise<void> {
    if (isPg(tx)) {
      await tx.executeQuery(deferredIn(tx, sql`insert into event_search (stream_ordering, key, vector) values (${ordering}, ${key}, to_tsvector(${PG_CONFIG}::regconfig, ${text}))`.compile(tx)));
    } else {
      await sql`insert into event_search (rowid, value, key) values (${ordering}, ${text}, ${key})`.execute(tx);
    }
  },

  /** Takes a redacted event out of the index. */
  async remove(tx: Tx, ordering: number): Promise<void> {
    if (isPg(tx)) await sql`delete from event_search where stream_ordering = ${ordering}`.execute(tx);
    else await sql`delete from event_search where rowid = ${ordering}`.execute(tx);
  },

  /**
   * Hits for all of `words` within `scope`: newest first with positions below `before`
   * (`recent`), or best first skipping `offset` (`rank`). At most `limit` rows.
   */
  async find(
    tx: Tx,
    words: readonly string[],
    scope: SearchScope,
    order: { by: 'recent'; before: number } | { by: 'rank'; offset: number },
    limit: number,
  ): Promise<SearchHit[]> {
    if (words.length === 0 || scope.rooms.size === 0) return [];
    const pg = isPg(tx);
    const where = scopeWhere(scope, pg ? sql`s.key` : sql`event_search.key`);
    // Ordered by the index's own key (the position) so that the index drives the scan.
    const position = pg ? sql`s.stream_ordering` : sql`event_search.rowid`;
    const page =
      order.by === 'recent'
        ? sql`and ${position} < ${order.before} order by ${position} desc limit ${limit}`
        : sql`order by score desc, ${position} desc limit ${limit} offset ${order.offset}`;
    const q = pg
      ? sql<EventRow & { score: number }>`select e.*, ts_rank(s.vector, q.query) as score
          from event_search s
          join events e on e.stream_ordering = s.stream_ordering
          cross join (select plainto_tsquery(${PG_CONFIG}::regconfig, ${words.join(' ')}) as query) q
          where s.vector @@ q.query and ${where} ${page}`
      : sql<EventRow & { score: number }>`select e.*, -bm25(event_search) as score
          from event_search
          cross join events e on e.stream_ordering = event_search.rowid
          where event_search match ${ftsQuery(words)} and ${where} ${page}`;
    const rows = (await q.execute(tx)).rows;
    return rows.map(({ score, ...r }) => ({ ...r, stream_ordering: Number(r.stream_ordering), rank: Number(score) }));
  },

  /** How many hits there are within `scope`, by sender, type and whether state (for counts the
   *  caller then passes through the policy sender by sender). */
  async countBySender(tx: Tx, words: readonly string[], scope: SearchScope): Promise<{ sender: string; type: string; state: boolean; n: number }[]> {
    if (words.length === 0 || scope.rooms.size === 0) return [];
    const pg = isPg(tx);
    const where = scopeWhere(scope, pg ? sql`s.key` : sql`event_search.key`);
    const q = pg
      ? sql<{ sender: string; type: string; st: number; n: number }>`select e.sender, e.type, (case when e.state_key is null then 0 else 1 end) as st, count(*) as n
          from event_search s
          join events e on e.stream_ordering = s.stream_ordering
          where s.vector @@ plainto_tsquery(${PG_CONFIG}::regconfig, ${words.join(' ')}) and ${where}
          group by e.sender, e.type, st`
      : sql<{ sender: string; type: string; st: number; n: number }>`select e.sender, e.type, (case when e.state_key is null then 0 else 1 end) as st, count(*) as n
          from event_search
          cross join events e on e.stream_ordering = event_search.rowid
          where event_search match ${ftsQuery(words)} and ${where}
          group by e.sender, e.type, st`;
    return (await q.execute(tx)).rows.map((r) => ({ sender: r.sender, type: r.type, state: Number(r.st) === 1, n: Number(r.n) }));
  },
};

/** Creates the index (migration) — the FTS5 table on SQLite, the table and its GIN index on
 *  PostgreSQL — and fills it from the events already stored. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function createSearchIndex(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  if (dialect === 'postgres') {
    await sql`create table event_search (stream_ordering bigint primary key, key text not null, vector tsvector not null)`.execute(db);
    await sql`create index event_search_vector on event_search using gin (vector)`.execute(db);
  } else {
    await sql`create virtual table event_search using fts5(value, key unindexed, tokenize = 'porter unicode61 remove_diacritics 2')`.execute(db);
  }
  await fillSearchIndex(db, dialect);
}

/** Indexes every searchable, unredacted event (after a migration, or after `hush migrate` copied
 *  events into a database whose index is derived, not copied). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function fillSearchIndex(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  await sql`delete from event_search`.execute(db);
  for (const [type, k] of Object.entries(SEARCH_KEYS)) {
    const stateCond = k.state ? sql`state_key = ''` : sql`state_key is null`;
    if (dialect === 'postgres') {
      const path = sql.lit(k.field);
      await sql`insert into event_search (stream_ordering, key, vector)
        select stream_ordering, ${k.key}, to_tsvector(${PG_CONFIG}::regconfig, left((json::jsonb)->'content'->>${path}, ${MAX_TEXT}))
        from events
        where type = ${type} and ${stateCond} and redacted_by is null
          and jsonb_typeof((json::jsonb)->'content'->${path}) = 'string' and (json::jsonb)->'content'->>${path} <> ''`.execute(db);
    } else {
      const path = `$.content.${k.field}`;
      await sql`insert into event_search (rowid, value, key)
        select stream_ordering, substr(json_extract(json, ${path}), 1, ${MAX_TEXT}), ${k.key}
        from events
        where type = ${type} and ${stateCond} and redacted_by is null
          and json_type(json, ${path}) = 'text' and json_extract(json, ${path}) <> ''`.execute(db);
    }
  }
}
