// The rooms two users are both joined to (table `memberships`), in room id order, for
// GET /mutual_rooms. Rows only.

import { sql } from 'kysely';
import type { Tx } from './db.ts';

function shared(tx: Tx, a: string, b: string) {
  return tx
    .selectFrom('memberships as m1')
    .innerJoin('memberships as m2', 'm1.room_id', 'm2.room_id')
    .where('m1.user_id', '=', a)
    .where('m1.membership', '=', 'join')
    .where('m2.user_id', '=', b)
    .where('m2.membership', '=', 'join');
}

export const mutualRoomsStore = {
  /** Up to `limit` shared rooms after `after` (exclusive), by room id. */
  async page(tx: Tx, a: string, b: string, after: string | undefined, limit: number): Promise<string[]> {
    let q = shared(tx, a, b).select('m1.room_id');
    if (after !== undefined) q = q.where('m1.room_id', '>', after);
    return (await q.orderBy('m1.room_id').limit(limit).execute()).map((r) => r.room_id);
  },

  async count(tx: Tx, a: string, b: string): Promise<number> {
    const r = await shared(tx, a, b).select(sql<number | string>`count(*)`.as('n')).executeTakeFirst();
    return Number(r?.n ?? 0);
  },
};
