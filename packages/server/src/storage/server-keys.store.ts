// The homeserver's signing keys (ed25519 seeds). Shared by every process on one database. The
// current key has no expired_ts; replaced keys keep theirs (served as old_verify_keys).

import type { Tx } from './db.ts';

export interface ServerKeyRow {
  keyId: string;
  seed: string;
  createdTs: number;
  expiredTs: number | null;
}

export const serverKeysStore = {
  /** The key to sign with: the oldest key not replaced. (Oldest, so that processes starting at once
   *  on one database, each storing a fresh key, all settle on the same one.) */
  async current(tx: Tx): Promise<{ keyId: string; seed: string } | undefined> {
    const row = await tx
      .selectFrom('server_keys')
      .select(['key_id', 'seed'])
      .where('expired_ts', 'is', null)
      .orderBy('created_ts')
      .orderBy('key_id')
      .executeTakeFirst();
    return row && { keyId: row.key_id, seed: row.seed };
  },

  /** The oldest key (kept for callers that predate rotation). */
  async first(tx: Tx): Promise<{ keyId: string; seed: string } | undefined> {
    const row = await tx.selectFrom('server_keys').select(['key_id', 'seed']).orderBy('created_ts').orderBy('key_id').executeTakeFirst();
    return row && { keyId: row.key_id, seed: row.seed };
  },

  async all(tx: Tx): Promise<ServerKeyRow[]> {
    const rows = await tx.selectFrom('server_keys').select(['key_id', 'seed', 'created_ts', 'expired_ts']).orderBy('created_ts').orderBy('key_id').execute();
    return rows.map((r) => ({ keyId: r.key_id, seed: r.seed, createdTs: Number(r.created_ts), expiredTs: r.expired_ts === null ? null : Number(r.expired_ts) }));
  },

  async insertIfAbsent(tx: Tx, keyId: string, seed: string, createdTs = Date.now()): Promise<void> {
    await tx
      .insertInto('server_keys')
      .values({ key_id: keyId, seed, created_ts: createdTs })
      .onConflict((oc) => oc.column('key_id').doNothing())
      .execute();
  },

  /** Marks every current key expired at `ts`. */
  async expireCurrent(tx: Tx, ts: number): Promise<void> {
    await tx.updateTable('server_keys').set({ expired_ts: ts }).where('expired_ts', 'is', null).execute();
  },
};
