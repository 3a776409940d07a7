// Events of every room in stream order, their transaction ids and redaction marks. Rows only.

import { PostgresAdapter, sql } from 'kysely';
import type { Tx } from './db.ts';
import type { EventsTable } from './schema.ts';
import { prepared } from './prepared.ts';

const insertEvent = prepared((tx, row: EventRow) => tx.insertInto('events').values(row), { deferrable: () => [] });
const findTxnStatement = prepared((tx, a: { userId: string; deviceId: string; txnId: string }) =>
  tx.selectFrom('event_txns').select('event_id').where('user_id', '=', a.userId).where('device_id', '=', a.deviceId).where('txn_id', '=', a.txnId),
);
/** A room's events in a range, newest or oldest first (every /sync timeline, /messages). */
const rangeStatement = (dir: 'asc' | 'desc') =>
  prepared((tx, a: { roomId: string; after: number; upTo: number; limit: number }) =>
    tx.selectFrom('events').selectAll().where('room_id', '=', a.roomId).where('stream_ordering', '>', a.after).where('stream_ordering', '<=', a.upTo).orderBy('stream_ordering', dir).limit(a.limit),
  );
const rangeBackStatement = rangeStatement('desc');
const rangeForwardStatement = rangeStatement('asc');
const threadRepliesStatement = prepared((tx, a: { rootIds: readonly string[] }) =>
  tx.selectFrom('events').selectAll().where('relates_to', 'in', [...a.rootIds]).where('rel_type', '=', 'm.thread').where('redacted_by', 'is', null).orderBy('stream_ordering', 'asc'),
);
const roomsWithEventsStatement = prepared((tx, a: { roomIds: readonly string[]; after: number; upTo: number }) =>
  tx.selectFrom('events').select('room_id').distinct().where('room_id', 'in', [...a.roomIds]).where('stream_ordering', '>', a.after).where('stream_ordering', '<=', a.upTo),
);
const insertTxnStatement = prepared((tx, row: { user_id: string; device_id: string; txn_id: string; event_id: string; created_ts: number }) => tx.insertInto('event_txns').values(row), {
  deferrable: () => [],
});

export type EventRow = EventsTable;

