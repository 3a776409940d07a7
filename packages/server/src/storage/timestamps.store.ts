// A room's events in origin_server_ts order, for timestamp_to_event. Rows only.

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
};
