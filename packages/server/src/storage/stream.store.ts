// The counters every change takes its position from. Row 1 orders every persisted change (event,
// account data, receipt, to-device); row 2 orders typing changes. Each UPDATE holds its row's lock
// until commit, so positions become visible in order even when several processes write to one
// PostgreSQL database: position N+1 is handed out only after the transaction that took N ended.
// Also PostgreSQL's NOTIFY inside a transaction (delivered at its commit, in commit order).

import { sql } from 'kysely';
import type { Tx } from './db.ts';

const STREAM = 1;
const TYPING = 2;

export const streamStore = {
  async next(tx: Tx): Promise<number> {
    const row = await tx
      .updateTable('stream_counter')
      .set({ pos: sql`pos + 1` })
      .where('id', '=', STREAM)
      .returning('pos')
      .executeTakeFirstOrThrow();
    return Number(row.pos);
  },

  async current(tx: Tx): Promise<number> {
    const row = await tx.selectFrom('stream_counter').select('pos').where('id', '=', STREAM).executeTakeFirstOrThrow();
    return Number(row.pos);
  },

  /** The next typing serial. The row is created on first use, starting from the clock so that
   *  typing serials issued before it existed (they followed the clock) stay behind it. */
  async nextTyping(tx: Tx): Promise<number> {
    const row = await tx
      .insertInto('stream_counter')
      .values({ id: TYPING, pos: Date.now() })
      .onConflict((oc) => oc.column('id').doUpdateSet({ pos: sql`stream_counter.pos + 1` }))
      .returning('pos')
      .executeTakeFirstOrThrow();
    return Number(row.pos);
  },

  /** The last typing serial handed out (0 before the first). */
  async currentTyping(tx: Tx): Promise<number> {
    const row = await tx.selectFrom('stream_counter').select('pos').where('id', '=', TYPING).executeTakeFirst();
    return Number(row?.pos ?? 0);
  },

  /** PostgreSQL only: NOTIFY `channel` with `payload` when this transaction commits. */
  async announce(tx: Tx, channel: string, payload: string): Promise<void> {
    await sql`select pg_notify(${channel}, ${payload})`.execute(tx);
  },
};
