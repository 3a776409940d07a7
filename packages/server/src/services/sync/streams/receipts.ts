// The receipts stream of /sync: read receipts in the requester's joined rooms changed in the window,
// as one `m.receipt` ephemeral event per room. Receipts of users the requester ignores are never
// sent (nor is their change a reason to answer), and nobody's private receipts but one's own.

import type { BasicEvent, JsonObject } from '@hush/protocol';
import { receiptsStore, type ReceiptRow } from '../../../storage/receipts.store.ts';
import { shownFrom, type Shown } from '../../../policy/shown.ts';
import type { SyncContext } from '../context.ts';

/** Each joined room's `m.receipt` event, for rooms with visible receipts in the window. */
export async function receiptsStream(ctx: SyncContext, joinedIds: readonly string[]): Promise<Map<string, BasicEvent>> {
  const { tx, r, since, position, ignore, filter } = ctx;
  const byRoom = new Map<string, Shown<ReceiptRow>[]>();
  if (!filter.ephemeral.matchesType('m.receipt')) return new Map();
  const rows = shownFrom(ignore, await receiptsStore.inRoomsSince(tx, joinedIds, since?.stream ?? 0, position.stream), (rc) => rc.user_id);
  for (const rc of rows) {
    if (!filter.ephemeral.matchesSender(rc.user_id)) continue;
    if (rc.receipt_type === 'm.read.private' && rc.user_id !== r.userId) continue;
    const list = byRoom.get(rc.room_id) ?? [];
    list.push(rc);
    byRoom.set(rc.room_id, list);
  }
  return new Map([...byRoom].map(([room, rows]) => [room, receiptEvent(rows)]));
}

function receiptEvent(rows: readonly Shown<ReceiptRow>[]): BasicEvent {
  const content: Record<string, Record<string, Record<string, JsonObject>>> = {};
  for (const rc of rows) {
    const byType = (content[rc.event_id] ??= {});
    const byUser = (byType[rc.receipt_type] ??= {});
    const entry: JsonObject = { ts: rc.ts };
    if (rc.thread_id !== '') entry['thread_id'] = rc.thread_id;
    byUser[rc.user_id] = entry;
  }
  return { type: 'm.receipt', content };
}
