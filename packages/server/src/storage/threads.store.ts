// Thread roots of a room (events with m.thread replies), newest activity first. Rows only.

import type { Tx } from './db.ts';

export interface ThreadRootRef {
  rootId: string;
  /** Stream position of the thread's newest unredacted reply. */
  latest: number;
}

export const threadsStore = {
  /** Threads whose newest reply lies at or before `upTo`, newest reply first. */
  async roots(tx: Tx, roomId: string, upTo: number, limit: number): Promise<ThreadRootRef[]> {
    const rows = await tx
      .selectFrom('events')
      .select('relates_to')
      .select((eb) => eb.fn.max('stream_ordering').as('latest'))
      .where('room_id', '=', roomId)
      .where('rel_type', '=', 'm.thread')
      .where('redacted_by', 'is', null)
      .groupBy('relates_to')
      .having((eb) => eb.fn.max('stream_ordering'), '<=', upTo)
      .orderBy('latest', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ rootId: r.relates_to ?? '', latest: Number(r.latest) }));
  },
};
