// Account data, global (room_id '') and per room, with the stream position of its last change.

import type { Tx } from './db.ts';
import { prepared } from './prepared.ts';

const changedSinceStatement = prepared((tx, a: { userId: string; after: number; upTo: number }) =>
  tx.selectFrom('account_data').select(['room_id', 'type', 'content', 'stream_ordering']).where('user_id', '=', a.userId).where('stream_ordering', '>', a.after).where('stream_ordering', '<=', a.upTo),
);
const newestOrderingStatement = prepared((tx, a: { userId: string; roomId: string; types: readonly string[] }) =>
  tx
    .selectFrom('account_data')
    .select((eb) => eb.fn.max('stream_ordering').as('pos'))
    .where('user_id', '=', a.userId)
    .where('room_id', '=', a.roomId)
    .where('type', 'in', a.types),
);

export interface AccountDataRow {
  roomId: string;
  type: string;
  content: string;
  ordering: number;
}

export const accountDataStore = {
  async put(tx: Tx, userId: string, roomId: string, type: string, content: string, ordering: number): Promise<void> {
    await tx
      .insertInto('account_data')
      .values({ user_id: userId, room_id: roomId, type, content, stream_ordering: ordering })
      .onConflict((oc) => oc.columns(['user_id', 'room_id', 'type']).doUpdateSet({ content, stream_ordering: ordering }))
      .execute();
  },

  /** The content and stream position of one entry (the position tells a cached parse is current). */
  async get(tx: Tx, userId: string, roomId: string, type: string): Promise<{ content: string; ordering: number } | undefined> {
    const row = await tx
      .selectFrom('account_data')
      .select(['content', 'stream_ordering'])
      .where('user_id', '=', userId)
      .where('room_id', '=', roomId)
      .where('type', '=', type)
      .executeTakeFirst();
    return row && { content: row.content, ordering: row.stream_ordering };
  },

  /** The newest stream position among these types (0 when none is set). */
  async newestOrdering(tx: Tx, userId: string, roomId: string, types: readonly string[]): Promise<number> {
    const { rows } = await newestOrderingStatement(tx, { userId, roomId, types });
    return Number(rows[0]?.pos ?? 0);
  },

  async getMany(tx: Tx, userId: string, roomId: string, types: readonly string[]): Promise<{ type: string; content: string }[]> {
    return tx.selectFrom('account_data').select(['type', 'content']).where('user_id', '=', userId).where('room_id', '=', roomId).where('type', 'in', types).execute();
  },

  /** Everything changed with after < ordering ≤ upTo (after = 0 for all). */
  async changedSince(tx: Tx, userId: string, after: number, upTo: number): Promise<AccountDataRow[]> {
    const { rows } = await changedSinceStatement(tx, { userId, after, upTo });
    return rows.map((r) => ({ roomId: r.room_id, type: r.type, content: r.content, ordering: r.stream_ordering }));
  },
};
