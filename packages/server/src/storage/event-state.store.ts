// The room state at an event ("state kept per event", decision 0024): for rooms whose event graph
// is one line — every room while Hush is single-server — the state before an event is the state
// history (`state_events`) up to the position just before it, so no state is stored per event.
// Rooms with forks (federation) will read state groups here instead; callers do not change.

import type { Tx } from './db.ts';
import { stateStore, type StateRef } from './state.store.ts';

export const eventStateStore = {
  /**
   * The room state before the event (the spec's S(E)), or after it with `after` (S′(E): a state
   * event replaces its own key). Undefined when the event is unknown.
   */
  async stateAtEvent(tx: Tx, eventId: string, opts: { after?: boolean } = {}): Promise<{ roomId: string; state: StateRef[] } | undefined> {
    const ev = await tx.selectFrom('events').select(['room_id', 'stream_ordering']).where('event_id', '=', eventId).executeTakeFirst();
    if (!ev) return undefined;
    const ordering = Number(ev.stream_ordering);
    const state = await stateStore.stateAt(tx, ev.room_id, opts.after === true ? ordering : ordering - 1);
    return { roomId: ev.room_id, state };
  },
};
