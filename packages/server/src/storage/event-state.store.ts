// The room state at an event ("state kept per event", decisions 0024 and 0037). The state history
// (`state_events`, in stream order) gives the state before an event at its position − 1; that is
// exact for every event whose graph position matches its stream position (local sends, linear
// rooms). Where a received event's true state before it (resolved over its prev events) differs
// from that history, the differing keys are stored as deltas (`event_state_deltas`, a null event
// id for a key absent before it) and laid over the history. Backfilled events (negative
// positions) have no known state: their state is `undefined`, never an invented empty one. Rows
// only: which state is "true" is decided by the caller (federation/inbound/accept.ts).

import type { Tx } from './db.ts';
import { stateStore, type StateRef } from './state.store.ts';

/** One key of the state before an event: the state event's id, or null when the key is absent. */
export interface StateDelta {
  type: string;
  stateKey: string;
  eventId: string | null;
}

export interface EventState {
  roomId: string;
  /** One ref per (type, state_key); undefined when the state is not known here (a backfilled event). */
  state: StateRef[] | undefined;
}

const sep = '\u0000';

export const eventStateStore = {
  /**
   * The room state before the event (the spec's S(E)), or after it with `after` (S′(E): an
   * accepted state event — every event in the timeline is accepted — replaces its own key, also
   * when it lost state resolution and so is not in the history). Undefined when the event is
   * unknown; `state` undefined when it is known but its state is not (backfilled).
   */
  async stateAtEvent(tx: Tx, eventId: string, opts: { after?: boolean } = {}): Promise<EventState | undefined> {
    const ev = await tx.selectFrom('events').select(['room_id', 'stream_ordering', 'type', 'state_key']).where('event_id', '=', eventId).executeTakeFirst();
    if (!ev) return undefined;
    const ordering = Number(ev.stream_ordering);
    if (ordering < 0) return { roomId: ev.room_id, state: undefined };
    const byKey = new Map<string, StateRef>();
    for (const r of await stateStore.stateAt(tx, ev.room_id, ordering - 1)) byKey.set(r.type + sep + r.stateKey, r);
    const deltas = await tx
      .selectFrom('event_state_deltas as d')
      .leftJoin('events as e', 'e.event_id', 'd.state_event_id')
      .select(['d.type', 'd.state_key', 'd.state_event_id', 'e.stream_ordering'])
      .where('d.event_id', '=', eventId)
      .execute();
    for (const d of deltas) {
      const key = d.type + sep + d.state_key;
      if (d.state_event_id === null) byKey.delete(key);
      else byKey.set(key, { type: d.type, stateKey: d.state_key, eventId: d.state_event_id, ordering: Number(d.stream_ordering ?? 0) });
    }
    if (opts.after === true && ev.state_key !== null) byKey.set(ev.type + sep + ev.state_key, { type: ev.type, stateKey: ev.state_key, eventId, ordering });
    return { roomId: ev.room_id, state: [...byKey.values()] };
  },

  /** Stores where the state before `eventId` differs from the history at its position. */
  async insertDeltas(tx: Tx, roomId: string, eventId: string, deltas: readonly StateDelta[]): Promise<void> {
    for (let i = 0; i < deltas.length; i += 100) {
      const values = deltas.slice(i, i + 100).map((d) => ({ event_id: eventId, room_id: roomId, type: d.type, state_key: d.stateKey, state_event_id: d.eventId }));
      await tx.insertInto('event_state_deltas').values(values).execute();
    }
  },
};
