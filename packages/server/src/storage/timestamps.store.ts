// A room's events in origin_server_ts order, for timestamp_to_event, and whether a gap (a backward
// extremity we still lack) was opened by an event from a given time on. Rows only.

import type { Tx } from './db.ts';
import type { EventRow } from './events.store.ts';

/** A point in (origin_server_ts, stream_ordering) order. */
export interface TimePoint {
  ts: number;
  ordering: number;
}

export const timestampsStore = {
  /** Events strictly after `from` in the given direction ('f': later first-found, ascending;
   *  'b': descending), at most `limit`. */
  async around(tx: Tx, roomId: string, from: TimePoint, dir: 'f' | 'b', limit: number): Promise<EventRow[]> {
    const op = dir === 'f' ? '>' : '<';
    const order = dir === 'f' ? 'asc' : 'desc';
    return tx
      .selectFrom('events')
      .selectAll()
      .where('room_id', '=', roomId)
      .where((eb) =>
        eb.or([eb('origin_server_ts', op, from.ts), eb.and([eb('origin_server_ts', '=', from.ts), eb('stream_ordering', op, from.ordering)])]),
      )
      .orderBy('origin_server_ts', order)
      .orderBy('stream_ordering', order)
      .limit(limit)
      .execute();
  },

  /** Whether the room has a backward extremity we do not hold that was added by an event whose
   *  origin_server_ts is at least `ts`: events we lack may lie before it, back to `ts` or past it. */
  async gapSince(tx: Tx, roomId: string, ts: number): Promise<boolean> {
    const row = await tx
      .selectFrom('backward_extremities as b')
      .innerJoin('events as e', 'e.stream_ordering', 'b.stream_ordering')
      .select('b.event_id')
      .where('b.room_id', '=', roomId)
      .where('e.room_id', '=', roomId)
      .where('e.origin_server_ts', '>=', ts)
      .where((eb) => eb.not(eb.exists(eb.selectFrom('events as h').select('h.event_id').whereRef('h.event_id', '=', 'b.event_id'))))
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  },
};
