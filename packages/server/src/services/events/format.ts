// VisibleEvent → the client format (ClientEvent): content as redaction leaves it, and the unsigned
// data the viewer should see (age, transaction_id for the sending device, prev_content,
// replaces_state, redacted_because). Accepts only events the visibility policy has passed.

import type { ClientEvent, JsonObject, Pdu } from '@hush/protocol';
import type { VisibleEvent } from '../../policy/visibility.ts';
import type { EventRow } from '../../storage/events.store.ts';
import { redactEvent } from './crypto.ts';
import type { PduCache } from './pdu-cache.ts';

export interface FormatContext {
  /** The app's parsed PDUs. */
  pdus: PduCache;
  userId: string;
  deviceId?: string;
  now: number;
  /** Redaction events of redacted events in the batch, by id. */
  redactions?: ReadonlyMap<string, EventRow>;
  /** Bundled aggregations (`unsigned["m.relations"]`) by event id. */
  relations?: ReadonlyMap<string, JsonObject>;
}

/** The stored PDU of a row, parsed afresh: for one-off reads. Hot paths parse through the app's
 *  PduCache (`caches.pdus.parse`). */
export function parsePdu(row: Pick<EventRow, 'event_id' | 'json'>): Pdu {
  return JSON.parse(row.json) as Pdu;
}

function plain(row: EventRow, pdu: Pdu, now: number): ClientEvent {
  const ev: ClientEvent = {
    event_id: row.event_id as ClientEvent['event_id'],
    type: pdu.type,
    content: pdu.content,
    sender: pdu.sender,
    origin_server_ts: pdu.origin_server_ts,
    room_id: pdu.room_id,
    unsigned: { age: Math.max(0, now - pdu.origin_server_ts) },
  };
  if (pdu.state_key !== undefined) ev.state_key = pdu.state_key;
  if (pdu.type === 'm.room.redaction' && typeof pdu.content['redacts'] === 'string') {
    ev.redacts = pdu.content['redacts'] as ClientEvent['event_id'];
  }
  return ev;
}

export function formatEvent(row: VisibleEvent, ctx: FormatContext): ClientEvent {
  let pdu = ctx.pdus.parse(row);
  const unsigned: JsonObject = {};
  if (row.redacted_by !== null) {
    pdu = redactEvent(pdu);
    const redaction = ctx.redactions?.get(row.redacted_by);
    unsigned['redacted_because'] = (redaction
      ? plain(redaction, ctx.pdus.parse(redaction), ctx.now)
      : { event_id: row.redacted_by, type: 'm.room.redaction', content: {} }) as unknown as JsonObject;
  }
  const ev = plain(row, pdu, ctx.now);
  Object.assign(ev.unsigned ?? {}, unsigned);
  const bundled = ctx.relations?.get(row.event_id);
  if (bundled !== undefined && ev.unsigned && row.redacted_by === null) ev.unsigned['m.relations'] = bundled;
  if (row.prev_content !== null && ev.unsigned) ev.unsigned['prev_content'] = JSON.parse(row.prev_content) as JsonObject;
  // v1.19: the id of the state event this one replaced.
  if (row.replaces_state !== null && row.state_key !== null && ev.unsigned) ev.unsigned['replaces_state'] = row.replaces_state;
  if (row.txn_id !== null && row.sender === ctx.userId && row.txn_device === ctx.deviceId && ev.unsigned) {
    ev.unsigned['transaction_id'] = row.txn_id;
  }
  return ev;
}

/** Stripped state (invite_state / knock_state): type, state_key, sender, content only. */
export function strippedState(row: EventRow): { type: string; state_key: string; sender: string; content: JsonObject } {
  const pdu = parsePdu(row);
  return { type: pdu.type, state_key: pdu.state_key ?? '', sender: pdu.sender, content: pdu.content };
}
