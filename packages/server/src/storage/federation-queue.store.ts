// Federation's outbound queue and per-destination sending state (decision 0031). Rows only: what
// to batch, when to retry and who may send is decided in federation/outbound/queue.ts.

import type { Db, Tx } from './db.ts';
import type { FederationDestinationsTable, FederationQueueTable } from './schema.ts';

export type QueueRow = FederationQueueTable;
export type DestinationRow = FederationDestinationsTable;

export const federationQueueStore = {
  /** Queues items (a PDU already queued for a destination is not queued twice). Also makes sure
   *  each destination has its row, so a scan finds it. */
  async enqueue(tx: Tx, rows: readonly QueueRow[]): Promise<void> {
    if (rows.length === 0) return;
    await tx.insertInto('federation_queue').values([...rows]).onConflict((oc) => oc.doNothing()).execute();
    const destinations = [...new Set(rows.map((r) => r.destination))];
    await tx
      .insertInto('federation_destinations')
      .values(destinations.map((destination) => ({ destination, txn_id: null, txn_ids: null, failures: 0, retry_at: 0, down: 0, lease_owner: null, lease_expires: 0 })))
      .onConflict((oc) => oc.column('destination').doNothing())
      .execute();
  },

  /** The oldest `limit` items of one kind for a destination. */
  async oldest(db: Db | Tx, destination: string, kind: 'pdu' | 'edu', limit: number): Promise<QueueRow[]> {
    return db.selectFrom('federation_queue').selectAll().where('destination', '=', destination).where('kind', '=', kind).orderBy('id').limit(limit).execute();
  },

  async byKeys(db: Db | Tx, destination: string, keys: readonly (readonly [string, number])[]): Promise<QueueRow[]> {
    if (keys.length === 0) return [];
    const rows = await db.selectFrom('federation_queue').selectAll().where('destination', '=', destination).where('id', 'in', keys.map((k) => k[1])).execute();
    const wanted = new Set(keys.map(([k, id]) => `${k}:${id}`));
    return rows.filter((r) => wanted.has(`${r.kind}:${r.id}`));
  },

  async remove(db: Db | Tx, destination: string, keys: readonly (readonly [string, number])[]): Promise<void> {
    for (const kind of ['pdu', 'edu']) {
      const ids = keys.filter((k) => k[0] === kind).map((k) => k[1]);
      if (ids.length === 0) continue;
      await db.deleteFrom('federation_queue').where('destination', '=', destination).where('kind', '=', kind).where('id', 'in', ids).execute();
    }
  },

  async destination(db: Db | Tx, destination: string): Promise<DestinationRow | undefined> {
    return db.selectFrom('federation_destinations').selectAll().where('destination', '=', destination).executeTakeFirst();
  },

  /** Destinations with something queued whose retry time has come (or which are down and due). */
  async due(db: Db, now: number, limit: number): Promise<string[]> {
    const rows = await db
      .selectFrom('federation_destinations')
      .select('destination')
      .where('retry_at', '<=', now)
      .where('lease_expires', '<', now)
      .where((eb) => eb.exists(eb.selectFrom('federation_queue').select('id').whereRef('federation_queue.destination', '=', 'federation_destinations.destination')))
      .limit(limit)
      .execute();
    return rows.map((r) => r.destination);
  },

  /** Takes (or renews) the sending lease: true when `owner` now holds it. One conditional UPDATE,
   *  atomic on SQLite and PostgreSQL alike: a live lease of another process is never taken. */
  async takeLease(db: Db, destination: string, owner: string, now: number, ttlMs: number): Promise<boolean> {
    const res = await db
      .updateTable('federation_destinations')
      .set({ lease_owner: owner, lease_expires: now + ttlMs })
      .where('destination', '=', destination)
      .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_owner', '=', owner), eb('lease_expires', '<', now)]))
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  },

  async releaseLease(db: Db, destination: string, owner: string): Promise<void> {
    await db.updateTable('federation_destinations').set({ lease_owner: null, lease_expires: 0 }).where('destination', '=', destination).where('lease_owner', '=', owner).execute();
  },

  /** Records the batch about to be sent (its id is reused until it is delivered). */
  async setBatch(db: Db, destination: string, owner: string, txnId: string | null, keys: readonly (readonly [string, number])[] | null): Promise<void> {
    await db
      .updateTable('federation_destinations')
      .set({ txn_id: txnId, txn_ids: keys === null ? null : JSON.stringify(keys) })
      .where('destination', '=', destination)
      .where('lease_owner', '=', owner)
      .execute();
  },

  async setRetry(db: Db, destination: string, failures: number, retryAt: number, down: boolean): Promise<void> {
    await db.updateTable('federation_destinations').set({ failures, retry_at: retryAt, down: down ? 1 : 0 }).where('destination', '=', destination).execute();
  },
};
