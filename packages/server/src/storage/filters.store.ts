// Stored sync filters, numbered per user.

import type { Tx } from './db.ts';

/** Attempts before giving up on a number. Each lost race means another filter of the same user
 *  committed meanwhile, so a transaction loses at most once per concurrent create of that user:
 *  a client creates one or two at a time; the test runs 40 at once on 20 connections. */
const MAX_TRIES = 64;

export const filtersStore = {
  /** The next number after the user's highest. Two transactions (two processes on PostgreSQL) may
   *  pick the same one: the loser's insert does nothing (no error, the transaction stays usable)
   *  and it reads the highest number again, which now includes the winner's. */
  async insert(tx: Tx, userId: string, json: string): Promise<number> {
    for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
      const row = await tx
        .selectFrom('filters')
        .select((eb) => eb.fn.max('filter_id').as('max'))
        .where('user_id', '=', userId)
        .executeTakeFirst();
      const id = Number(row?.max ?? -1) + 1;
      const inserted = await tx
        .insertInto('filters')
        .values({ user_id: userId, filter_id: id, json })
        .onConflict((oc) => oc.columns(['user_id', 'filter_id']).doNothing())
        .returning('filter_id')
        .executeTakeFirst();
      if (inserted) return id;
    }
    throw new Error(`could not number a filter for ${userId} after ${MAX_TRIES} tries`);
  },

  async get(tx: Tx, userId: string, filterId: number): Promise<string | undefined> {
    const row = await tx.selectFrom('filters').select('json').where('user_id', '=', userId).where('filter_id', '=', filterId).executeTakeFirst();
    return row?.json;
  },
};
