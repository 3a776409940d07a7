// What every /sync stream provider is given: one read transaction, the requester, the window
// (`since` → `position`; no `since` for an initial sync), the compiled filter, the one IgnoreView of
// this response, the requester's memberships, and the few in-memory services streams read.

import type { Tx } from '../../storage/db.ts';
import type { MembershipRow } from '../../storage/state.store.ts';
import type { Requester } from '../requester.ts';
import type { Notifier, Position } from '../../notifier/notifier.ts';
import type { PolicyView } from '../../policy/ignore.ts';
import { compileEventFilter, type CompiledEventFilter, type SyncFilterJson } from '../filters.ts';
import type { TypingService } from '../typing.ts';
import type { Caches } from '../caches.ts';
import type { PresenceService } from '../presence.ts';
import type { SentMembers } from './lazy-members.ts';
import type { SyncPosition } from './tokens.ts';

/** A sync filter, compiled once per request. */
export interface SyncFilter {
  timeline: CompiledEventFilter;
  state: CompiledEventFilter;
  ephemeral: CompiledEventFilter;
  roomAccountData: CompiledEventFilter;
  accountData: CompiledEventFilter;
  presence: CompiledEventFilter;
  rooms: CompiledEventFilter;
  includeLeave: boolean;
}

export function compileSyncFilter(f: SyncFilterJson): SyncFilter {
  return {
    timeline: compileEventFilter(f.room?.timeline, 10),
    state: compileEventFilter(f.room?.state, 10),
    ephemeral: compileEventFilter(f.room?.ephemeral, 10),
    roomAccountData: compileEventFilter(f.room?.account_data, 10),
    accountData: compileEventFilter(f.account_data, 10),
    presence: compileEventFilter(f.presence, 100),
    rooms: compileEventFilter({ rooms: f.room?.rooms, not_rooms: f.room?.not_rooms }, 10),
    includeLeave: f.room?.include_leave === true,
  };
}

/** The in-memory parts of the app that streams read (one of each per app instance). */
export interface SyncDeps {
  notifier: Notifier;
  typing: TypingService;
  presence: PresenceService;
  /** The app's caches: loaded ignore views, parsed PDUs, large account-data contents. */
  caches: Caches;
  sentMembers: SentMembers;
}

export interface SyncContext {
  tx: Tx;
  r: Requester;
  /** The token's position; undefined for an initial sync. */
  since: SyncPosition | undefined;
  /** Where this response ends. */
  position: Position;
  filter: SyncFilter;
  fullState: boolean;
  /** `use_state_after`: the state section runs to the timeline's end and is named `state_after`. */
  stateAfter: boolean;
  ignore: PolicyView;
  /** The requester's memberships in the rooms the filter lets through. */
  memberships: MembershipRow[];
  deps: SyncDeps;
}

/** A stream's part of the response, and whether it holds anything (else a long-poll goes on). */
export interface Section<T> {
  section: T;
  hasData: boolean;
}
