// Every change to a room goes through here: one transaction with the room row locked, events
// persisted in order, then — after commit — one notification with the rooms and users it concerns.

import { ErrCode, MatrixError } from '@hush/protocol';
import type { Db, Tx } from '../../storage/db.ts';
import { roomsStore } from '../../storage/rooms.store.ts';
import type { RoomsTable } from '../../storage/schema.ts';
import type { EventRow } from '../../storage/events.store.ts';
import type { Notifier } from '../../notifier/notifier.ts';
import type { EventPersister, NewEvent } from './persist.ts';
import type { Pdu } from '@hush/protocol';

export interface RoomTx {
  tx: Tx;
  room: RoomsTable;
  /** Persists one event and remembers whom to notify. */
  persist(ev: NewEvent): Promise<EventRow>;
  /** Also wake these users (an invitee, say) after commit. */
  alsoNotify(userId: string): void;
  /** An event stored by another path in this transaction (a remote PDU, federation/inbound):
   *  push actions, notification and wake-ups as for a persisted one. */
  adopt(row: EventRow, pdu: Pdu): Promise<void>;
}

export class RoomWriter {
  constructor(
    private readonly db: Db,
    private readonly persister: EventPersister,
    readonly notifier: Notifier,
  ) {}

  /** Called for each persisted event inside its transaction (push actions); true when it queued
   *  something for delivery after commit. */
  onPersisted: ((tx: Tx, row: EventRow, pdu: Pdu) => Promise<boolean>) | null = null;
  /** Called after a commit whose events queued push deliveries. */
  onQueued: (() => void) | null = null;
  /** Federation's outbound queue (federation/outbound/queue.ts): queues each persisted event to
   *  the room's other servers inside its transaction; returns the destinations, poked after commit. */
  onFederate: ((tx: Tx, row: EventRow, pdu: Pdu) => Promise<readonly string[]>) | null = null;
  onFederateQueued: ((destinations: readonly string[]) => void) | null = null;

  /** Runs `fn` against an existing room; 404 when the room is unknown. */
  async write<T>(roomId: string, fn: (rt: RoomTx) => Promise<T>): Promise<T> {
    return this.run(async (tx) => {
      const room = await roomsStore.getRoomForUpdate(tx, roomId);
      if (!room) throw new MatrixError(404, ErrCode.NOT_FOUND, 'Unknown room');
      return room;
    }, fn);
  }

  /** Creates the room row, then runs `fn` (room creation). */
  async create<T>(room: RoomsTable, fn: (rt: RoomTx) => Promise<T>): Promise<T> {
    return this.run(async (tx) => {
      await roomsStore.insertRoom(tx, room);
      return { ...room };
    }, fn);
  }

  private async run<T>(getRoom: (tx: Tx) => Promise<RoomsTable>, fn: (rt: RoomTx) => Promise<T>): Promise<T> {
    const users = new Set<string>();
    let last = 0;
    let roomId = '';
    let queued = false;
    const destinations = new Set<string>();
    const result = await this.db.transaction().execute(async (tx) => {
      const room = await getRoom(tx);
      roomId = room.room_id;
      const adopt = async (row: EventRow, pdu: Pdu): Promise<void> => {
        if (this.onPersisted && (await this.onPersisted(tx, row, pdu))) queued = true;
        if (this.onFederate) for (const d of await this.onFederate(tx, row, pdu)) destinations.add(d);
        if (row.type === 'm.room.member' && row.state_key !== null) users.add(row.state_key);
        last = row.stream_ordering;
      };
      const rt: RoomTx = {
        tx,
        room,
        persist: async (ev) => {
          const { row, pdu } = await this.persister.persist(tx, room, ev);
          await adopt(row, pdu);
          return row;
        },
        alsoNotify: (u) => users.add(u),
        adopt,
      };
      return fn(rt);
    });
    if (last > 0) this.notifier.notify({ stream: last }, { rooms: [roomId], users: [...users] });
    if (queued) this.onQueued?.();
    if (destinations.size > 0) this.onFederateQueued?.([...destinations]);
    return result;
  }
}
