// State resolution for room versions 1-11: v1 for room version 1, v2 for the others. Pure: the
// caller gives the state sets and an event lookup and gets the resolved state map.

import type { RoomVersion } from '../versions/index.ts';
import type { EventLookup, StateKey, StateMap } from './types.ts';
import { resolveV1 } from './v1.ts';
import { resolveV2 } from './v2.ts';

export type { EventLookup, ResEvent, StateKey, StateMap } from './types.ts';
export { splitStateKey, stateKey, stateKeyOf } from './types.ts';
export { resolveV1 } from './v1.ts';
export { authDifference, isPowerEvent, mainlineOrder, resolveV2, reverseTopologicalPowerOrder } from './v2.ts';

/** The resolution of `sets` by the algorithm of the room version (`rv.stateRes`). */
export function resolveState(rv: RoomVersion, sets: readonly StateMap[], lookup: EventLookup): Map<StateKey, string> {
  return rv.stateRes === 'v1' ? resolveV1(sets, lookup, rv) : resolveV2(sets, lookup, rv);
}
