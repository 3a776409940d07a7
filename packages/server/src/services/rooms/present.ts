// Timeline events as a viewer receives them: redaction reasons and bundled aggregations fetched
// for the whole batch, then each VisibleEvent formatted. State events go out without bundling.

import type { ClientEvent } from '@hush/spec';
import type { Tx } from '../../storage/db.ts';
import type { Requester } from '../../http/auth.ts';
import type { RoomViewer, VisibleEvent } from '../../policy/visibility.ts';
import { formatEvent } from '../events/format.ts';
import { bundledRelations } from './relations.ts';
import { redactionsFor } from './timeline.ts';

export async function presentTimeline(tx: Tx, viewer: RoomViewer, r: Requester, rows: VisibleEvent[]): Promise<ClientEvent[]> {
  if (rows.length === 0) return [];
  const base = { userId: r.userId, deviceId: r.deviceId, now: Date.now(), redactions: await redactionsFor(tx, rows) };
  const ctx = { ...base, relations: await bundledRelations(tx, viewer, rows, base) };
  return rows.map((row) => formatEvent(row, ctx));
}

export function presentState(r: Requester, rows: VisibleEvent[]): ClientEvent[] {
  const ctx = { userId: r.userId, deviceId: r.deviceId, now: Date.now() };
  return rows.map((row) => formatEvent(row, ctx));
}
