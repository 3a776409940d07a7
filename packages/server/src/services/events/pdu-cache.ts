// Parsed PDUs by event id, one cache per app instance (services/caches.ts). Events never change once
// stored (redaction is applied when formatting), so the cache is valid for every process sharing
// the database; it only bounds its size (least recently used forgotten first).

import type { Pdu } from '@hush/protocol';
import type { Tx } from '../../storage/db.ts';
import { eventsStore, type EventRow } from '../../storage/events.store.ts';
import { Lru } from '../../lib/lru.ts';

const MAX = 20_000;

export class PduCache {
  private readonly pdus = new Lru<string, Pdu>(MAX);

  get(eventId: string): Pdu | undefined {
    return this.pdus.get(eventId);
  }

  remember(eventId: string, pdu: Pdu): void {
    this.pdus.set(eventId, pdu);
  }

  /** The PDUs of `eventIds` that are stored, by event id: from the cache, the rest read in `tx`. */
  async many(tx: Tx, eventIds: readonly string[]): Promise<Map<string, Pdu>> {
    const out = new Map<string, Pdu>();
    const missing: string[] = [];
    for (const id of eventIds) {
      const pdu = this.pdus.get(id);
      if (pdu) out.set(id, pdu);
      else missing.push(id);
    }
    for (const row of await eventsStore.byIds(tx, missing)) out.set(row.event_id, this.parse(row));
    return out;
  }

  /** The stored PDU of a row (parsed once per event id; callers must not mutate it). */
  parse(row: Pick<EventRow, 'event_id' | 'json'>): Pdu {
    let pdu = this.pdus.get(row.event_id);
    if (pdu === undefined) {
      pdu = JSON.parse(row.json) as Pdu;
      this.pdus.set(row.event_id, pdu);
    }
    return pdu;
  }
}
