// unread_notifications: messages after the user's read receipt that would notify, not sent by the
// user and — computed at read time — not sent by anyone the user ignores now.

import type { Tx } from '../../storage/db.ts';
import { eventsStore } from '../../storage/events.store.ts';
import { receiptsStore } from '../../storage/receipts.store.ts';
import type { IgnoreView } from '../../policy/ignore.ts';
import { hidesUser } from '../../policy/ignore.ts';

export const NOTIFYING_TYPES = new Set(['m.room.message', 'm.room.encrypted', 'm.sticker', 'm.call.invite', 'm.poll.start']);
const NOTIFYING = [...NOTIFYING_TYPES];
/** Unread events counted per room at most: past this a client shows "999+" anyway, and the
 *  count stays a bounded read however far behind the user is. */
export const MAX_UNREAD_COUNTED = 1000;

/** One grouped count per room; the ignore policy then drops whole senders (a hash lookup each). */
export async function countUnread(tx: Tx, roomId: string, userId: string, ignore: IgnoreView): Promise<{ notification_count: number; highlight_count: number }> {
  const receipt = await receiptsStore.ofUser(tx, roomId, userId, 'm.read');
  const readUpTo = receipt ? ((await eventsStore.byId(tx, receipt.event_id))?.stream_ordering ?? 0) : 0;
  let n = 0;
  for (const [sender, count] of await eventsStore.countBySender(tx, roomId, readUpTo, NOTIFYING, userId, MAX_UNREAD_COUNTED)) {
    if (!hidesUser(ignore, sender)) n += count;
  }
  return { notification_count: n, highlight_count: 0 };
}
