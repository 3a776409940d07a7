// Send-to-device messages waiting for a device, and the transaction ids that make sends idempotent.
// Rows only: who may see which message is decided by the sync service through the policy.

import type { Tx } from './db.ts';
import type { ToDeviceTable } from './schema.ts';

export type ToDeviceRow = ToDeviceTable;

export const toDeviceStore = {
  async insert(tx: Tx, rows: readonly ToDeviceRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 200) await tx.insertInto('to_device').values(rows.slice(i, i + 200)).execute();
  },

  /** Messages for one device after position `after`, up to `upTo`, oldest first. */
  async pending(tx: Tx, userId: string, deviceId: string, after: number, upTo: number, limit: number): Promise<ToDeviceRow[]> {
    const rows = await tx
      .selectFrom('to_device')
      .selectAll()
      .where('user_id', '=', userId)
      .where('device_id', '=', deviceId)
      .where('stream_ordering', '>', after)
      .where('stream_ordering', '<=', upTo)
      .orderBy('stream_ordering')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ ...r, stream_ordering: Number(r.stream_ordering) }));
  },

  /** Deletes the messages a device has acknowledged (all at or before `upTo`). */
  async acknowledge(tx: Tx, userId: string, deviceId: string, upTo: number): Promise<void> {
    await tx.deleteFrom('to_device').where('user_id', '=', userId).where('device_id', '=', deviceId).where('stream_ordering', '<=', upTo).execute();
  },

  /** Records a send's transaction id; false when this device already used it. */
  async claimTxn(tx: Tx, userId: string, deviceId: string, txnId: string): Promise<boolean> {
    const res = await tx
      .insertInto('to_device_txns')
      .values({ user_id: userId, device_id: deviceId, txn_id: txnId, created_ts: Date.now() })
      .onConflict((oc) => oc.columns(['user_id', 'device_id', 'txn_id']).doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0n) > 0;
  },

};
