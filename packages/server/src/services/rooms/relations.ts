// Relations (spec "Relationships"): GET /relations, and the thread summary bundled into
// `unsigned["m.relations"]["m.thread"]`. Both count only what the viewer may see, so replies
// from ignored users neither appear nor count.

import { ErrCode, MatrixError, notFound, type ClientEvent, type JsonObject } from '@hush/spec';
import type { Db, Tx } from '../../storage/db.ts';
import { eventsStore, type EventRow } from '../../storage/events.store.ts';
import { streamStore } from '../../storage/stream.store.ts';
import { roomsStore } from '../../storage/rooms.store.ts';
import type { Requester } from '../../http/auth.ts';
import { loadIgnoreView } from '../../policy/ignore-lists.ts';
import type { RoomViewer, VisibleEvent } from '../../policy/visibility.ts';
import { formatEvent, type FormatContext } from '../events/format.ts';
import { pageToken, parsePageToken } from '../sync/tokens.ts';
import { loadViewer, redactionsFor } from './timeline.ts';

/** Thread summaries for the thread roots among `rows`, as the viewer sees them. */
export async function bundledRelations(tx: Tx, viewer: RoomViewer, rows: readonly EventRow[], ctx: Omit<FormatContext, 'relations'>): Promise<Map<string, JsonObject>> {
  const out = new Map<string, JsonObject>();
  if (rows.length === 0) return out;
  const replies = viewer.filter(await eventsStore.threadReplies(tx, rows.map((r) => r.event_id)));
  const byRoot = new Map<string, VisibleEvent[]>();
  for (const r of replies) {
    const list = byRoot.get(r.relates_to ?? '') ?? [];
    list.push(r);
    byRoot.set(r.relates_to ?? '', list);
  }
  for (const [root, list] of byRoot) {
    const latest = list.at(-1);
    if (!latest) continue;
    out.set(root, {
      'm.thread': {
        latest_event: formatEvent(latest, ctx) as unknown as JsonObject,
        count: list.length,
        current_user_participated: list.some((e) => e.sender === viewer.userId),
      },
    });
  }
  return out;
}

export interface RelationsQuery {
  from?: string;
  to?: string;
  limit?: number;
  dir?: 'b' | 'f';
}

export class RelationsService {
  constructor(private readonly db: Db) {}

  async relations(
    r: Requester,
    roomId: string,
    eventId: string,
    relType: string | undefined,
    eventType: string | undefined,
    q: RelationsQuery,
  ): Promise<{ chunk: ClientEvent[]; next_batch?: string; prev_batch?: string }> {
    return this.db.transaction().execute(async (tx) => {
      if (!(await roomsStore.getRoom(tx, roomId))) throw notFound('Event not found');
      const viewer = await loadViewer(tx, roomId, await loadIgnoreView(tx, r.userId));
      const parent = await eventsStore.byId(tx, eventId);
      if (!parent || parent.room_id !== roomId || !viewer.historyAllows(parent)) throw notFound('Event not found');
      if (!viewer.canSee(parent)) throw new MatrixError(404, ErrCode.SENDER_IGNORED, 'You have ignored the sender of this event', { sender: parent.sender });
      const dir = q.dir ?? 'b';
      const limit = Math.min(q.limit ?? 50, 1000);
      const now = await streamStore.current(tx);
      const from = q.from !== undefined ? parsePageToken(q.from) : dir === 'b' ? now : 0;
      const to = q.to !== undefined ? parsePageToken(q.to) : undefined;
      let cursor = from;
      const bound = dir === 'b' ? (to ?? 0) : Math.min(to ?? now, now);
      const chunk: VisibleEvent[] = [];
      let more = true;
      while (chunk.length < limit && more) {
        const batch = Math.max(limit * 2, 20);
        const rows =
          dir === 'b'
            ? await eventsStore.relations(tx, eventId, { relType, eventType, after: bound, upTo: cursor, dir, limit: batch })
            : await eventsStore.relations(tx, eventId, { relType, eventType, after: cursor, upTo: bound, dir, limit: batch });
        more = rows.length === batch;
        for (const row of rows) {
          cursor = dir === 'b' ? row.stream_ordering - 1 : row.stream_ordering;
          if (viewer.canSee(row)) chunk.push(row);
          if (chunk.length === limit) {
            more = true;
            break;
          }
        }
      }
      const ctx = { userId: r.userId, deviceId: r.deviceId, now: Date.now(), redactions: await redactionsFor(tx, chunk) };
      const out: { chunk: ClientEvent[]; next_batch?: string; prev_batch?: string } = { chunk: chunk.map((e) => formatEvent(e, ctx)) };
      if (more && chunk.length === limit) out.next_batch = pageToken(cursor);
      if (q.from !== undefined) out.prev_batch = q.from;
      return out;
    });
  }
}
