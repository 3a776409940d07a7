// Building blocks shared by state resolution v1 and v2: auth chains, the unconflicted /
// conflicted split, the sender's power level "when looking at their auth events", and the
// iterative auth checks (rooms/v2 "Definitions").

import { authEventKeys, checkAuth, type AuthEvent } from '../auth-rules.ts';
import { isPlainObject } from '../power-levels.ts';
import { creatorOf, normalisePowerLevels, parseLevel, referencedIds, type RoomVersion } from '../versions/index.ts';
import { stateKey, stateKeyOf, type EventLookup, type ResEvent, type StateKey, type StateMap } from './types.ts';

export const CREATE = 'm.room.create';
export const POWER_LEVELS = 'm.room.power_levels';
export const JOIN_RULES = 'm.room.join_rules';
export const MEMBER = 'm.room.member';

/** The IDs an event's `auth_events` names, in either reference format. */
export function authIdsOf(ev: ResEvent): string[] {
  return referencedIds(ev.auth_events);
}

/**
 * The auth chain of every event in `roots` together (their auth events, recursively; the roots
 * themselves only when another root's chain reaches them). Unknown events end the walk.
 */
export function authChain(roots: Iterable<string>, lookup: EventLookup): Set<string> {
  const chain = new Set<string>();
  const stack: string[] = [];
  for (const id of roots) {
    const ev = lookup(id);
    if (ev) stack.push(...authIdsOf(ev));
  }
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (chain.has(id)) continue;
    chain.add(id);
    const ev = lookup(id);
    if (ev) for (const a of authIdsOf(ev)) if (!chain.has(a)) stack.push(a);
  }
  return chain;
}

export interface Split {
  /** Keys with the same event in every state set (v2), or in every set that has the key (v1). */
  unconflicted: Map<StateKey, string>;
  /** Per conflicted key, the distinct events the sets name for it. */
  conflicted: Map<StateKey, string[]>;
}

/**
 * Splits state sets. `everySet` (v2): a key missing from one set is conflicted; otherwise (v1) a
 * conflict needs two different events for the key.
 */
export function splitStates(sets: readonly StateMap[], everySet: boolean): Split {
  const unconflicted = new Map<StateKey, string>();
  const conflicted = new Map<StateKey, string[]>();
  const keys = new Set<StateKey>();
  for (const s of sets) for (const k of s.keys()) keys.add(k);
  for (const k of keys) {
    const values = new Set<string>();
    let missing = false;
    for (const s of sets) {
      const v = s.get(k);
      if (v === undefined) missing = true;
      else values.add(v);
    }
    if (values.size === 1 && !(everySet && missing)) unconflicted.set(k, values.values().next().value as string);
    else conflicted.set(k, [...values]);
  }
  return { unconflicted, conflicted };
}

/** The first auth event of `ev` of `type` (state key ''), if the lookup has it. */
export function authEventOfType(ev: ResEvent, type: string, lookup: EventLookup): ResEvent | undefined {
  for (const id of authIdsOf(ev)) {
    const a = lookup(id);
    if (a && a.type === type && a.state_key === '') return a;
  }
  return undefined;
}

/**
 * The power level of `ev`'s sender as its own auth events give it: the `users` entry (else
 * `users_default`) of its power levels event; without one, 100 for the room's creator and 0 for
 * anyone else.
 */
export function senderPowerLevel(ev: ResEvent, lookup: EventLookup, rv: RoomVersion): number {
  const pl = authEventOfType(ev, POWER_LEVELS, lookup);
  if (pl) {
    const content = isPlainObject(pl.content) ? normalisePowerLevels(pl.content, rv) : {};
    const users = content['users'];
    const own = isPlainObject(users) && Object.hasOwn(users, ev.sender) ? parseLevel(users[ev.sender], rv.powerLevelValues) : undefined;
    if (own !== undefined) return own;
    return parseLevel(content['users_default'], rv.powerLevelValues) ?? 0;
  }
  const create = authEventOfType(ev, CREATE, lookup);
  return create !== undefined && creatorOf(create, rv) === ev.sender ? 100 : 0;
}

/** Signatures were checked when the events arrived; state resolution only re-applies the rules. */
const SIGNED = (): boolean => true;

/**
 * Whether `ev` is allowed in `state`: its own (non-rejected) auth events, overridden by `state`
 * for every key the auth events selection picks for it (rooms/v2 "Iterative auth checks").
 */
export function allowedIn(ev: ResEvent, state: ReadonlyMap<StateKey, string>, lookup: EventLookup, rv: RoomVersion): boolean {
  const byKey = new Map<StateKey, AuthEvent>();
  for (const id of authIdsOf(ev)) {
    const a = lookup(id);
    if (!a || a.rejected) continue;
    const k = stateKeyOf(a);
    if (k !== undefined) byKey.set(k, a);
  }
  const content = isPlainObject(ev.content) ? ev.content : {};
  for (const [t, sk] of authEventKeys(ev.type, ev.state_key, ev.sender, content, rv)) {
    const k = stateKey(t, sk);
    const id = state.get(k);
    const a = id === undefined ? undefined : lookup(id);
    if (a) byKey.set(k, a);
  }
  return checkAuth(ev, { get: (t, sk) => byKey.get(stateKey(t, sk)) }, { roomVersion: rv, isSignedBy: SIGNED }).ok;
}

/**
 * The iterative auth checks: each event of `sorted` that is allowed in the state built so far
 * replaces its key; the others are skipped. Returns a new map.
 */
export function iterativeAuthChecks(start: ReadonlyMap<StateKey, string>, sorted: readonly ResEvent[], lookup: EventLookup, rv: RoomVersion): Map<StateKey, string> {
  const state = new Map(start);
  for (const ev of sorted) {
    const k = stateKeyOf(ev);
    if (k === undefined) continue;
    if (allowedIn(ev, state, lookup, rv)) state.set(k, ev.event_id);
  }
  return state;
}

/** The same string comparison everywhere: by UTF-16 code units, as the spec's "less than" on IDs. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
