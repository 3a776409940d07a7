// Extended profile fields (table `profile_fields`, spec v1.16): a user's fields beyond displayname and
// avatar_url, each value stored as canonical JSON. Rows only; which keys and sizes are allowed is the
// service's (services/profile-fields.ts).

import { PostgresAdapter } from 'kysely';
import type { Tx } from './db.ts';

export const profileFieldsStore = {
  /** On PostgreSQL, holds the user's row until commit: one size decision per user at a time
   *  (SQLite serialises writers anyway). */
  async lockUser(tx: Tx, userId: string): Promise<void> {
    if (!(tx.getExecutor().adapter instanceof PostgresAdapter)) return;
    await tx.selectFrom('users').select('user_id').where('user_id', '=', userId).forUpdate().execute();
  },

  /** Every extended field of the user, key → canonical JSON of the value. */
  async all(tx: Tx, userId: string): Promise<Map<string, string>> {
    const rows = await tx.selectFrom('profile_fields').select(['key', 'value']).where('user_id', '=', userId).orderBy('key').execute();
    return new Map(rows.map((r) => [r.key, r.value]));
  },

  async get(tx: Tx, userId: string, key: string): Promise<string | undefined> {
    return (await tx.selectFrom('profile_fields').select('value').where('user_id', '=', userId).where('key', '=', key).executeTakeFirst())?.value;
  },

  async put(tx: Tx, userId: string, key: string, value: string): Promise<void> {
    await tx
      .insertInto('profile_fields')
      .values({ user_id: userId, key, value })
      .onConflict((oc) => oc.columns(['user_id', 'key']).doUpdateSet({ value }))
      .execute();
  },

  async delete(tx: Tx, userId: string, key: string): Promise<void> {
    await tx.deleteFrom('profile_fields').where('user_id', '=', userId).where('key', '=', key).execute();
  },
};
