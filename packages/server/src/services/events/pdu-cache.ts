// Parsed PDUs by event id. Events never change once stored (redaction is applied when formatting),
// so this cache is valid for every process sharing the database; it only bounds its size.

import type { Pdu } from '@hush/protocol';

const MAX = 20_000;
const cache = new Map<string, Pdu>();

export function cachedPdu(eventId: string): Pdu | undefined {
  const pdu = cache.get(eventId);
  if (pdu !== undefined) {
    // Refresh recency: Maps iterate in insertion order, so the oldest entry is evicted first.
    cache.delete(eventId);
    cache.set(eventId, pdu);
  }
  return pdu;
}

export function rememberPdu(eventId: string, pdu: Pdu): void {
  cache.set(eventId, pdu);
  if (cache.size > MAX) cache.delete(cache.keys().next().value as string);
}
