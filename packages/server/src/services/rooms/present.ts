// Timeline events as a viewer receives them: redaction reasons and bundled aggregations (thread
// summaries, counting only replies the viewer may see) fetched for the whole batch, then each
// VisibleEvent formatted. State events go out without bundling.

import type { ClientEvent, JsonObject } from '@hush/protocol';
import type { Tx } from '../../storage/db.ts';
import type { Requester } from '../requester.ts';
import type { RoomViewer, VisibleEvent } from '../../policy/visibility.ts';
import { eventsStore, type EventRow } from '../../storage/events.store.ts';
import { formatEvent, type FormatContext } from '../events/format.ts';
import type { PduCache } from '../events/pdu-cache.ts';
import { redactionsFor } from './timeline.ts';

/** Thread summaries for the thread roots among `rows`, as the viewer sees them. */
export async function bundledRelations(tx: Tx, viewer: RoomViewer, rows: readonly EventRow[], ctx: Omit<FormatContext, 'relations'>, knownReplies?: readonly EventRow[]): Promise<Map<string, JsonObject>> {
  const out = new Map<string, JsonObject>();
  if (rows.length === 0) return out;
  // `knownReplies`: these rows' thread replies, read beforehand with other rooms' (an initial /sync).
  const replies = viewer.filter(knownReplies ?? (await eventsStore.threadReplies(tx, rows.map((r) => r.event_id))));
  const byRoot = new Map<string, VisibleEvent[]>();
  for (const r of replies) {
    const list = byRoot.get(r.relates_to ?? '') ?? [];
    list.push(r);
    byRoot.set(r.relates_to ?? '', list);
  }
  for (const [root, list] of byRoot) {
    const latest = list.at(-1);
    if (!latest) continue;
    out.set(root, {
      'm.thread': {
        latest_event: formatEvent(latest, ctx) as unknown as JsonObject,
        count: list.length,
        current_user_participated: list.some((e) => e.sender === viewer.userId),
      },
    });
  }
  return out;
}

export async function presentTimeline(tx: Tx, pdus: PduCache, viewer: RoomViewer, r: Requester, rows: VisibleEvent[], knownReplies?: readonly EventRow[]): Promise<ClientEvent[]> {
  if (rows.length === 0) return [];
  const base = { pdus, userId: r.userId, deviceId: r.deviceId, now: Date.now(), redactions: await redactionsFor(tx, rows) };
  const ctx = { ...base, relations: await bundledRelations(tx, viewer, rows, base, knownReplies) };
  return rows.map((row) => formatEvent(row, ctx));
}

export function presentState(pdus: PduCache, r: Requester, rows: VisibleEvent[]): ClientEvent[] {
  const ctx = { pdus, userId: r.userId, deviceId: r.deviceId, now: Date.now() };
  return rows.map((row) => formatEvent(row, ctx));
}
