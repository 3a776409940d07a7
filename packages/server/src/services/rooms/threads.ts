// GET /rooms/{roomId}/threads (spec "Threading", v1.4): thread roots, newest thread activity first,
// each with its bundled summary. A root the viewer may not see (history visibility, or an ignored
// sender — the ignore contract hides ignored users' events on every read path rather than the
// spec's "returned redacted") is left out, as is a thread with no reply the viewer may see; pages
// are refilled so they stay full.

import { forbidden, type ClientEvent, type RoomId } from '@hush/protocol';
import type { Db, Tx } from '../../storage/db.ts';
import { eventsStore } from '../../storage/events.store.ts';
import { roomsStore } from '../../storage/rooms.store.ts';
import { stateStore } from '../../storage/state.store.ts';
import { streamStore } from '../../storage/stream.store.ts';
import { threadsStore } from '../../storage/threads.store.ts';
import type { Requester } from '../requester.ts';
import type { Caches } from '../caches.ts';
import type { VisibleEvent } from '../../policy/visibility.ts';
import { parsePdu } from '../events/format.ts';
import { pageToken, parsePageToken } from '../sync/tokens.ts';
import { presentTimeline } from './present.ts';
import { loadViewer } from './timeline.ts';

export interface ThreadsQuery {
  include?: 'all' | 'participated';
  limit?: number;
  from?: string;
}

export class ThreadsService {
  constructor(
    private readonly db: Db,
    private readonly caches: Pick<Caches, 'ignoreViews' | 'pdus'>,
  ) {}

  async threadRoots(r: Requester, roomId: RoomId, q: ThreadsQuery): Promise<{ chunk: ClientEvent[]; next_batch?: string }> {
    const limit = q.limit ?? 20;
    return this.db.transaction().execute(async (tx) => {
      // "The room does not exist" is a 403 like a room the user may not view.
      if (!(await roomsStore.getRoom(tx, roomId)) || !(await this.mayAsk(tx, r.userId, roomId))) throw forbidden('You are not allowed to view this room');
      const viewer = await loadViewer(tx, roomId, await this.caches.ignoreViews.load(tx, r.userId));
      let upTo = q.from !== undefined ? parsePageToken(q.from) : await streamStore.current(tx);
      const roots: VisibleEvent[] = [];
      const batch = Math.min(Math.max(limit * 2, 20), 200);
      for (;;) {
        const refs = await threadsStore.roots(tx, roomId, upTo, batch);
        const rows = new Map((await eventsStore.byIds(tx, refs.map((x) => x.rootId))).map((e) => [e.event_id, e]));
        const replies = viewer.filter(await eventsStore.threadReplies(tx, refs.map((x) => x.rootId)));
        for (const ref of refs) {
          upTo = ref.latest - 1;
          const root = rows.get(ref.rootId);
          if (!root || root.room_id !== roomId || !viewer.canSee(root)) continue;
          const mine = replies.filter((e) => e.relates_to === ref.rootId);
          if (mine.length === 0) continue;
          if (q.include === 'participated' && root.sender !== r.userId && !mine.some((e) => e.sender === r.userId)) continue;
          roots.push(root);
          if (roots.length === limit) return { chunk: await presentTimeline(tx, this.caches.pdus, viewer, r, roots), next_batch: pageToken(upTo) };
        }
        if (refs.length < batch) return { chunk: await presentTimeline(tx, this.caches.pdus, viewer, r, roots) };
      }
    });
  }

  /** Anyone who ever had a membership in the room may ask (what they see is up to the viewer);
   *  others only when the history is world_readable now. */
  private async mayAsk(tx: Tx, userId: string, roomId: string): Promise<boolean> {
    if (await stateStore.membership(tx, roomId, userId)) return true;
    const hv = await stateStore.currentStateEventId(tx, roomId, 'm.room.history_visibility', '');
    const row = hv ? await eventsStore.byId(tx, hv) : undefined;
    return row !== undefined && parsePdu(row).content['history_visibility'] === 'world_readable';
  }
}
