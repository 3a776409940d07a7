// GET /notifications (spec "Listing notifications"): the events whose push actions (decided by the
// user's push rules when each was written: push/record.ts) said notify, newest first, that the
// user may see now — so ignoring someone also removes their earlier notifications, un-ignoring
// brings them back, and an invite from an ignored user is never listed. Pages stay full: the scan
// goes on until `limit` notifications pass or the user's actions run out.

import type { ClientEvent, NotificationItem, NotificationsResponse, PushAction } from '@hush/protocol';
import type { Db, Tx } from '../storage/db.ts';
import { eventsStore } from '../storage/events.store.ts';
import { pushStore } from '../storage/push.store.ts';
import { receiptsStore } from '../storage/receipts.store.ts';
import { streamStore } from '../storage/stream.store.ts';
import type { Requester } from './requester.ts';
import type { Caches } from './caches.ts';
import { hidesInvite, type IgnoreView } from '../policy/ignore.ts';
import type { RoomViewer, VisibleEvent } from '../policy/visibility.ts';
import { parsePdu } from './events/format.ts';
import { presentTimeline } from './rooms/present.ts';
import { loadViewer } from './rooms/timeline.ts';
import { pageToken, parsePageToken } from './sync/tokens.ts';

const BATCH = 100;

export class NotificationService {
  constructor(
    private readonly db: Db,
    private readonly caches: Pick<Caches, 'ignoreViews' | 'pdus' | 'heldRows'>,
  ) {}

  async list(r: Requester, q: { from?: string; limit?: number; only?: string }): Promise<NotificationsResponse> {
    const limit = Math.max(1, Math.min(q.limit ?? 20, 100));
    return this.db.transaction().execute(async (tx) => {
      const ignore = await this.caches.ignoreViews.load(tx, r.userId);
      const viewers = new Map<string, RoomViewer>();
      const viewer = async (roomId: string) => {
        let v = viewers.get(roomId);
        if (!v) viewers.set(roomId, (v = await loadViewer(tx, roomId, ignore)));
        return v;
      };
      // Tokens name the last position returned; the next page starts below it.
      let cursor = q.from !== undefined ? parsePageToken(q.from) : (await streamStore.current(tx)) + 1;
      const found: { row: VisibleEvent; actions: PushAction[] }[] = [];
      let exhausted = false;
      while (found.length < limit && !exhausted) {
        const batch = await pushStore.actionsBefore(tx, this.caches.heldRows, r.userId, cursor, BATCH, q.only === 'highlight');
        exhausted = batch.length < BATCH;
        const events = new Map((await eventsStore.byIds(tx, batch.map((a) => a.event_id))).map((e) => [e.event_id, e]));
        for (const a of batch) {
          cursor = a.stream_ordering;
          const row = events.get(a.event_id);
          if (!row || row.redacted_by !== null) continue;
          const v = await viewer(a.room_id);
          if (!v.canSee(row) || isHiddenInvite(ignore, row, r.userId)) continue;
          found.push({ row, actions: JSON.parse(a.actions) as PushAction[] });
          if (found.length === limit) break;
        }
      }
      const notifications: NotificationItem[] = [];
      const readUpTo = new Map<string, number>();
      for (const { row, actions } of found) {
        const [event] = await presentTimeline(tx, this.caches.pdus, await viewer(row.room_id), r, [row]);
        if (!readUpTo.has(row.room_id)) readUpTo.set(row.room_id, await readPosition(tx, row.room_id, r.userId));
        notifications.push({
          actions,
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

/** An invite of the user by someone the invite rules hide (ignored users, MSC4155, policy rooms). */
function isHiddenInvite(ignore: IgnoreView, row: VisibleEvent, userId: string): boolean {
  if (row.type !== 'm.room.member' || row.state_key !== userId) return false;
  return parsePdu(row).content['membership'] === 'invite' && hidesInvite(ignore, row.sender, row.room_id);
}

async function readPosition(tx: Tx, roomId: string, userId: string): Promise<number> {
  const receipt = await receiptsStore.ofUser(tx, roomId, userId, 'm.read');
  return receipt ? ((await eventsStore.byId(tx, receipt.event_id))?.stream_ordering ?? 0) : 0;
}
