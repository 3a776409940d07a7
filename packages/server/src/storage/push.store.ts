// Push tables: event_push_actions (what each recipient's rules decided for an event), pushers, and
// push_queue (the durable delivery queue, one row per pusher and event). Rows only: no rules, no
// ignoring, no HTTP. Also the stream positions of users' m.push_rules account data, batched.

import { PostgresAdapter, sql } from 'kysely';
import type { Tx } from './db.ts';
import type { EventPushActionsTable, PushersTable, PushQueueTable } from './schema.ts';
import { prepared } from './prepared.ts';
import type { HeldRows } from './held-rows.ts';
import { eventsStore } from './events.store.ts';

const rulesOrderingsStatement = prepared((tx, a: { userIds: readonly string[] }) =>
  tx.selectFrom('account_data').select(['user_id', 'stream_ordering']).where('user_id', 'in', a.userIds).where('room_id', '=', '').where('type', '=', 'm.push_rules'),
);
const insertActionsStatement = prepared(
  (tx, a: { rows: readonly PushActionRow[] }) =>
    tx
      .insertInto('event_push_actions')
      .values([...a.rows])
      .onConflict((oc) => oc.doNothing()),
  { deferrable: () => [] },
);
/** countBySender's rows from the table: the newest `cap` after `after` (a redacted event's rows are
 *  deleted with its redaction: `removeActionsOf`), grouped by sender. */
const countBySenderStatement = prepared((tx, a: { userId: string; roomId: string; after: number; cap: number; thread?: string | undefined }) =>
  tx
    .selectFrom((eb) => {
      let q = eb.selectFrom('event_push_actions').select(['sender', 'highlight']).where('user_id', '=', a.userId).where('room_id', '=', a.roomId).where('stream_ordering', '>', a.after);
      if (a.thread !== undefined) q = q.where('thread_id', '=', a.thread);
      return q.orderBy('stream_ordering', 'desc').limit(a.cap).as('recent');
    })
    .select(['recent.sender'])
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('recent.highlight').as('h')])
    .groupBy('recent.sender'),
);
const threadActionsStatement = prepared((tx, a: { userId: string; roomId: string; after: number; cap: number }) =>
  tx
    .selectFrom('event_push_actions')
    .select(['thread_id', 'sender', 'stream_ordering', 'highlight'])
    .where('user_id', '=', a.userId)
    .where('room_id', '=', a.roomId)
    .where('stream_ordering', '>', a.after)
    .where('thread_id', '!=', 'main')
    .orderBy('stream_ordering', 'desc')
    .limit(a.cap),
);
const httpPushersStatement = prepared((tx, a: { userIds: readonly string[] }) => tx.selectFrom('pushers').selectAll().where('user_id', 'in', a.userIds).where('kind', '=', 'http'));

export type PushActionRow = EventPushActionsTable;
export type PusherRow = PushersTable;
export type PushQueueRow = PushQueueTable;
type SenderCount = { sender: string; n: number; highlights: number };

/** Of rows held in memory (newer than every row in the table), those whose event is unredacted. */
async function unredacted(tx: Tx, rows: PushActionRow[]): Promise<PushActionRow[]> {
  if (rows.length === 0) return rows;
  const live = await eventsStore.unredactedAmong(tx, rows.map((r) => r.stream_ordering));
  return rows.filter((r) => live.has(r.stream_ordering));
}

function tally(counts: Map<string, SenderCount>, sender: string, n: number, highlights: number): void {
  const c = counts.get(sender);
  if (c) {
    c.n += n;
    c.highlights += highlights;
  } else counts.set(sender, { sender, n, highlights });
}

