// Stored sync filters, numbered per user.

import type { Tx } from './db.ts';

export const filtersStore = {
  async insert(tx: Tx, userId: string, json: string): Promise<number> {
    const row = await tx
      .selectFrom('filters')
      .select((eb) => eb.fn.max('filter_id').as('max'))
      .where('user_id', '=', userId)
      .executeTakeFirst();
    const id = Number(row?.max ?? -1) + 1;
    await tx.insertInto('filters').values({ user_id: userId, filter_id: id, json }).execute();
    return id;
  },

  async get(tx: Tx, userId: string, filterId: number): Promise<string | undefined> {
    const row = await tx.selectFrom('filters').select('json').where('user_id', '=', userId).where('filter_id', '=', filterId).executeTakeFirst();
    return row?.json;
  },
};
