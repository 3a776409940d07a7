// Filling the gaps after an un-ignore: while a user was ignored the server left their events out of
// every /sync, so each affected room is read back through /messages (which re-filters with the new
// lists) as far as the oldest event held, and its timeline replaced by that window.

import { api, type ClientEvent } from '@hush/protocol';
import type { HttpClient } from './http.ts';
import type { ClientStore } from './store.ts';

export interface RefillOptions {
  /** Events per /messages request. */
  pageSize: number;
  /** Pages read before the room counts as a gap that cannot be filled. */
  maxPages: number;
}

/** Reads `roomId` back to the oldest event held and puts the window in place. False when the oldest
 *  event held was not reached within `maxPages` (the caller then starts over with a fresh sync). */
export async function refillRoom(http: HttpClient, store: ClientStore, roomId: string, opts: RefillOptions): Promise<boolean> {
  const oldest = store.oldestEventId(roomId);
  const window: ClientEvent[] = [];
  let from: string | undefined;
  for (let page = 0; page < opts.maxPages; page++) {
    const res = await http.request(api.getRoomEvents, { params: { roomId }, query: { dir: 'b', limit: opts.pageSize, ...(from !== undefined ? { from } : {}) } });
    const chunk = res.chunk.map((e) => ({ ...e, room_id: roomId }) as ClientEvent);
    window.push(...chunk);
    const atStart = res.end === undefined || chunk.length === 0;
    if (oldest === undefined || atStart || chunk.some((e) => e.event_id === oldest)) {
      store.replaceTimeline(roomId, window.reverse(), atStart ? null : (res.end ?? null));
      return true;
    }
    from = res.end;
  }
  return false;
}
