// The homeserver's signing keys (ed25519 seeds). Shared by every process on one database.

import type { Tx } from './db.ts';

export const serverKeysStore = {
  async first(tx: Tx): Promise<{ keyId: string; seed: string } | undefined> {
    const row = await tx.selectFrom('server_keys').select(['key_id', 'seed']).orderBy('created_ts').orderBy('key_id').executeTakeFirst();
    return row && { keyId: row.key_id, seed: row.seed };
  },

  async insertIfAbsent(tx: Tx, keyId: string, seed: string): Promise<void> {
    await tx
      .insertInto('server_keys')
      .values({ key_id: keyId, seed, created_ts: Date.now() })
      .onConflict((oc) => oc.column('key_id').doNothing())
      .execute();
  },
};
