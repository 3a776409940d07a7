// GET /rooms/{roomId}/timestamp_to_event (spec, v1.6): the event closest to a timestamp in one
// direction, among the events the viewer may see — history visibility and the ignore policy (MSC4406
// lists this endpoint among those that skip ignored senders' events). 404 M_NOT_FOUND when there
// is none, also for unknown rooms and rooms whose history the viewer may not read.

import { notFound, type RoomId } from '@hush/protocol';
import type { Db } from '../../storage/db.ts';
import { timestampsStore, type TimePoint } from '../../storage/timestamps.store.ts';
import type { Requester } from '../requester.ts';
import type { IgnoreViews } from '../../policy/ignore-lists.ts';
import { loadViewer } from './timeline.ts';

/** Rows read per query while looking for a visible event. */
const BATCH = 100;
/** Rows looked at in all, at most, before answering that nothing is close. */
const MAX_ROWS = 10_000;

export async function eventByTimestamp(db: Db, ignoreViews: IgnoreViews, r: Requester, roomId: RoomId, ts: number, dir: 'f' | 'b'): Promise<{ event_id: string; origin_server_ts: number }> {
  return db.transaction().execute(async (tx) => {
    const viewer = await loadViewer(tx, roomId, await ignoreViews.load(tx, r.userId));
    // Inclusive of `ts` itself: start just before it in the direction of travel.
    let from: TimePoint = dir === 'f' ? { ts, ordering: -1 } : { ts, ordering: Number.MAX_SAFE_INTEGER };
    for (let read = 0; read < MAX_ROWS; read += BATCH) {
      const rows = await timestampsStore.around(tx, roomId, from, dir, BATCH);
      for (const row of rows) {
        if (viewer.canSee(row)) return { event_id: row.event_id, origin_server_ts: row.origin_server_ts };
        from = { ts: row.origin_server_ts, ordering: row.stream_ordering };
      }
      if (rows.length < BATCH) break;
    }
    throw notFound(`Unable to find an event from ${ts} in the ${dir === 'f' ? 'forward' : 'backward'} direction`);
  });
}
