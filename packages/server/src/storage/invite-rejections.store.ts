// Pending rejections of invites from other servers (decision 0039): one row per (user, room) whose
// leave could not be made yet. Rows only: when to try, what the lists say and how to leave is
// services/rooms/invite-rejections.ts's.

import type { Db, Tx } from './db.ts';
import type { InviteRejectionsTable } from './schema.ts';

export type InviteRejectionRow = InviteRejectionsTable;

export const inviteRejectionsStore = {
  /** Adds a pending rejection, or brings an existing one's next try forward to `nextTs`. */
  async put(db: Db | Tx, row: InviteRejectionRow): Promise<void> {
    await db
      .insertInto('invite_rejections')
      .values(row)
      .onConflict((oc) => oc.columns(['user_id', 'room_id']).doUpdateSet({ sender: row.sender, next_ts: row.next_ts }))
      .execute();
  },

  /** Rows whose next try has come, soonest first. */
  async due(db: Db | Tx, now: number, limit: number): Promise<InviteRejectionRow[]> {
    return db.selectFrom('invite_rejections').selectAll().where('next_ts', '<=', now).orderBy('next_ts').limit(limit).execute();
  },

  /** The earliest next try of all rows (undefined: none pending). */
  async soonest(db: Db | Tx): Promise<number | undefined> {
    const row = await db.selectFrom('invite_rejections').select((eb) => eb.fn.min('next_ts').as('t')).executeTakeFirst();
    return row?.t === null || row?.t === undefined ? undefined : Number(row.t);
  },

  /** Takes a row for one try: moves its next try to `leaseUntil` if nobody moved it since it was
   *  read (another process racing for it loses). */
  async claim(db: Db | Tx, row: InviteRejectionRow, leaseUntil: number): Promise<boolean> {
    const res = await db
      .updateTable('invite_rejections')
      .set({ next_ts: leaseUntil })
      .where('user_id', '=', row.user_id)
      .where('room_id', '=', row.room_id)
      .where('next_ts', '=', row.next_ts)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  },

  async reschedule(db: Db | Tx, userId: string, roomId: string, attempts: number, nextTs: number): Promise<void> {
    await db.updateTable('invite_rejections').set({ attempts, next_ts: nextTs }).where('user_id', '=', userId).where('room_id', '=', roomId).execute();
  },

  /** Rows waiting (their next try still to come), at most `limit`. */
  async waiting(db: Db | Tx, now: number, limit: number): Promise<InviteRejectionRow[]> {
    return db.selectFrom('invite_rejections').selectAll().where('next_ts', '>', now).orderBy('next_ts').limit(limit).execute();
  },

  async remove(db: Db | Tx, userId: string, roomId: string): Promise<void> {
    await db.deleteFrom('invite_rejections').where('user_id', '=', userId).where('room_id', '=', roomId).execute();
  },
};
