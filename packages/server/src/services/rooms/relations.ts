// GET /relations (spec "Relationships"): the events relating to a parent, as the viewer sees them
// (pages filled; replies from ignored users never appear). Thread summaries live in present.ts.

import { notFound, type ClientEvent, type EventId, type RoomId } from '@hush/protocol';
import type { Db } from '../../storage/db.ts';
import { eventsStore } from '../../storage/events.store.ts';
import { streamStore } from '../../storage/stream.store.ts';
import { roomsStore } from '../../storage/rooms.store.ts';
import type { Requester } from '../requester.ts';
import type { Caches } from '../caches.ts';
import { pageToken, parsePageToken } from '../sync/tokens.ts';
import { presentTimeline } from './present.ts';
import { loadViewer, scanRows, visibleOr404, type RowSource } from './timeline.ts';

export interface RelationsQuery {
  from?: string;
  to?: string;
  limit?: number;
  dir?: 'b' | 'f';
}

export class RelationsService {
  constructor(
    private readonly db: Db,
    private readonly caches: Pick<Caches, 'ignoreViews' | 'pdus'>,
  ) {}

  async relations(
    r: Requester,
    roomId: RoomId,
    eventId: EventId,
    relType: string | undefined,
    eventType: string | undefined,
    q: RelationsQuery,
  ): Promise<{ chunk: ClientEvent[]; next_batch?: string; prev_batch?: string }> {
    return this.db.transaction().execute(async (tx) => {
      if (!(await roomsStore.getRoom(tx, roomId))) throw notFound('Event not found');
      const viewer = await loadViewer(tx, roomId, await this.caches.ignoreViews.load(tx, r.userId));
      visibleOr404(viewer, await eventsStore.byId(tx, eventId), roomId);
      const dir = q.dir ?? 'b';
      const limit = Math.min(q.limit ?? 50, 1000);
      const now = await streamStore.current(tx);
      const from = q.from !== undefined ? parsePageToken(q.from) : dir === 'b' ? now : 0;
      const to = q.to !== undefined ? parsePageToken(q.to) : undefined;
      const bound = dir === 'b' ? (to ?? 0) : Math.min(to ?? now, now);
      const source: RowSource = (after, upTo, d, n) => eventsStore.relations(tx, eventId, { relType, eventType, after, upTo, dir: d, limit: n });
      const res = await scanRows(source, viewer, dir, from, bound, limit);
      const out: { chunk: ClientEvent[]; next_batch?: string; prev_batch?: string } = { chunk: await presentTimeline(tx, this.caches.pdus, viewer, r, res.events) };
      if (!res.exhausted) out.next_batch = pageToken(res.last);
      if (q.from !== undefined) out.prev_batch = q.from;
      return out;
    });
  }
}
