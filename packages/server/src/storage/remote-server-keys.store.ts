// Other servers' verify keys, as fetched and checked by federation/keys: one row per (server, key
// id), with the signed response it came in (what a notary serves again). No policy here.

import type { Tx } from './db.ts';

export interface RemoteKeyRow {
  serverName: string;
  keyId: string;
  key: string;
  validUntilTs: number;
  expiredTs: number | null;
  fetchedTs: number;
  responseJson: string;
}

function toRow(r: {
  server_name: string;
  key_id: string;
  key: string;
  valid_until_ts: number;
  expired_ts: number | null;
  fetched_ts: number;
  response_json: string;
}): RemoteKeyRow {
  return {
    serverName: r.server_name,
    keyId: r.key_id,
    key: r.key,
    validUntilTs: Number(r.valid_until_ts),
    expiredTs: r.expired_ts === null ? null : Number(r.expired_ts),
    fetchedTs: Number(r.fetched_ts),
    responseJson: r.response_json,
  };
}

const COLUMNS = ['server_name', 'key_id', 'key', 'valid_until_ts', 'expired_ts', 'fetched_ts', 'response_json'] as const;

export const remoteServerKeysStore = {
  async get(tx: Tx, serverName: string, keyId: string): Promise<RemoteKeyRow | undefined> {
    const row = await tx.selectFrom('remote_server_keys').select(COLUMNS).where('server_name', '=', serverName).where('key_id', '=', keyId).executeTakeFirst();
    return row && toRow(row);
  },

  async forServer(tx: Tx, serverName: string): Promise<RemoteKeyRow[]> {
    const rows = await tx.selectFrom('remote_server_keys').select(COLUMNS).where('server_name', '=', serverName).orderBy('key_id').execute();
    return rows.map(toRow);
  },

  /** Inserts or replaces the rows (same server and key id: the newer fetch wins). */
  async upsert(tx: Tx, rows: readonly RemoteKeyRow[]): Promise<void> {
    for (const r of rows) {
      const values = {
        server_name: r.serverName,
        key_id: r.keyId,
        key: r.key,
        valid_until_ts: r.validUntilTs,
        expired_ts: r.expiredTs,
        fetched_ts: r.fetchedTs,
        response_json: r.responseJson,
      };
      await tx
        .insertInto('remote_server_keys')
        .values(values)
        .onConflict((oc) =>
          oc.columns(['server_name', 'key_id']).doUpdateSet({
            key: values.key,
            valid_until_ts: values.valid_until_ts,
            expired_ts: values.expired_ts,
            fetched_ts: values.fetched_ts,
            response_json: values.response_json,
          }),
        )
        .execute();
    }
  },
};
