// Start-up on SQLite (decision 0047): push actions and search index rows are held in memory after
// their event commits and written in batches, so a crash loses those of the events committed since
// the last flush. Each flush stores the position it covers; the events after it are recorded and
// indexed again here, before the server answers. (Their deliveries to push gateways were queued in
// their own transactions.)

import type { Db } from '../storage/db.ts';
import { eventsStore } from '../storage/events.store.ts';
import { flushedUpTo, setFlushedUpTo } from '../storage/held-rows.ts';
import { searchStore } from '../storage/search.store.ts';
import { streamStore } from '../storage/stream.store.ts';
import type { PduCache } from './events/pdu-cache.ts';
import type { PushRecorder } from './push/record.ts';

const BATCH = 500;

/** Records again the push actions of the events after the last flush, and indexes them again
 *  for search; how many events that was. */
export async function recordLostHeldRows(db: Db, recorder: PushRecorder, pdus: PduCache): Promise<number> {
  const from = await flushedUpTo(db);
  const current = await streamStore.current(db);
  // A database from before decision 0047 wrote every event's actions with it: nothing was held.
  if (from === undefined) {
    await setFlushedUpTo(db, current);
    return 0;
  }
  let at = from;
  let n = 0;
  for (;;) {
    const rows = await eventsStore.after(db, at, BATCH);
    if (rows.length === 0) break;
    await db.transaction().execute(async (tx) => {
      for (const row of rows) {
        const pdu = pdus.parse(row);
        await recorder.recordAgain(tx, row, pdu);
        await searchStore.remove(tx, row.stream_ordering);
        if (row.redacted_by === null) await searchStore.index(tx, row, pdu.content);
      }
      at = rows.at(-1)!.stream_ordering;
      await setFlushedUpTo(tx, at);
    });
    n += rows.length;
  }
  if (current > at) await setFlushedUpTo(db, current);
  return n;
}
