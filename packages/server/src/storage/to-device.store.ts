// Send-to-device messages waiting for a device, and the transaction ids that make sends idempotent.
// Rows only: who may see which message is decided by the sync service through the policy.

import type { Tx } from './db.ts';
import type { ToDeviceTable } from './schema.ts';
import { prepared } from './prepared.ts';

export type ToDeviceRow = ToDeviceTable;

// Read and acknowledged by every /sync of a device: built once.
const pendingStatement = prepared((tx, a: { userId: string; deviceId: string; after: number; upTo: number; limit: number }) =>
  tx
    .selectFrom('to_device')
    .selectAll()
    .where('user_id', '=', a.userId)
    .where('device_id', '=', a.deviceId)
    .where('stream_ordering', '>', a.after)
    .where('stream_ordering', '<=', a.upTo)
    .orderBy('stream_ordering')
    .limit(a.limit),
);
const acknowledgeStatement = prepared((tx, a: { userId: string; deviceId: string; upTo: number }) =>
  tx.deleteFrom('to_device').where('user_id', '=', a.userId).where('device_id', '=', a.deviceId).where('stream_ordering', '<=', a.upTo),
);

export const toDeviceStore = {
  async insert(tx: Tx, rows: readonly ToDeviceRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 200) await tx.insertInto('to_device').values(rows.slice(i, i + 200)).execute();
  },

  /** Messages for one device after position `after`, up to `upTo`, oldest first. */
  async pending(tx: Tx, userId: string, deviceId: string, after: number, upTo: number, limit: number): Promise<ToDeviceRow[]> {
    const { rows } = await pendingStatement(tx, { userId, deviceId, after, upTo, limit });
    return rows.map((r) => ({ ...r, stream_ordering: Number(r.stream_ordering) }));
  },

  /** Deletes the messages a device has acknowledged (all at or before `upTo`). */
  async acknowledge(tx: Tx, userId: string, deviceId: string, upTo: number): Promise<void> {
    await acknowledgeStatement(tx, { userId, deviceId, upTo });
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
