// Event identity by room version: the ID of an event (carried in v1-v2 events, the reference hash
// from v3 on), a fresh `$opaque:server` ID for a v1-v2 event, and `prev_events` / `auth_events`
// in the version's format (`[id, { sha256 }]` pairs in v1-v2, plain ID lists after).

import { randomInt } from 'node:crypto';
import type { EventId } from '@hush/protocol';
import { decodeBase64Url, encodeBase64, eventIdFor, referenceHash } from '../../events/crypto.ts';
import type { RoomVersion } from './descriptor.ts';

/** A reference in a v1-v2 event: the event ID and the referenced event's reference hash. */
export type EventRefPair = [EventId, { sha256: string }];

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A new event ID for a room v1-v2 event made on `serverName`: `$` + 24 random alphanumerics + `:server`. */
export function newLocalEventId(serverName: string): EventId {
  let opaque = '';
  for (let i = 0; i < 24; i++) opaque += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return `$${opaque}:${serverName}` as EventId;
}

/**
 * The ID of `event` in a room of version `rv`: its `event_id` field in v1-v2 (a TypeError when it
 * has none), else `$` + its reference hash.
 */
export function eventIdIn(event: object, rv: RoomVersion): EventId {
  if (rv.eventFormat === 'v1') {
    const id = (event as { event_id?: unknown }).event_id;
    if (typeof id !== 'string') throw new TypeError(`A room version ${rv.id} event carries its event_id`);
    return id as EventId;
  }
  return eventIdFor(event, rv.id);
}

/** The reference hash of `event` as v1-v2 references carry it (standard unpadded base64). */
export function referenceHashForPair(event: object, rv: RoomVersion): string {
  return encodeBase64(decodeBase64Url(referenceHash(event, rv.id)));
}

/**
 * `prev_events` / `auth_events` for a new event: the IDs themselves from v3 on; in v1-v2, pairs
 * with each referenced event's reference hash (`pduOf` must know every ID; a TypeError otherwise).
 */
export function eventReferences(ids: readonly EventId[], rv: RoomVersion, pduOf: (id: EventId) => object | undefined): EventId[] | EventRefPair[] {
  if (rv.eventFormat !== 'v1') return [...ids];
  return ids.map((id): EventRefPair => {
    const pdu = pduOf(id);
    if (pdu === undefined) throw new TypeError(`No event ${id} to reference`);
    return [id, { sha256: referenceHashForPair(pdu, rv) }];
  });
}
