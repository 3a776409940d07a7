// Room predecessors: which room a room's create event names as its `predecessor` (a room upgrade),
// so that lists naming a room can follow it to its successors. Rows only.

import type { Kysely } from 'kysely';
import type { Tx } from './db.ts';

/** The `predecessor.room_id` of a create event's content, when it names one. */
export function predecessorOf(content: Record<string, unknown>): string | undefined {
  const p = content['predecessor'];
  if (!p || typeof p !== 'object' || Array.isArray(p)) return undefined;
  const id = (p as Record<string, unknown>)['room_id'];
  return typeof id === 'string' && id.startsWith('!') && id.length <= 255 ? id : undefined;
}

export const roomUpgradesStore = {
  async record(tx: Tx, roomId: string, predecessorRoomId: string, ordering: number): Promise<void> {
    await tx
      .insertInto('room_predecessors')
      .values({ room_id: roomId, predecessor_room_id: predecessorRoomId, stream_ordering: ordering })
      .onConflict((oc) => oc.column('room_id').doNothing())
      .execute();
  },

  /** The rooms whose predecessor is one of `roomIds`. */
  async successorsOf(tx: Tx, roomIds: readonly string[]): Promise<{ roomId: string; predecessor: string }[]> {
    if (roomIds.length === 0) return [];
    const out: { roomId: string; predecessor: string }[] = [];
    for (let i = 0; i < roomIds.length; i += 500) {
      const rows = await tx
        .selectFrom('room_predecessors')
        .select(['room_id', 'predecessor_room_id'])
        .where('predecessor_room_id', 'in', roomIds.slice(i, i + 500))
        .execute();
      for (const r of rows) out.push({ roomId: r.room_id, predecessor: r.predecessor_room_id });
    }
    return out;
  },

  async predecessor(tx: Tx, roomId: string): Promise<string | undefined> {
    const row = await tx.selectFrom('room_predecessors').select('predecessor_room_id').where('room_id', '=', roomId).executeTakeFirst();
    return row?.predecessor_room_id;
  },

  /** The position of the newest recorded upgrade (0: none). */
  async newest(tx: Tx): Promise<number> {
    const row = await tx.selectFrom('room_predecessors').select((eb) => eb.fn.max('stream_ordering').as('pos')).executeTakeFirst();
    return Number(row?.pos ?? 0);
  },
};

/** Records the predecessor of every room already stored (migration). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function fillRoomPredecessors(db: Kysely<any>): Promise<void> {
  const rows = (await db
    .selectFrom('events')
    .select(['room_id', 'stream_ordering', 'json'])
    .where('type', '=', 'm.room.create')
    .where('state_key', '=', '')
    .execute()) as { room_id: string; stream_ordering: number; json: string }[];
  for (const r of rows) {
    const content = (JSON.parse(r.json) as { content?: Record<string, unknown> }).content ?? {};
    const pred = predecessorOf(content);
    if (pred !== undefined) {
      await db.insertInto('room_predecessors').values({ room_id: r.room_id, predecessor_room_id: pred, stream_ordering: Number(r.stream_ordering) }).execute();
    }
  }
}
