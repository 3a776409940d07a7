// Read receipts: the latest per (room, type, user, thread), with its stream position.

import type { Tx } from './db.ts';
import type { ReceiptsTable } from './schema.ts';
import { prepared } from './prepared.ts';

const inRoomsSinceStatement = prepared((tx, a: { roomIds: readonly string[]; after: number; upTo: number }) =>
  tx.selectFrom('receipts').selectAll().where('room_id', 'in', [...a.roomIds]).where('stream_ordering', '>', a.after).where('stream_ordering', '<=', a.upTo),
);
const ofUserAllThreadsStatement = prepared((tx, a: { roomId: string; userId: string; receiptType: string }) =>
  tx.selectFrom('receipts').selectAll().where('room_id', '=', a.roomId).where('user_id', '=', a.userId).where('receipt_type', '=', a.receiptType),
);

export type ReceiptRow = ReceiptsTable;

export const receiptsStore = {
  async put(tx: Tx, row: ReceiptRow): Promise<void> {
    await tx
      .insertInto('receipts')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['room_id', 'receipt_type', 'user_id', 'thread_id']).doUpdateSet({ event_id: row.event_id, ts: row.ts, stream_ordering: row.stream_ordering }),
      )
      .execute();
  },

  async inRoomsSince(tx: Tx, roomIds: readonly string[], after: number, upTo: number): Promise<ReceiptRow[]> {
    const out: ReceiptRow[] = [];
    for (let i = 0; i < roomIds.length; i += 500) {
      out.push(...(await inRoomsSinceStatement(tx, { roomIds: roomIds.slice(i, i + 500), after, upTo })).rows);
    }
    return out;
  },

  async ofUser(tx: Tx, roomId: string, userId: string, receiptType: string): Promise<ReceiptRow | undefined> {
    return tx
      .selectFrom('receipts')
      .selectAll()
      .where('room_id', '=', roomId)
      .where('user_id', '=', userId)
      .where('receipt_type', '=', receiptType)
      .where('thread_id', '=', '')
      .executeTakeFirst();
  },

  /** The user's receipts of one type in a room, for every thread (`''`: unthreaded, `main`, roots). */
  async ofUserAllThreads(tx: Tx, roomId: string, userId: string, receiptType: string): Promise<ReceiptRow[]> {
    return (await ofUserAllThreadsStatement(tx, { roomId, userId, receiptType })).rows;
  },

  /** The user's receipts of one type in many rooms at once (an initial /sync), 500 rooms a query. */
  async ofUserInRooms(tx: Tx, roomIds: readonly string[], userId: string, receiptType: string): Promise<ReceiptRow[]> {
    const out: ReceiptRow[] = [];
    for (let i = 0; i < roomIds.length; i += 500) {
      const chunk = roomIds.slice(i, i + 500);
      out.push(...(await tx.selectFrom('receipts').selectAll().where('room_id', 'in', chunk).where('user_id', '=', userId).where('receipt_type', '=', receiptType).execute()));
    }
    return out;
  },
};
