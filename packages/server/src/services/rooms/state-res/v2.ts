// State resolution v2 (rooms/v2 "State resolution", used by room versions 2-11): unconflicted /
// conflicted split, auth difference, full conflicted set; power events in reverse topological
// power ordering (Kahn's algorithm; sender's power level desc, origin_server_ts asc, event ID asc)
// through the iterative auth checks; the other events in mainline order through them again; then
// the unconflicted state re-applied.

import { isPlainObject } from '../power-levels.ts';
import type { RoomVersion } from '../versions/index.ts';
import {
  JOIN_RULES,
  MEMBER,
  POWER_LEVELS,
  authChain,
  authEventOfType,
  authIdsOf,
  compareIds,
  iterativeAuthChecks,
  senderPowerLevel,
  splitStates,
} from './common.ts';
import { MinHeap } from './heap.ts';
import { stateKey, type EventLookup, type ResEvent, type StateKey, type StateMap } from './types.ts';

/**
 * "Power events": power levels and join rules events, and memberships `leave` or `ban` sent by
 * someone other than their target (kicks and bans).
 */
export function isPowerEvent(ev: ResEvent): boolean {
  if (typeof ev.state_key !== 'string') return false;
  if (ev.type === POWER_LEVELS || ev.type === JOIN_RULES) return ev.state_key === '';
  if (ev.type !== MEMBER || ev.sender === ev.state_key) return false;
  const m = isPlainObject(ev.content) ? ev.content['membership'] : undefined;
  return m === 'leave' || m === 'ban';
}

