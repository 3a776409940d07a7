// unread_notifications: events after the user's read receipt whose push actions (decided by the
// user's push rules when each event was written: push/record.ts) said notify or highlight, not
// redacted, and — decided at read time — not sent by anyone the user ignores now, so ignoring
// removes earlier ones and un-ignoring brings them back.

import type { Tx } from '../../storage/db.ts';
import { eventsStore } from '../../storage/events.store.ts';
import { pushStore } from '../../storage/push.store.ts';
import { receiptsStore } from '../../storage/receipts.store.ts';
import type { IgnoreView } from '../../policy/ignore.ts';
import { hidesUser } from '../../policy/ignore.ts';

/** Unread events counted per room at most: past this a client shows "999+" anyway, and the
 *  count stays a bounded read however far behind the user is. */
export const MAX_UNREAD_COUNTED = 1000;

export interface Counts {
  notification_count: number;
  highlight_count: number;
}

export interface UnreadCounts {
  main: Counts;
  /** Per thread root, only threads with something unread; null unless asked for. */
  threads: Record<string, Counts> | null;
}

/** Where the user's `m.read` receipts stand: unthreaded, `main`, and per thread root. */
async function readPositions(tx: Tx, roomId: string, userId: string): Promise<{ unthreaded: number; byThread: Map<string, number> }> {
  const receipts = await receiptsStore.ofUserAllThreads(tx, roomId, userId, 'm.read');
  if (receipts.length === 0) return { unthreaded: 0, byThread: new Map() };
  const orderings = new Map((await eventsStore.byIds(tx, receipts.map((r) => r.event_id))).map((e) => [e.event_id, e.stream_ordering]));
  const byThread = new Map(receipts.map((r) => [r.thread_id, orderings.get(r.event_id) ?? 0]));
  return { unthreaded: byThread.get('') ?? 0, byThread };
}

/** Unread counts of one room for one user. One grouped count over the room's push actions for the
 *  user; the ignore policy then drops whole senders (a hash lookup each). With `threaded` (the
 *  filter's `unread_thread_notifications`), thread replies count per thread, each against the
 *  later of the unthreaded receipt and that thread's receipt, and the room count leaves them out
 *  ("main"). */
export async function countUnread(tx: Tx, roomId: string, userId: string, ignore: IgnoreView, threaded = false): Promise<UnreadCounts> {
  const read = await readPositions(tx, roomId, userId);
  const mainRead = threaded ? Math.max(read.unthreaded, read.byThread.get('main') ?? 0) : read.unthreaded;
  const main: Counts = { notification_count: 0, highlight_count: 0 };
  for (const c of await pushStore.countBySender(tx, userId, roomId, mainRead, MAX_UNREAD_COUNTED, threaded ? 'main' : undefined)) {
    if (hidesUser(ignore, c.sender)) continue;
    main.notification_count += c.n;
    main.highlight_count += c.highlights;
  }
  if (!threaded) return { main, threads: null };
  const threads: Record<string, Counts> = {};
  for (const reply of await pushStore.threadActions(tx, userId, roomId, read.unthreaded, MAX_UNREAD_COUNTED)) {
    if (reply.ordering <= (read.byThread.get(reply.thread) ?? 0) || hidesUser(ignore, reply.sender)) continue;
    const t = (threads[reply.thread] ??= { notification_count: 0, highlight_count: 0 });
    t.notification_count++;
    if (reply.highlight) t.highlight_count++;
  }
  return { main, threads };
}
