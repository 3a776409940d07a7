// The account-data stream of /sync: the requester's global account data changed in the window (the
// `account_data` section), and their per-room account data by room (each joined room's
// `account_data`, placed by the rooms stream). Large contents come parsed from the app's cache.

import type { BasicEvent } from '@hush/protocol';
import { accountDataStore, type AccountDataRow } from '../../../storage/account-data.store.ts';
import type { Section, SyncContext } from '../context.ts';

export interface AccountDataStream {
  global: Section<{ events: BasicEvent[] }>;
  /** Changed room account data by room id, already through the room account-data filter. */
  byRoom: Map<string, BasicEvent[]>;
}

export async function accountDataStream(ctx: SyncContext): Promise<AccountDataStream> {
  const { tx, r, since, position, filter, deps } = ctx;
  const event = (a: AccountDataRow): BasicEvent => ({ type: a.type, content: deps.caches.accountData.parse(r.userId, a.roomId, a.type, a.ordering, a.content) });
  const rows = await accountDataStore.changedSince(tx, r.userId, since?.stream ?? 0, position.stream);
  const global = rows.filter((a) => a.roomId === '' && filter.accountData.matchesType(a.type)).map(event);
  const byRoom = new Map<string, BasicEvent[]>();
  for (const a of rows) {
    if (a.roomId === '' || !filter.roomAccountData.matchesType(a.type)) continue;
    const list = byRoom.get(a.roomId) ?? [];
    list.push(event(a));
    byRoom.set(a.roomId, list);
  }
  return { global: { section: { events: global }, hasData: global.length > 0 }, byRoom };
}