export const pushStore = {
  // ---- rules (stored as the m.push_rules account data) ----

  /** Stream positions of the users' m.push_rules account data (absent: never edited). */
  async rulesOrderings(tx: Tx, userIds: readonly string[]): Promise<Map<string, number>> {
    if (userIds.length === 0) return new Map();
    const { rows } = await rulesOrderingsStatement(tx, { userIds });
    return new Map(rows.map((r) => [r.user_id, Number(r.stream_ordering)]));
  },

  // ---- actions ----
  // Every reader takes the app's held rows (decision 0047; undefined on PostgreSQL) as its second
  // argument: rows of committed events not yet written, which count as if they were.

  /** In statements of at most 1,000 rows: 8 values a row, and SQLite takes 32,766 at most; a row
   *  already there (an event recorded again after a crash) is kept. */
  async insertActions(tx: Tx, rows: readonly PushActionRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 1_000) await insertActionsStatement(tx, { rows: rows.slice(i, i + 1_000) });
  },

  /** A redacted event notifies nobody any more: its rows go (held ones are left out when read, and
   *  not written by a flush after the redaction). */
  async removeActionsOf(tx: Tx, ordering: number): Promise<void> {
    await tx.deleteFrom('event_push_actions').where('stream_ordering', '=', ordering).execute();
  },

  /** Per sender: notifying and highlighting events after `after` in a room (the newest `cap` at
   *  most), unredacted (a redaction deletes its target's rows; held rows are checked); `thread`
   *  keeps one thread ('main' for the main timeline) or all. */
  async countBySender(tx: Tx, heldRows: HeldRows | undefined, userId: string, roomId: string, after: number, cap: number, thread?: string): Promise<SenderCount[]> {
    // The rows still held in memory are the newest: they come first, the table fills the cap.
    const held = heldRows ? (await unredacted(tx, heldRows.of(userId, roomId, after).filter((r) => thread === undefined || r.thread_id === thread))).slice(0, cap) : [];
    const counts = new Map<string, SenderCount>();
    for (const r of held) tally(counts, r.sender, 1, r.highlight);
    if (held.length >= cap) return [...counts.values()];
    const { rows } = await countBySenderStatement(tx, { userId, roomId, after, cap: cap - held.length, thread });
    for (const r of rows) tally(counts, r.sender, Number(r.n), Number(r.h ?? 0));
    return [...counts.values()];
  },

  /** `countBySender` of many rooms, each after its own position (an initial /sync), by room: on
   *  PostgreSQL one query per 500 rooms (a lateral join, each room's newest `cap` by the same
   *  filter; nothing is held in memory there); on SQLite, in-process, the per-room query itself. */
  async countBySenderIn(tx: Tx, heldRows: HeldRows | undefined, userId: string, points: readonly { roomId: string; after: number }[], cap: number, thread?: string): Promise<Map<string, SenderCount[]>> {
    const out = new Map<string, SenderCount[]>(points.map((p) => [p.roomId, []]));
    if (!(tx.getExecutor().adapter instanceof PostgresAdapter)) {
      for (const p of points) out.set(p.roomId, await this.countBySender(tx, heldRows, userId, p.roomId, p.after, cap, thread));
      return out;
    }
    const inThread = thread === undefined ? sql`` : sql`and a.thread_id = ${thread}`;
    for (let i = 0; i < points.length; i += 500) {
      const chunk = points.slice(i, i + 500);
      const { rows } = await sql<{ room_id: string; sender: string; n: number | string; h: number | string | null }>`
        select r.id as room_id, x.sender, count(*) as n, sum(x.highlight) as h
        from unnest(${chunk.map((p) => p.roomId)}::text[], ${chunk.map((p) => p.after)}::bigint[]) as r(id, after)
        cross join lateral (
          select a.sender, a.highlight from event_push_actions a
          where a.user_id = ${userId} and a.room_id = r.id and a.stream_ordering > r.after ${inThread}
          order by a.stream_ordering desc limit ${cap}
        ) as x
        group by r.id, x.sender`.execute(tx);
      for (const r of rows) out.get(r.room_id)?.push({ sender: r.sender, n: Number(r.n), highlights: Number(r.h ?? 0) });
    }
    return out;
  },

  /** Thread replies that notify after `after` (the newest `cap` at most), unredacted. */
  async threadActions(tx: Tx, heldRows: HeldRows | undefined, userId: string, roomId: string, after: number, cap: number): Promise<{ thread: string; sender: string; ordering: number; highlight: boolean }[]> {
    const held = heldRows ? (await unredacted(tx, heldRows.of(userId, roomId, after).filter((r) => r.thread_id !== 'main'))).slice(0, cap) : [];
    const out = held.map((r) => ({ thread: r.thread_id, sender: r.sender, ordering: r.stream_ordering, highlight: r.highlight === 1 }));
    if (held.length >= cap) return out;
    const { rows } = await threadActionsStatement(tx, { userId, roomId, after, cap: cap - held.length });
    for (const r of rows) out.push({ thread: r.thread_id, sender: r.sender, ordering: Number(r.stream_ordering), highlight: Number(r.highlight) === 1 });
    return out;
  },

  /** A user's actions before `before`, newest first (GET /notifications). */
  async actionsBefore(tx: Tx, heldRows: HeldRows | undefined, userId: string, before: number, limit: number, onlyHighlight: boolean): Promise<PushActionRow[]> {
    const held = (heldRows?.of(userId, undefined, Number.NEGATIVE_INFINITY, before) ?? []).filter((r) => !onlyHighlight || r.highlight === 1).slice(0, limit);
    if (held.length >= limit) return held;
    let q = tx.selectFrom('event_push_actions').selectAll().where('user_id', '=', userId).where('stream_ordering', '<', before);
    if (onlyHighlight) q = q.where('highlight', '=', 1);
    const rows = await q.orderBy('stream_ordering', 'desc').limit(limit - held.length).execute();
    return [...held, ...rows.map((r) => ({ ...r, stream_ordering: Number(r.stream_ordering), highlight: Number(r.highlight) }))];
  },

  /** Rooms where the user has any action after `after` (the candidates for a badge count). */
  async roomsWithActions(tx: Tx, heldRows: HeldRows | undefined, userId: string, after: number): Promise<string[]> {
    const rows = await tx.selectFrom('event_push_actions').select('room_id').distinct().where('user_id', '=', userId).where('stream_ordering', '>', after).execute();
    const rooms = new Set(rows.map((r) => r.room_id));
    for (const r of heldRows?.of(userId, undefined, after) ?? []) rooms.add(r.room_id);
    return [...rooms];
  },

  // ---- pushers ----

  async pushersOf(tx: Tx, userId: string): Promise<PusherRow[]> {
    return tx.selectFrom('pushers').selectAll().where('user_id', '=', userId).orderBy('app_id').orderBy('pushkey').execute();
  },

  /** The http pushers of these users. */
  async httpPushersOf(tx: Tx, userIds: readonly string[]): Promise<PusherRow[]> {
    if (userIds.length === 0) return [];
    return (await httpPushersStatement(tx, { userIds })).rows;
  },

  async pusher(tx: Tx, userId: string, appId: string, pushkey: string): Promise<PusherRow | undefined> {
    return tx.selectFrom('pushers').selectAll().where('user_id', '=', userId).where('app_id', '=', appId).where('pushkey', '=', pushkey).executeTakeFirst();
  },

  async upsertPusher(tx: Tx, row: PusherRow): Promise<void> {
    const { user_id: _u, app_id: _a, pushkey: _p, ...rest } = row;
    await tx
      .insertInto('pushers')
      .values(row)
      .onConflict((oc) => oc.columns(['user_id', 'app_id', 'pushkey']).doUpdateSet(rest))
      .execute();
  },

  /** Deletes the user's pusher (and what it still had to deliver); true when there was one. */
  async deletePusher(tx: Tx, userId: string, appId: string, pushkey: string): Promise<boolean> {
    await tx.deleteFrom('push_queue').where('user_id', '=', userId).where('app_id', '=', appId).where('pushkey', '=', pushkey).execute();
    const r = await tx.deleteFrom('pushers').where('user_id', '=', userId).where('app_id', '=', appId).where('pushkey', '=', pushkey).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  },

  /** Other users' pushers with this app id and pushkey (`append: false` removes them). */
  async othersWithKey(tx: Tx, userId: string, appId: string, pushkey: string): Promise<PusherRow[]> {
    return tx.selectFrom('pushers').selectAll().where('app_id', '=', appId).where('pushkey', '=', pushkey).where('user_id', '!=', userId).execute();
  },

  // ---- queue ----

  async enqueue(tx: Tx, rows: readonly PushQueueRow[]): Promise<void> {
    if (rows.length === 0) return;
    await tx.insertInto('push_queue').values([...rows]).onConflict((oc) => oc.doNothing()).execute();
  },

  /** Rows due at `now`, oldest first. */
  async due(tx: Tx, now: number, limit: number): Promise<PushQueueRow[]> {
    const rows = await tx.selectFrom('push_queue').selectAll().where('next_attempt_ts', '<=', now).orderBy('next_attempt_ts').orderBy('stream_ordering').limit(limit).execute();
    return rows.map((r) => ({ ...r, stream_ordering: Number(r.stream_ordering), next_attempt_ts: Number(r.next_attempt_ts), created_ts: Number(r.created_ts), attempts: Number(r.attempts) }));
  },

  /** The earliest next attempt, or undefined when the queue is empty. */
  async nextDue(tx: Tx): Promise<number | undefined> {
    const row = await tx.selectFrom('push_queue').select((eb) => eb.fn.min('next_attempt_ts').as('t')).executeTakeFirst();
    return row?.t === null || row?.t === undefined ? undefined : Number(row.t);
  },

  /** Moves a row's next attempt from `from` to `to` if nobody else did: true when this caller won
   *  (a claim that holds across processes sharing one database). */
  async claim(tx: Tx, row: PushQueueRow, from: number, to: number): Promise<boolean> {
    const r = await tx
      .updateTable('push_queue')
      .set({ next_attempt_ts: to })
      .where('user_id', '=', row.user_id)
      .where('app_id', '=', row.app_id)
      .where('pushkey', '=', row.pushkey)
      .where('stream_ordering', '=', row.stream_ordering)
      .where('next_attempt_ts', '=', from)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  async retryLater(tx: Tx, row: PushQueueRow, attempts: number, at: number): Promise<void> {
    await tx
      .updateTable('push_queue')
      .set({ attempts, next_attempt_ts: at })
      .where('user_id', '=', row.user_id)
      .where('app_id', '=', row.app_id)
      .where('pushkey', '=', row.pushkey)
      .where('stream_ordering', '=', row.stream_ordering)
      .execute();
  },

  async dequeue(tx: Tx, row: Pick<PushQueueRow, 'user_id' | 'app_id' | 'pushkey' | 'stream_ordering'>): Promise<void> {
    await tx
      .deleteFrom('push_queue')
      .where('user_id', '=', row.user_id)
      .where('app_id', '=', row.app_id)
      .where('pushkey', '=', row.pushkey)
      .where('stream_ordering', '=', row.stream_ordering)
      .execute();
  },
};
