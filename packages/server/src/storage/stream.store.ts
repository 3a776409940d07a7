// The one stream counter every persisted change (event, account data, receipt) takes its position
// from. The UPDATE holds the counter's row lock until commit, so positions become visible in
// order even when several processes write to one PostgreSQL database.

import { sql } from 'kysely';
import type { Tx } from './db.ts';

export const streamStore = {
  async next(tx: Tx): Promise<number> {
    const row = await tx
      .updateTable('stream_counter')
      .set({ pos: sql`pos + 1` })
      .where('id', '=', 1)
      .returning('pos')
      .executeTakeFirstOrThrow();
    return Number(row.pos);
  },

  async current(tx: Tx): Promise<number> {
    const row = await tx.selectFrom('stream_counter').select('pos').where('id', '=', 1).executeTakeFirstOrThrow();
    return Number(row.pos);
  },
};
