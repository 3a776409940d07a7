// Tells the other processes of a fact inside the caller's transaction: PostgreSQL delivers a NOTIFY
// when the transaction commits, so nobody hears of a change that was rolled back, and every process
// hears of such facts in commit order. A no-op in a single process.

import type { Tx } from '../storage/db.ts';
import { streamStore } from '../storage/stream.store.ts';
import type { Notifier } from '../notifier/notifier.ts';
import type { BusMessage } from '../notifier/bus.ts';

export async function announceIn(tx: Tx, notifier: Notifier, m: BusMessage): Promise<void> {
  const wire = notifier.encode(m);
  if (wire) for (const payload of wire.payloads) await streamStore.announce(tx, wire.channel, payload);
}
