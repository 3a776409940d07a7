// Rooms (version, creator, the head event new events follow) and room aliases. Rows only.

import { PostgresAdapter } from 'kysely';
import type { Tx } from './db.ts';
import type { RoomsTable } from './schema.ts';

export const roomsStore = {
  async insertRoom(tx: Tx, row: RoomsTable): Promise<void> {
    await tx.insertInto('rooms').values(row).execute();
  },

  /** The room row; on PostgreSQL locked until commit, so concurrent senders take turns per room. */
  async getRoomForUpdate(tx: Tx, roomId: string): Promise<RoomsTable | undefined> {
    let q = tx.selectFrom('rooms').selectAll().where('room_id', '=', roomId);
    if (tx.getExecutor().adapter instanceof PostgresAdapter) q = q.forUpdate();
    return q.executeTakeFirst();
  },

  async getRoom(tx: Tx, roomId: string): Promise<RoomsTable | undefined> {
    return tx.selectFrom('rooms').selectAll().where('room_id', '=', roomId).executeTakeFirst();
  },

  async setHead(tx: Tx, roomId: string, eventId: string, depth: number): Promise<void> {
    await tx.updateTable('rooms').set({ head_event_id: eventId, head_depth: depth }).where('room_id', '=', roomId).execute();
  },

  async insertAlias(tx: Tx, alias: string, roomId: string, creator: string): Promise<boolean> {
    const res = await tx
      .insertInto('room_aliases')
      .values({ alias, room_id: roomId, creator })
      .onConflict((oc) => oc.column('alias').doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) === 1;
  },

  async getAlias(tx: Tx, alias: string): Promise<{ roomId: string; creator: string } | undefined> {
    const row = await tx.selectFrom('room_aliases').select(['room_id', 'creator']).where('alias', '=', alias).executeTakeFirst();
    return row && { roomId: row.room_id, creator: row.creator };
  },

  async deleteAlias(tx: Tx, alias: string): Promise<void> {
    await tx.deleteFrom('room_aliases').where('alias', '=', alias).execute();
  },

  async aliasesOf(tx: Tx, roomId: string): Promise<string[]> {
    const rows = await tx.selectFrom('room_aliases').select('alias').where('room_id', '=', roomId).orderBy('alias').execute();
    return rows.map((r) => r.alias);
  },
};
