// What a redaction changes in the stored rows besides storing the redaction event: its target is
// marked redacted, leaves the search index, and notifies nobody any more (its push actions go, so
// unread counts need not look at the events table). Rows only: who may redact is decided before.

import type { Tx } from './db.ts';
import { eventsStore } from './events.store.ts';
import { pushStore } from './push.store.ts';
import { searchStore } from './search.store.ts';

export async function markRedacted(tx: Tx, target: { event_id: string; stream_ordering: number }, redactionId: string): Promise<void> {
  await eventsStore.setRedactedBy(tx, target.event_id, redactionId);
  await searchStore.remove(tx, target.stream_ordering);
  await pushStore.removeActionsOf(tx, target.stream_ordering);
}
