// The in-memory caches of one app instance, made by createServices and handed to the services that
// read through them: nothing cached is module state, so two apps in one process (two databases)
// never see each other's entries. Every cache is bounded (least recently used forgotten first).
// With them, on SQLite, the push actions and search rows written behind (bounded by their flush).

import { IgnoreViews } from '../policy/ignore-lists.ts';
import { PduCache } from './events/pdu-cache.ts';
import { ParsedContents } from './account-data.ts';
import type { HeldRows } from '../storage/held-rows.ts';
import { RoomStateMemo } from './rooms/state-memo.ts';

export interface Caches {
  /** Users' loaded ignore views (policy/ignore-lists.ts), by user. */
  readonly ignoreViews: IgnoreViews;
  /** Parsed PDUs by event id. */
  readonly pdus: PduCache;
  /** Large account-data contents as objects, for /sync. */
  readonly accountData: ParsedContents;
  /** Rooms' joined members and current state event ids, by room, while its state is unchanged
   *  (decision 0048): what the writer's authorisation and push evaluation read. */
  readonly roomStates: RoomStateMemo;
  /** Push actions and search rows of committed events not yet written (SQLite, decision 0047):
   *  push.store's readers take them, a search flushes them first. Absent on PostgreSQL: each
   *  write inserts its own. */
  readonly heldRows: HeldRows | undefined;
}

export function createCaches(heldRows?: HeldRows): Caches {
  return { ignoreViews: new IgnoreViews(), pdus: new PduCache(), accountData: new ParsedContents(), roomStates: new RoomStateMemo(), heldRows };
}
