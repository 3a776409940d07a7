// Every change to a room goes through here: one transaction with the room row locked, events
// persisted in order, then — after commit — one notification with the rooms and users it concerns.
// On SQLite (one writer per database) writes that arrive while a transaction is being prepared or
// run share the next one — group commit (decision 0042): each write runs in a savepoint of its
// own, so a failing one fails alone, and each caller is answered only after the commit holding it.

import { SqliteAdapter, sql } from 'kysely';
import { ErrCode, MatrixError } from '@hush/protocol';
import type { Db, Tx } from '../../storage/db.ts';
import { roomsStore } from '../../storage/rooms.store.ts';
import type { RoomsTable } from '../../storage/schema.ts';
import type { EventRow } from '../../storage/events.store.ts';
import type { Notifier } from '../../notifier/notifier.ts';
import type { EventPersister, NewEvent } from './persist.ts';
import type { OutboundHooks } from '../outbound-hooks.ts';
import type { Pdu } from '@hush/protocol';

/** At most this many writes share one transaction (the rest wait for the next). */
const MAX_BATCH = 64;

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

/** What one write did, released to the rest of the server after its commit. */
interface Effects {
  users: Set<string>;
  last: number;
  roomId: string;
  queued: boolean;
  destinations: Set<string>;
  afterCommit: (() => void)[];
}

interface Job {
  getRoom: (tx: Tx) => Promise<RoomsTable>;
  fn: (rt: RoomTx) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** What the writer tells the rest of the app about the events it persists, given at construction. */
export interface WriterListeners {
  /** For each persisted event inside its transaction (push actions), with the room's row locked
   *  for it; true when it queued something for delivery after commit. `afterCommit` runs its
   *  function once the write has committed (never when it is undone), before anyone is woken. An
   *  event that changes no state is heard before its rows are written (persist.ts). */
  persisted?: (tx: Tx, room: RoomsTable, row: EventRow, pdu: Pdu, afterCommit: (fn: () => void) => void) => Promise<boolean>;
  /** After a commit whose events queued push deliveries. */
  queued?: () => void;
}

export class RoomWriter {
  /** Group commit (SQLite): writes waiting for the next transaction, and whether one is due. */
  private readonly queue: Job[] = [];
  private draining = false;
  readonly groupCommit: boolean;

  constructor(
    private readonly db: Db,
    private readonly persister: EventPersister,
    readonly notifier: Notifier,
    private readonly listeners: WriterListeners = {},
    /** The app's outbound federation hooks: each persisted event queued to the room's other servers. */
    private readonly outbound: OutboundHooks = {},
    opts: { groupCommit?: boolean } = {},
  ) {
    // PostgreSQL runs writes to different rooms side by side under their row locks: one
    // transaction per write there (a shared one would serialise the rooms).
    this.groupCommit = opts.groupCommit ?? db.getExecutor().adapter instanceof SqliteAdapter;
  }


  /** Runs `fn` against an existing room; 404 when the room is unknown. */
  async write<T>(roomId: string, fn: (rt: RoomTx) => Promise<T>): Promise<T> {
    return this.run(async (tx) => {
      const room = await roomsStore.getRoomForUpdate(tx, roomId);
      if (!room) throw new MatrixError(404, ErrCode.NOT_FOUND, 'Unknown room');
      return room;
    }, fn);
  }

  /** Creates the room row, then runs `fn` (room creation). */
  async create<T>(room: Omit<RoomsTable, 'state_version'>, fn: (rt: RoomTx) => Promise<T>): Promise<T> {
    return this.run(async (tx) => {
      const row = { ...room, state_version: 0 };
      await roomsStore.insertRoom(tx, row);
      return row;
    }, fn);
  }