export const eventsStore = {
  async insert(tx: Tx, row: EventRow): Promise<void> {
    await insertEvent(tx, row);
  },

  async byId(tx: Tx, eventId: string): Promise<EventRow | undefined> {
    return tx.selectFrom('events').selectAll().where('event_id', '=', eventId).executeTakeFirst();
  },

  async byIds(tx: Tx, eventIds: readonly string[]): Promise<EventRow[]> {
    if (eventIds.length === 0) return [];
    const out: EventRow[] = [];
    for (let i = 0; i < eventIds.length; i += 500) {
      const chunk = eventIds.slice(i, i + 500);
      out.push(...(await tx.selectFrom('events').selectAll().where('event_id', 'in', chunk).execute()));
    }
    return out;
  },

  /** Of these positions, those of events that exist and are not redacted (in statements of 1,000). */
  async unredactedAmong(tx: Tx, orderings: readonly number[]): Promise<Set<number>> {
    const out = new Set<number>();
    const unique = [...new Set(orderings)];
    for (let i = 0; i < unique.length; i += 1_000) {
      const rows = await tx.selectFrom('events').select('stream_ordering').where('stream_ordering', 'in', unique.slice(i, i + 1_000)).where('redacted_by', 'is', null).execute();
      for (const r of rows) out.add(Number(r.stream_ordering));
    }
    return out;
  },

  /** Timeline events of every room after `after`, oldest first. */
  async after(tx: Tx, after: number, limit: number): Promise<EventRow[]> {
    return tx.selectFrom('events').selectAll().where('stream_ordering', '>', after).orderBy('stream_ordering', 'asc').limit(limit).execute();
  },

  /** Events of a room with after < ordering ≤ upTo: newest first ('b') or oldest first ('f'). */
  async range(tx: Tx, roomId: string, after: number, upTo: number, dir: 'b' | 'f', limit: number): Promise<EventRow[]> {
    return (await (dir === 'b' ? rangeBackStatement : rangeForwardStatement)(tx, { roomId, after, upTo, limit })).rows;
  },

  /** `range(room, 0, upTo, 'b', limit)` of many rooms (an initial /sync), by room: on PostgreSQL
   *  one query per 500 rooms (a lateral join, each room's newest rows by its index); on SQLite,
   *  in-process, the per-room query itself. */
  async newestInRooms(tx: Tx, roomIds: readonly string[], upTo: number, limit: number): Promise<Map<string, EventRow[]>> {
    const out = new Map<string, EventRow[]>(roomIds.map((id) => [id, []]));
    if (!(tx.getExecutor().adapter instanceof PostgresAdapter)) {
      for (const id of roomIds) out.set(id, await this.range(tx, id, 0, upTo, 'b', limit));
      return out;
    }
    for (let i = 0; i < roomIds.length; i += 500) {
      const chunk = roomIds.slice(i, i + 500);
      const { rows } = await sql<EventRow>`select e.* from unnest(${chunk}::text[]) as r(id) cross join lateral (select * from events where room_id = r.id and stream_ordering > 0 and stream_ordering <= ${upTo} order by stream_ordering desc limit ${limit}) as e`.execute(tx);
      for (const row of rows) out.get(row.room_id)?.push(row);
    }
    for (const rows of out.values()) rows.sort((a, b) => b.stream_ordering - a.stream_ordering);
    return out;
  },

  /** Which of these rooms have events with after < ordering ≤ upTo. */
  async roomsWithEvents(tx: Tx, roomIds: readonly string[], after: number, upTo: number): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < roomIds.length; i += 500) {
      const { rows } = await roomsWithEventsStatement(tx, { roomIds: roomIds.slice(i, i + 500), after, upTo });
      for (const r of rows) out.add(r.room_id);
    }
    return out;
  },

  /** Events relating to `eventId` (optionally of one rel_type and event type), after < ordering ≤ upTo. */
  async relations(
    tx: Tx,
    eventId: string,
    opts: { relType?: string; eventType?: string; after: number; upTo: number; dir: 'b' | 'f'; limit: number },
  ): Promise<EventRow[]> {
    let q = tx
      .selectFrom('events')
      .selectAll()
      .where('relates_to', '=', eventId)
      .where('redacted_by', 'is', null)
      .where('stream_ordering', '>', opts.after)
      .where('stream_ordering', '<=', opts.upTo);
    if (opts.relType !== undefined) q = q.where('rel_type', '=', opts.relType);
    if (opts.eventType !== undefined) q = q.where('type', '=', opts.eventType);
    return q.orderBy('stream_ordering', opts.dir === 'b' ? 'desc' : 'asc').limit(opts.limit).execute();
  },

  /** Thread replies (rel_type m.thread) of several roots, oldest first. */
  async threadReplies(tx: Tx, rootIds: readonly string[]): Promise<EventRow[]> {
    if (rootIds.length === 0) return [];
    return (await threadRepliesStatement(tx, { rootIds })).rows;
  },

  /** Recent events of several rooms with after < ordering ≤ upTo, newest first (for /notifications). */
  async recentInRooms(tx: Tx, roomIds: readonly string[], before: number, limit: number): Promise<EventRow[]> {
    if (roomIds.length === 0) return [];
    return tx
      .selectFrom('events')
      .selectAll()
      .where('room_id', 'in', roomIds.slice(0, 1000))
      .where('stream_ordering', '<=', before)
      .where('state_key', 'is', null)
      .orderBy('stream_ordering', 'desc')
      .limit(limit)
      .execute();
  },

  /** Per sender, how many unredacted non-state events of these types follow `after` in a room,
   *  looking at the newest `cap` of them at most (counts are shown as "999+" beyond that). */
  /** Recent events per sender after `after` (at most `cap` newest); `withoutThreads` leaves out
   *  thread replies (rel_type m.thread), which then count per thread instead. */
  async countBySender(tx: Tx, roomId: string, after: number, types: readonly string[], excludeSender: string, cap: number, withoutThreads = false): Promise<Map<string, number>> {
    const rows = await tx
      .selectFrom((eb) => {
        let q = eb
          .selectFrom('events')
          .select('sender')
          .where('room_id', '=', roomId)
          .where('stream_ordering', '>', after)
          .where('state_key', 'is', null)
          .where('redacted_by', 'is', null)
          .where('type', 'in', types)
          .where('sender', '!=', excludeSender);
        if (withoutThreads) q = q.where((w) => w.or([w('rel_type', 'is', null), w('rel_type', '!=', 'm.thread')]));
        return q.orderBy('stream_ordering', 'desc').limit(cap).as('recent');
      })
      .select(['recent.sender'])
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .groupBy('recent.sender')
      .execute();
    return new Map(rows.map((r) => [r.sender, Number(r.n)]));
  },

  /** Thread replies after `after` (at most `cap` newest): root, sender and position of each. */
  async recentThreadReplies(tx: Tx, roomId: string, after: number, types: readonly string[], excludeSender: string, cap: number): Promise<{ root: string; sender: string; ordering: number }[]> {
    const rows = await tx
      .selectFrom('events')
      .select(['relates_to', 'sender', 'stream_ordering'])
      .where('room_id', '=', roomId)
      .where('stream_ordering', '>', after)
      .where('state_key', 'is', null)
      .where('redacted_by', 'is', null)
      .where('rel_type', '=', 'm.thread')
      .where('type', 'in', types)
      .where('sender', '!=', excludeSender)
      .orderBy('stream_ordering', 'desc')
      .limit(cap)
      .execute();
    return rows.map((r) => ({ root: r.relates_to ?? '', sender: r.sender, ordering: Number(r.stream_ordering) }));
  },

  async setRedactedBy(tx: Tx, eventId: string, redactionId: string): Promise<void> {
    await tx.updateTable('events').set({ redacted_by: redactionId }).where('event_id', '=', eventId).where('redacted_by', 'is', null).execute();
  },

  async findTxn(tx: Tx, userId: string, deviceId: string, txnId: string): Promise<string | undefined> {
    return (await findTxnStatement(tx, { userId, deviceId, txnId })).rows[0]?.event_id;
  },

  async insertTxn(tx: Tx, userId: string, deviceId: string, txnId: string, eventId: string): Promise<void> {
    await insertTxnStatement(tx, { user_id: userId, device_id: deviceId, txn_id: txnId, event_id: eventId, created_ts: Date.now() });
  },
};
