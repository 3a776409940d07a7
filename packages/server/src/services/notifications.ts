// GET /notifications (spec "Listing notifications"): events in the user's joined rooms that would
// notify them, newest first, decided at read time — so ignoring someone also removes their earlier
// notifications, and un-ignoring brings them back.

import type { ClientEvent, JsonObject, NotificationItem, NotificationsResponse } from '@hush/spec';
import type { Db } from '../storage/db.ts';
import { eventsStore } from '../storage/events.store.ts';
import { receiptsStore } from '../storage/receipts.store.ts';
import { stateStore } from '../storage/state.store.ts';
import { streamStore } from '../storage/stream.store.ts';
import type { Requester } from '../http/auth.ts';
import { loadIgnoreView } from '../policy/ignore-lists.ts';
import type { RoomViewer } from '../policy/visibility.ts';
import { parsePdu } from './events/format.ts';
import { presentTimeline } from './rooms/present.ts';
import { loadViewer } from './rooms/timeline.ts';
import { NOTIFYING_TYPES } from './sync/unread.ts';
import { pageToken, parsePageToken } from './sync/tokens.ts';

type Notification = NotificationItem;

/** Whether an event mentions the user (m.mentions, or the body naming them): a highlight. */
export function mentions(content: JsonObject, userId: string): boolean {
  const m = content['m.mentions'];
  if (m && typeof m === 'object' && !Array.isArray(m)) {
    const ids = m['user_ids'];
    if (Array.isArray(ids) && ids.includes(userId)) return true;
  }
  const body = content['body'];
  return typeof body === 'string' && body.includes(userId.slice(1, userId.indexOf(':')));
}

export class NotificationService {
  constructor(private readonly db: Db) {}

  async list(r: Requester, q: { from?: string; limit?: number; only?: string }): Promise<NotificationsResponse> {
    const limit = Math.min(q.limit ?? 20, 100);
    return this.db.transaction().execute(async (tx) => {
      const ignore = await loadIgnoreView(tx, r.userId);
      const joined = (await stateStore.membershipsOfUser(tx, r.userId)).filter((m) => m.membership === 'join').map((m) => m.room_id);
      const viewers = new Map<string, RoomViewer>();
      const readUpTo = new Map<string, number>();
      for (const roomId of joined) {
        viewers.set(roomId, await loadViewer(tx, roomId, ignore));
        const receipt = await receiptsStore.ofUser(tx, roomId, r.userId, 'm.read');
        readUpTo.set(roomId, receipt ? ((await eventsStore.byId(tx, receipt.event_id))?.stream_ordering ?? 0) : 0);
      }
      let cursor = q.from !== undefined ? parsePageToken(q.from) : await streamStore.current(tx);
      const found: { row: Parameters<typeof presentTimeline>[3][number]; highlight: boolean }[] = [];
      let exhausted = false;
      while (found.length < limit && !exhausted) {
        const batch = await eventsStore.recentInRooms(tx, joined, cursor, 200);
        exhausted = batch.length < 200;
        for (const row of batch) {
          cursor = row.stream_ordering - 1;
          if (row.sender === r.userId || !NOTIFYING_TYPES.has(row.type) || row.redacted_by !== null) continue;
          const viewer = viewers.get(row.room_id);
          if (!viewer || !viewer.canSee(row)) continue;
          const highlight = mentions(parsePdu(row).content, r.userId);
          if (q.only === 'highlight' && !highlight) continue;
          found.push({ row, highlight });
          if (found.length === limit) break;
        }
      }
      const notifications: Notification[] = [];
      for (const { row, highlight } of found) {
        const viewer = viewers.get(row.room_id) as RoomViewer;
        const [event] = await presentTimeline(tx, viewer, r, [row]);
        notifications.push({
          actions: highlight ? ['notify', { set_tweak: 'highlight' }] : ['notify'],
          event: event as ClientEvent,
          read: row.stream_ordering <= (readUpTo.get(row.room_id) ?? 0),
          room_id: row.room_id,
          ts: row.origin_server_ts,
        });
      }
      const out: NotificationsResponse = { notifications };
      // A full page may have more behind it; an empty next page is the price of not scanning ahead.
      if (found.length === limit) out.next_token = pageToken(cursor);
      return out;
    });
  }
}
