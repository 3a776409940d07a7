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
import type { HeldRows } from '../../storage/held-rows.ts';

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

/** Where the user's `m.read` receipts of a room stand: unthreaded, `main`, and per thread root. */
export interface ReadPositions {
  unthreaded: number;
  byThread: Map<string, number>;
}

async function readPositions(tx: Tx, roomId: string, userId: string): Promise<ReadPositions> {
  return (await readPositionsIn(tx, [roomId], userId)).get(roomId) ?? { unthreaded: 0, byThread: new Map() };
}

/** The read positions of many rooms in two queries (an initial /sync of many rooms); a room
 *  without receipts is absent. */
export async function readPositionsIn(tx: Tx, roomIds: readonly string[], userId: string): Promise<Map<string, ReadPositions>> {
  const receipts = roomIds.length === 1 ? await receiptsStore.ofUserAllThreads(tx, roomIds[0]!, userId, 'm.read') : await receiptsStore.ofUserInRooms(tx, roomIds, userId, 'm.read');
  const out = new Map<string, ReadPositions>();
  if (receipts.length === 0) return out;
  const orderings = new Map((await eventsStore.byIds(tx, receipts.map((r) => r.event_id))).map((e) => [e.event_id, e.stream_ordering]));
  for (const r of receipts) {
    let p = out.get(r.room_id);
    if (!p) out.set(r.room_id, (p = { unthreaded: 0, byThread: new Map() }));
    const at = orderings.get(r.event_id) ?? 0;
    p.byThread.set(r.thread_id, at);
    if (r.thread_id === '') p.unthreaded = at;
  }
  return out;
}

/** What `countUnread` counts first, per sender: notifying events after the read position. */
export type SenderCounts = { sender: string; n: number; highlights: number }[];

/** The per-sender counts of `countUnread` for many rooms at once (an initial /sync), from their
 *  read positions (`readPositionsIn`; a room without one reads from the start). */
export async function senderCountsIn(tx: Tx, roomIds: readonly string[], userId: string, reads: Map<string, ReadPositions>, threaded: boolean, held: HeldRows | undefined): Promise<Map<string, SenderCounts>> {
  const points = roomIds.map((roomId) => ({ roomId, after: mainReadOf(reads.get(roomId) ?? { unthreaded: 0, byThread: new Map<string, number>() }, threaded) }));
  return pushStore.countBySenderIn(tx, held, userId, points, MAX_UNREAD_COUNTED, threaded ? 'main' : undefined);
}

function mainReadOf(read: ReadPositions, threaded: boolean): number {
  return threaded ? Math.max(read.unthreaded, read.byThread.get('main') ?? 0) : read.unthreaded;
}

/** Unread counts of one room for one user. One grouped count over the room's push actions for the
 *  user; the ignore policy then drops whole senders (a hash lookup each). With `threaded` (the
 *  filter's `unread_thread_notifications`), thread replies count per thread, each against the
 *  later of the unthreaded receipt and that thread's receipt, and the room count leaves them out
 *  ("main"). */
export async function countUnread(tx: Tx, roomId: string, userId: string, ignore: IgnoreView, held: HeldRows | undefined, threaded = false, known?: ReadPositions | null, knownCounts?: SenderCounts): Promise<UnreadCounts> {
  // `known`: read beforehand with the other rooms' (readPositionsIn); null: the room has no receipt.
  // `knownCounts`: the per-sender counts, read beforehand from the same positions (senderCountsIn).
  const read = known === undefined ? await readPositions(tx, roomId, userId) : (known ?? { unthreaded: 0, byThread: new Map<string, number>() });
  const main: Counts = { notification_count: 0, highlight_count: 0 };
  const bySender = knownCounts ?? (await pushStore.countBySender(tx, held, userId, roomId, mainReadOf(read, threaded), MAX_UNREAD_COUNTED, threaded ? 'main' : undefined));
  for (const c of bySender) {
    if (hidesUser(ignore, c.sender)) continue;
    main.notification_count += c.n;
    main.highlight_count += c.highlights;
  }
  if (!threaded) return { main, threads: null };
  const threads: Record<string, Counts> = {};
  for (const reply of await pushStore.threadActions(tx, held, userId, roomId, read.unthreaded, MAX_UNREAD_COUNTED)) {
    if (reply.ordering <= (read.byThread.get(reply.thread) ?? 0) || hidesUser(ignore, reply.sender)) continue;
    const t = (threads[reply.thread] ??= { notification_count: 0, highlight_count: 0 });
    t.notification_count++;
    if (reply.highlight) t.highlight_count++;
  }
  return { main, threads };
}