/** ∪ Cᵢ − ∩ Cᵢ over the full auth chains Cᵢ of the state sets. */
export function authDifference(sets: readonly StateMap[], lookup: EventLookup): Set<string> {
  const counts = new Map<string, number>();
  for (const s of sets) {
    for (const id of authChain(s.values(), lookup)) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const diff = new Set<string>();
  for (const [id, n] of counts) if (n < sets.length) diff.add(id);
  return diff;
}

/**
 * The reverse topological power ordering of `events` (earliest first): the lexicographically
 * smallest topological order of their auth DAG, where an event may come only after the events of
 * the set in its auth chain. Candidates compare by the sender's power level (higher first), then
 * `origin_server_ts`, then event ID.
 */
export function reverseTopologicalPowerOrder(events: readonly ResEvent[], lookup: EventLookup, rv: RoomVersion): ResEvent[] {
  const inSet = new Map(events.map((e) => [e.event_id, e]));
  // Nearest ancestors inside the set, walking through auth events outside it (memoised).
  const nearest = new Map<string, ReadonlySet<string>>();
  const ancestorsInSet = (id: string): ReadonlySet<string> => {
    const done = nearest.get(id);
    if (done) return done;
    const out = new Set<string>();
    nearest.set(id, out); // an auth cycle (invalid) stops here instead of looping
    const ev = inSet.get(id) ?? lookup(id);
    if (ev) {
      for (const a of authIdsOf(ev)) {
        if (inSet.has(a)) out.add(a);
        else for (const x of ancestorsInSet(a)) out.add(x);
      }
    }
    return out;
  };
  const children = new Map<string, string[]>();
  const pending = new Map<string, number>();
  for (const e of events) {
    const parents = ancestorsInSet(e.event_id);
    pending.set(e.event_id, parents.size);
    for (const p of parents) {
      const list = children.get(p);
      if (list) list.push(e.event_id);
      else children.set(p, [e.event_id]);
    }
  }
  const level = new Map(events.map((e) => [e.event_id, senderPowerLevel(e, lookup, rv)]));
  const heap = new MinHeap<ResEvent>((x, y) => {
    const lx = level.get(x.event_id) as number;
    const ly = level.get(y.event_id) as number;
    if (lx !== ly) return lx > ly;
    if (x.origin_server_ts !== y.origin_server_ts) return x.origin_server_ts < y.origin_server_ts;
    return compareIds(x.event_id, y.event_id) < 0;
  });
  for (const e of events) if (pending.get(e.event_id) === 0) heap.push(e);
  const out: ResEvent[] = [];
  while (heap.size > 0) {
    const e = heap.pop() as ResEvent;
    out.push(e);
    for (const c of children.get(e.event_id) ?? []) {
      const n = (pending.get(c) as number) - 1;
      pending.set(c, n);
      if (n === 0) heap.push(inSet.get(c) as ResEvent);
    }
  }
  return out;
}

/**
 * The mainline ordering of `events` based on the power levels event `plId` (absent: every event
 * has position ∞): events whose power levels chain meets the mainline further back come first,
 * then by `origin_server_ts`, then by event ID.
 */
export function mainlineOrder(events: readonly ResEvent[], plId: string | undefined, lookup: EventLookup): ResEvent[] {
  const mainline = new Map<string, number>();
  for (let id = plId, i = 0; id !== undefined && !mainline.has(id); i++) {
    mainline.set(id, i);
    const ev = lookup(id);
    id = ev ? authEventOfType(ev, POWER_LEVELS, lookup)?.event_id : undefined;
  }
  const positionOfPl = new Map<string, number>();
  const positionFrom = (ev: ResEvent): number => {
    // e₁, e₂, …: the power levels chain, starting from the event's own auth events.
    const walked: string[] = [];
    let pos = Infinity;
    for (let p = authEventOfType(ev, POWER_LEVELS, lookup); p !== undefined; p = authEventOfType(p, POWER_LEVELS, lookup)) {
      const known = mainline.get(p.event_id) ?? positionOfPl.get(p.event_id);
      if (known !== undefined) {
        pos = known;
        break;
      }
      if (walked.includes(p.event_id)) break; // a cycle: never on the mainline
      walked.push(p.event_id);
    }
    for (const id of walked) positionOfPl.set(id, pos);
    return pos;
  };
  const keyed = events.map((ev) => ({ ev, pos: positionFrom(ev) }));
  keyed.sort((a, b) => {
    if (a.pos !== b.pos) return a.pos > b.pos ? -1 : 1;
    if (a.ev.origin_server_ts !== b.ev.origin_server_ts) return a.ev.origin_server_ts - b.ev.origin_server_ts;
    return compareIds(a.ev.event_id, b.ev.event_id);
  });
  return keyed.map((k) => k.ev);
}

/** Resolves `sets` with state resolution v2. Events the lookup does not have are left out. */
export function resolveV2(sets: readonly StateMap[], lookup: EventLookup, rv: RoomVersion): Map<StateKey, string> {
  if (sets.length === 0) return new Map();
  const { unconflicted, conflicted } = splitStates(sets, true);
  if (conflicted.size === 0) return unconflicted;

  // Full conflicted set: the conflicted state set and the auth difference.
  const full = new Map<string, ResEvent>();
  const add = (id: string) => {
    if (full.has(id)) return;
    const ev = lookup(id);
    if (ev && typeof ev.state_key === 'string') full.set(id, ev);
  };
  for (const ids of conflicted.values()) for (const id of ids) add(id);
  for (const id of authDifference(sets, lookup)) add(id);

  // Step 1: power events and the parts of their auth chains in the full conflicted set.
  const power = new Map<string, ResEvent>();
  for (const ev of full.values()) {
    if (!isPowerEvent(ev)) continue;
    power.set(ev.event_id, ev);
    for (const id of authChain([ev.event_id], lookup)) {
      const a = full.get(id);
      if (a) power.set(id, a);
    }
  }
  const sortedPower = reverseTopologicalPowerOrder([...power.values()], lookup, rv);

  // Step 2: iterative auth checks from the unconflicted state.
  const partial = iterativeAuthChecks(unconflicted, sortedPower, lookup, rv);

  // Steps 3-4: the rest, in mainline order of the resolved power levels.
  const rest = [...full.values()].filter((ev) => !power.has(ev.event_id));
  const sortedRest = mainlineOrder(rest, partial.get(stateKey(POWER_LEVELS, '')), lookup);
  const resolved = iterativeAuthChecks(partial, sortedRest, lookup, rv);

  // Step 5: the unconflicted state wins.
  for (const [k, id] of unconflicted) resolved.set(k, id);
  return resolved;
}
