// Rooms (version, creator, the head event new events follow) and room aliases. Rows only.

import { PostgresAdapter } from 'kysely';
import type { Tx } from './db.ts';
import type { RoomsTable } from './schema.ts';
import { prepared } from './prepared.ts';

const roomForUpdate = prepared((tx, a: { roomId: string }) => {
  const q = tx.selectFrom('rooms').selectAll().where('room_id', '=', a.roomId);
  return tx.getExecutor().adapter instanceof PostgresAdapter ? q.forUpdate() : q;
});
const setHeadStatement = prepared(
  (tx, a: { roomId: string; eventId: string; depth: number }) => tx.updateTable('rooms').set({ head_event_id: a.eventId, head_depth: a.depth }).where('room_id', '=', a.roomId),
  { deferrable: (a) => [`rooms\u0000${a.roomId}`] },
);

export const roomsStore = {
  async insertRoom(tx: Tx, row: RoomsTable): Promise<void> {
    await tx.insertInto('rooms').values(row).execute();
  },

  /** The room row; on PostgreSQL locked until commit, so concurrent senders take turns per room. */
  async getRoomForUpdate(tx: Tx, roomId: string): Promise<RoomsTable | undefined> {
    return (await roomForUpdate(tx, { roomId })).rows[0];
  },

  async getRoom(tx: Tx, roomId: string): Promise<RoomsTable | undefined> {
    return tx.selectFrom('rooms').selectAll().where('room_id', '=', roomId).executeTakeFirst();
  },

  async setHead(tx: Tx, roomId: string, eventId: string, depth: number): Promise<void> {
    await setHeadStatement(tx, { roomId, eventId, depth });
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

  /** Publishes the room in (or withdraws it from) the room directory; false when there is no such room. */
  async setPublic(tx: Tx, roomId: string, isPublic: boolean): Promise<boolean> {
    const res = await tx.updateTable('rooms').set({ is_public: isPublic ? 1 : 0 }).where('room_id', '=', roomId).executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  },

  /** The rooms published in the room directory. */
  async publicRoomIds(tx: Tx): Promise<string[]> {
    const rows = await tx.selectFrom('rooms').select('room_id').where('is_public', '=', 1).orderBy('room_id').execute();
    return rows.map((r) => r.room_id);
  },
};
