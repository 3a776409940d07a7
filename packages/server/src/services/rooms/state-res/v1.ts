// State resolution v1 (rooms/v1 "State resolution", room version 1 only): start from the
// non-conflicting state; resolve power levels, then join rules, then memberships by ascending depth
// (ties: descending sha1 of the event ID), each accepted while it passes the auth rules; every other
// conflict goes to the deepest event (ties: lowest sha1) that passes them. Known to reset state:
// kept for version 1 rooms only.

import { createHash } from 'node:crypto';
import type { RoomVersion } from '../versions/index.ts';
import { JOIN_RULES, MEMBER, POWER_LEVELS, allowedIn, compareIds, splitStates } from './common.ts';
import { splitStateKey, type EventLookup, type ResEvent, type StateKey, type StateMap } from './types.ts';

function sha1Hex(id: string): string {
  return createHash('sha1').update(id, 'utf8').digest('hex');
}

const depthOf = (ev: ResEvent): number => (typeof ev.depth === 'number' ? ev.depth : 0);

/** Resolves `sets` with state resolution v1. Events the lookup does not have are left out. */
export function resolveV1(sets: readonly StateMap[], lookup: EventLookup, rv: RoomVersion): Map<StateKey, string> {
  const { unconflicted, conflicted } = splitStates(sets, false);
  const resolved = new Map(unconflicted);
  const events = (ids: readonly string[]) => ids.map(lookup).filter((e): e is ResEvent => e !== undefined);
  const sha = new Map<string, string>();
  const hashOf = (id: string) => {
    let h = sha.get(id);
    if (h === undefined) sha.set(id, (h = sha1Hex(id)));
    return h;
  };

  // Power levels, join rules, then memberships: ascending depth, then descending sha1; the first is
  // taken as it is, each following one while the auth rules allow it in the state so far.
  for (const type of [POWER_LEVELS, JOIN_RULES, MEMBER]) {
    for (const [k, ids] of conflicted) {
      if (splitStateKey(k)[0] !== type) continue;
      const list = events(ids).sort((a, b) => depthOf(a) - depthOf(b) || compareIds(hashOf(b.event_id), hashOf(a.event_id)));
      const [first, ...others] = list;
      if (first === undefined) continue;
      resolved.set(k, first.event_id);
      for (const ev of others) {
        if (!allowedIn(ev, resolved, lookup, rv)) break;
        resolved.set(k, ev.event_id);
      }
    }
  }

  // Everything else: the deepest event (then lowest sha1) the auth rules allow; when none is
  // allowed, the shallowest (as implementations do; the spec leaves that case open).
  for (const [k, ids] of conflicted) {
    const type = splitStateKey(k)[0];
    if (type === POWER_LEVELS || type === JOIN_RULES || type === MEMBER) continue;
    const list = events(ids).sort((a, b) => depthOf(b) - depthOf(a) || compareIds(hashOf(a.event_id), hashOf(b.event_id)));
    const pick = list.find((ev) => allowedIn(ev, resolved, lookup, rv)) ?? list[list.length - 1];
    if (pick !== undefined) resolved.set(k, pick.event_id);
  }
  return resolved;
}
