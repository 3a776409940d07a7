// Rows of federation inbound (decision 0030): forward and backward extremities per room, events
// kept outside the timeline (soft-failed, outliers), rejected event ids, and /send transactions
// with their answers. Rows only: what is accepted or rejected is decided in federation/inbound.

import type { Tx } from './db.ts';
import type { EventOutliersTable } from './schema.ts';
import { prepared } from './prepared.ts';

/** A forward extremity's row key for deferred writes (storage/deferred-writes.ts). */
const forwardKey = (roomId: string, eventId: string) => `forward_extremities\u0000${roomId}\u0000${eventId}`;
const forwardStatement = prepared((tx, a: { roomId: string }) => tx.selectFrom('forward_extremities').select('event_id').where('room_id', '=', a.roomId).orderBy('event_id'));
const dropForwardStatement = prepared(
  (tx, a: { roomId: string; prevIds: readonly string[] }) => tx.deleteFrom('forward_extremities').where('room_id', '=', a.roomId).where('event_id', 'in', [...a.prevIds]),
  { deferrable: (a) => a.prevIds.map((id) => forwardKey(a.roomId, id)) },
);
const addForwardStatement = prepared((tx, row: { room_id: string; event_id: string }) => tx.insertInto('forward_extremities').values(row).onConflict((oc) => oc.doNothing()), {
  deferrable: (row) => [forwardKey(row.room_id, row.event_id)],
});

export type OutlierRow = EventOutliersTable;

export const federationInboundStore = {
  async forwardExtremities(tx: Tx, roomId: string): Promise<string[]> {
    const { rows } = await forwardStatement(tx, { roomId });
    return rows.map((r) => r.event_id);
  },

  /** `eventId` becomes a forward extremity; those it points at stop being ones. */
  async advanceForward(tx: Tx, roomId: string, prevIds: readonly string[], eventId: string): Promise<void> {
    if (prevIds.length > 0) await dropForwardStatement(tx, { roomId, prevIds });
    await addForwardStatement(tx, { room_id: roomId, event_id: eventId });
  },

  /** These stop being forward extremities (pruned, decision 0043). */
  async dropForward(tx: Tx, roomId: string, eventIds: readonly string[]): Promise<void> {
    if (eventIds.length > 0) await dropForwardStatement(tx, { roomId, prevIds: eventIds });
  },

  /** prev_events we do not have (and could not fetch), pointed at by the event at `ordering`:
   *  where a backfill would start. */
  async addBackward(tx: Tx, roomId: string, eventIds: readonly string[], ordering: number): Promise<void> {
    if (eventIds.length === 0) return;
    await tx
      .insertInto('backward_extremities')
      .values(eventIds.map((event_id) => ({ room_id: roomId, event_id, stream_ordering: ordering })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  },

  /** Keeps the room's `keep` newest backward extremities (by the position that added them). */
  async keepNewestBackward(tx: Tx, roomId: string, keep: number): Promise<void> {
    const rows = await tx
      .selectFrom('backward_extremities')
      .select('event_id')
      .where('room_id', '=', roomId)
      .orderBy('stream_ordering', 'desc')
      .orderBy('event_id')
      .execute();
    const drop = rows.slice(keep).map((r) => r.event_id);
    for (let i = 0; i < drop.length; i += 500) {
      await tx.deleteFrom('backward_extremities').where('room_id', '=', roomId).where('event_id', 'in', drop.slice(i, i + 500)).execute();
    }
  },

  async removeBackward(tx: Tx, roomId: string, eventId: string): Promise<void> {
    await tx.deleteFrom('backward_extremities').where('room_id', '=', roomId).where('event_id', '=', eventId).execute();
  },

  async backwardExtremities(tx: Tx, roomId: string): Promise<string[]> {
    const rows = await tx.selectFrom('backward_extremities').select('event_id').where('room_id', '=', roomId).orderBy('event_id').execute();
    return rows.map((r) => r.event_id);
  },

  async insertOutlier(tx: Tx, row: OutlierRow): Promise<void> {
    await tx.insertInto('event_outliers').values(row).onConflict((oc) => oc.column('event_id').doNothing()).execute();
  },

  async outliersByIds(tx: Tx, eventIds: readonly string[]): Promise<OutlierRow[]> {
    if (eventIds.length === 0) return [];
    const out: OutlierRow[] = [];
    for (let i = 0; i < eventIds.length; i += 500) {
      out.push(...(await tx.selectFrom('event_outliers').selectAll().where('event_id', 'in', eventIds.slice(i, i + 500)).execute()));
    }
    return out;
  },

  async insertRejection(tx: Tx, row: { event_id: string; room_id: string; reason: string; received_ts: number }): Promise<void> {
    await tx.insertInto('event_rejections').values(row).onConflict((oc) => oc.column('event_id').doNothing()).execute();
  },

  async rejection(tx: Tx, eventId: string): Promise<string | undefined> {
    const row = await tx.selectFrom('event_rejections').select('reason').where('event_id', '=', eventId).executeTakeFirst();
    return row?.reason;
  },

  async rejectedAmong(tx: Tx, eventIds: readonly string[]): Promise<Set<string>> {
    if (eventIds.length === 0) return new Set();
    const rows = await tx.selectFrom('event_rejections').select('event_id').where('event_id', 'in', [...eventIds].slice(0, 500)).execute();
    return new Set(rows.map((r) => r.event_id));
  },

  async txnResponse(tx: Tx, origin: string, txnId: string): Promise<string | undefined> {
    const row = await tx.selectFrom('federation_inbound_txns').select('response_json').where('origin', '=', origin).where('txn_id', '=', txnId).executeTakeFirst();
    return row?.response_json;
  },

  async recordTxn(tx: Tx, origin: string, txnId: string, responseJson: string, now: number): Promise<void> {
    await tx
      .insertInto('federation_inbound_txns')
      .values({ origin, txn_id: txnId, response_json: responseJson, received_ts: now })
      .onConflict((oc) => oc.columns(['origin', 'txn_id']).doNothing())
      .execute();
  },
};
