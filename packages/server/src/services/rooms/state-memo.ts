// What writes read of a room's current state, kept between writes (decision 0048): the joined
// members and the state event ids by (type, state_key) that authorisation and push evaluation
// ask for. Each room's entry is valid for one `rooms.state_version` — a number the database bumps
// on every change of the room's current state or memberships, by whatever path — read with the
// room's row under its lock, so an entry is used only while nobody (no process) has changed the
// room's state since it was read. A transaction that changes the state itself marks its room row
// (`markStateChanged`): from then on it reads through and keeps nothing, so what an entry holds is
// always committed state.

import type { Pdu } from '@hush/protocol';
import { Lru } from '../../lib/lru.ts';
import type { PduCache } from '../events/pdu-cache.ts';
import type { Tx } from '../../storage/db.ts';
import type { RoomsTable } from '../../storage/schema.ts';
import { stateStore, type StateRef } from '../../storage/state.store.ts';

/** A room row's state version once its transaction changed the room's state. */
const CHANGED_HERE = -1;
/** Rooms kept, and state keys kept per room (a push to a big room asks for every member's event). */
const MAX_ROOMS = 2_000;
const MAX_KEYS_PER_ROOM = 20_000;

interface Entry {
  version: number;
  /** By `type\0state_key`: the current event, or null where the key has none. */
  refs: Map<string, StateRef | null>;
  joined?: readonly string[];
}

/** How a state key is keyed here and in `pdus`' answer. */
export const keyOf = (type: string, stateKey: string) => `${type}\u0000${stateKey}`;

/** This transaction changed `room`'s current state or memberships: what it reads of the state
 *  from now on is its own, uncommitted, and is not kept. */
export function markStateChanged(room: RoomsTable): void {
  room.state_version = CHANGED_HERE;
}

export class RoomStateMemo {
  private readonly rooms = new Lru<string, Entry>(MAX_ROOMS);

  private entry(at: RoomsTable | string): Entry | undefined {
    if (typeof at === 'string' || !(at.state_version >= 0)) return undefined;
    let e = this.rooms.get(at.room_id);
    if (!e || e.version !== at.state_version) {
      e = { version: at.state_version, refs: new Map() };
      this.rooms.set(at.room_id, e);
    }
    return e;
  }

  /** The current state events of `keys` that exist (like stateStore.currentStateRefs). `at` is the
   *  room's row as read under its lock in `tx`, or only the room's id (read through). */
  async refs(tx: Tx, at: RoomsTable | string, keys: readonly (readonly [string, string])[]): Promise<StateRef[]> {
    const roomId = typeof at === 'string' ? at : at.room_id;
    const e = this.entry(at);
    if (!e) return stateStore.currentStateRefs(tx, roomId, keys);
    const out: StateRef[] = [];
    const missing: (readonly [string, string])[] = [];
    for (const [t, k] of keys) {
      const ref = e.refs.get(keyOf(t, k));
      if (ref === undefined) missing.push([t, k]);
      else if (ref !== null) out.push(ref);
    }
    if (missing.length === 0) return out;
    const found = await stateStore.currentStateRefs(tx, roomId, missing);
    const keep = e.refs.size + missing.length <= MAX_KEYS_PER_ROOM;
    if (keep) for (const [t, k] of missing) e.refs.set(keyOf(t, k), null);
    for (const ref of found) {
      if (keep) e.refs.set(keyOf(ref.type, ref.stateKey), ref);
      out.push(ref);
    }
    return out;
  }

  /** `refs`, with the events' PDUs by `type\0state_key` (from the app's PDU cache, or read). */
  async pdus(tx: Tx, at: RoomsTable | string, keys: readonly (readonly [string, string])[], cache: PduCache): Promise<{ refs: StateRef[]; byKey: Map<string, Pdu> }> {
    const refs = await this.refs(tx, at, keys);
    const byId = await cache.many(tx, refs.map((r) => r.eventId));
    const byKey = new Map<string, Pdu>();
    for (const r of refs) {
      const pdu = byId.get(r.eventId);
      if (pdu) byKey.set(keyOf(r.type, r.stateKey), pdu);
    }
    return { refs, byKey };
  }

  /** The joined members' user ids, in user id order. */
  async joined(tx: Tx, at: RoomsTable | string): Promise<readonly string[]> {
    const roomId = typeof at === 'string' ? at : at.room_id;
    const e = this.entry(at);
    if (e?.joined) return e.joined;
    const joined = (await stateStore.members(tx, roomId, 'join')).map((m) => m.user_id);
    if (e) e.joined = joined;
    return joined;
  }
}
