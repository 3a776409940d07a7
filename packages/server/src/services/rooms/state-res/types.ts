// What state resolution works on: state maps ((type, state_key) → event ID), the events they
// name (with their auth events), and a lookup the caller provides. Pure data, no storage.

import type { AuthEvent } from '../auth-rules.ts';

/** A state key: `type` + NUL + `state_key` (NUL cannot occur in an event type). */
export type StateKey = string;

/** A room state: state key → event ID. */
export type StateMap = ReadonlyMap<StateKey, string>;

/** An event as state resolution reads it: a PDU with its ID, and whether it was rejected. */
export type ResEvent = AuthEvent & {
  event_id: string;
  /**
   * True when the event was rejected on its auth chain or on the state before it. Rejected events
   * never serve as auth events in the iterative auth checks; the rest of the algorithm treats them
   * as any other event (rooms/v2 "Rejected events").
   */
  rejected?: boolean;
};

/** Finds an event by ID; undefined for an event the caller does not have (it is then left out). */
export type EventLookup = (eventId: string) => ResEvent | undefined;

export function stateKey(type: string, key: string): StateKey {
  return `${type}\u0000${key}`;
}

export function splitStateKey(k: StateKey): [type: string, stateKey: string] {
  const i = k.indexOf('\u0000');
  return [k.slice(0, i), k.slice(i + 1)];
}

/** The state key of a state event, or undefined for a message event. */
export function stateKeyOf(ev: Pick<ResEvent, 'type' | 'state_key'>): StateKey | undefined {
  return typeof ev.state_key === 'string' ? stateKey(ev.type, ev.state_key) : undefined;
}
