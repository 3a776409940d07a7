// Backfilled events (decision 0033): events older than anything a room held here, fetched from
// another server, take stream positions below every existing one (negative, counting down), so
// /messages pages back into them and /sync (which moves forward) never shows them. Rows only.

import type { Tx } from './db.ts';
import type { EventRow } from './events.store.ts';

export const backfillStore = {
  /** The room's oldest `limit` events, oldest first. */
  async oldest(tx: Tx, roomId: string, limit: number): Promise<EventRow[]> {
    return tx.selectFrom('events').selectAll().where('room_id', '=', roomId).orderBy('stream_ordering', 'asc').limit(limit).execute();
  },

  /** Which of these ids are held (timeline or outliers). */
  async held(tx: Tx, ids: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < ids.length; i += 500) {
      const part = ids.slice(i, i + 500);
      for (const r of await tx.selectFrom('events').select('event_id').where('event_id', 'in', part).execute()) out.add(r.event_id);
      for (const r of await tx.selectFrom('event_outliers').select('event_id').where('event_id', 'in', part).execute()) out.add(r.event_id);
    }
    return out;
  },

  /** The room's backfilled events (negative positions), at most `limit`. */
  async backfilled(tx: Tx, roomId: string, limit: number): Promise<EventRow[]> {
    return tx.selectFrom('events').selectAll().where('room_id', '=', roomId).where('stream_ordering', '<', 0).orderBy('stream_ordering', 'desc').limit(limit).execute();
  },

  /** Deletes events by position (backfilled ones being renumbered). */
  async removeAt(tx: Tx, orderings: readonly number[]): Promise<void> {
    for (let i = 0; i < orderings.length; i += 500) await tx.deleteFrom('events').where('stream_ordering', 'in', orderings.slice(i, i + 500)).execute();
  },

  /** The next position below every event's (-1 when all are positive). */
  async nextBelow(tx: Tx): Promise<number> {
    const row = await tx.selectFrom('events').select((eb) => eb.fn.min('stream_ordering').as('low')).executeTakeFirst();
    const low = row?.low === null || row?.low === undefined ? 1 : Number(row.low);
    return Math.min(low, 0) - 1;
  },
};