  private run<T>(getRoom: (tx: Tx) => Promise<RoomsTable>, fn: (rt: RoomTx) => Promise<T>): Promise<T> {
    if (!this.groupCommit) return this.single(getRoom, fn);
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ getRoom, fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.draining) {
        this.draining = true;
        // One turn of the event loop: the requests already read in this turn join the batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  /** One write, one transaction (PostgreSQL). */
  private async single<T>(getRoom: (tx: Tx) => Promise<RoomsTable>, fn: (rt: RoomTx) => Promise<T>): Promise<T> {
    const effects = newEffects();
    const result = await this.db.transaction().execute((tx) => this.apply(tx, getRoom, fn, effects));
    this.release([effects]);
    return result;
  }

  /** Runs the queued writes, a batch per transaction, until none is left. */
  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) await this.batch(this.queue.splice(0, MAX_BATCH));
    } finally {
      this.draining = false;
    }
  }

  private async batch(jobs: Job[]): Promise<void> {
    const outcomes: ({ ok: true; value: unknown; effects: Effects } | { ok: false; err: unknown })[] = [];
    try {
      await this.db.transaction().execute(async (tx) => {
        if (jobs.length === 1) {
          const effects = newEffects();
          outcomes.push({ ok: true, value: await this.apply(tx, jobs[0]!.getRoom, jobs[0]!.fn, effects), effects });
          return;
        }
        for (const job of jobs) {
          const effects = newEffects();
          await sql`savepoint hush_write`.execute(tx);
          try {
            const value = await this.apply(tx, job.getRoom, job.fn, effects);
            await sql`release hush_write`.execute(tx);
            outcomes.push({ ok: true, value, effects });
          } catch (err) {
            // This write alone is undone; the batch goes on.
            await sql`rollback to hush_write`.execute(tx);
            await sql`release hush_write`.execute(tx);
            outcomes.push({ ok: false, err });
          }
        }
      });
    } catch (err) {
      // The transaction itself failed (a lone write's error, or the commit): nothing of it is stored.
      for (const job of jobs) job.reject(err);
      return;
    }
    this.release(outcomes.flatMap((o) => (o.ok ? [o.effects] : [])));
    jobs.forEach((job, i) => {
      const o = outcomes[i]!;
      if (o.ok) job.resolve(o.value);
      else job.reject(o.err);
    });
  }

  /** One write inside a transaction: the room, then `fn` with persist/adopt recording its effects. */
  private async apply<T>(tx: Tx, getRoom: (tx: Tx) => Promise<RoomsTable>, fn: (rt: RoomTx) => Promise<T>, effects: Effects): Promise<T> {
    const room = await getRoom(tx);
    effects.roomId = room.room_id;
    const afterCommit = (fn: () => void): void => void effects.afterCommit.push(fn);
    const listen = async (row: EventRow, pdu: Pdu): Promise<void> => {
      if (this.listeners.persisted && (await this.listeners.persisted(tx, room, row, pdu, afterCommit))) effects.queued = true;
    };
    /** What follows the listeners for every event: federation, and whom to wake. */
    const record = async (row: EventRow, pdu: Pdu): Promise<void> => {
      if (this.outbound.federate) for (const d of await this.outbound.federate(tx, row, pdu)) effects.destinations.add(d);
      if (row.type === 'm.room.member' && row.state_key !== null) effects.users.add(row.state_key);
      effects.last = row.stream_ordering;
    };
    const rt: RoomTx = {
      tx,
      room,
      persist: async (ev) => {
        const { row, pdu } = await this.persister.persist(tx, room, ev, afterCommit, listen);
        await record(row, pdu);
        return row;
      },
      alsoNotify: (u) => effects.users.add(u),
      adopt: async (row, pdu) => {
        this.persister.remember(row.event_id, pdu);
        await listen(row, pdu);
        await record(row, pdu);
      },
    };
    return fn(rt);
  }

  /** After a commit: what its writes left to run after it, then one wake-up for their rooms and
   *  users, push and federation pokes. */
  private release(all: readonly Effects[]): void {
    let last = 0;
    const rooms = new Set<string>();
    const users = new Set<string>();
    const destinations = new Set<string>();
    let queued = false;
    for (const e of all) for (const fn of e.afterCommit) fn();
    for (const e of all) {
      if (e.last > 0) {
        last = Math.max(last, e.last);
        rooms.add(e.roomId);
        for (const u of e.users) users.add(u);
      }
      queued ||= e.queued;
      for (const d of e.destinations) destinations.add(d);
    }
    if (last > 0) this.notifier.notify({ stream: last }, { rooms: [...rooms], users: [...users] });
    if (queued) this.listeners.queued?.();
    if (destinations.size > 0) this.outbound.federateQueued?.([...destinations]);
  }
}

function newEffects(): Effects {
  return { users: new Set(), last: 0, roomId: '', queued: false, destinations: new Set(), afterCommit: [] };
}
