// What the services tell outbound federation (decisions 0032, 0041): one typed list per app, made by
// createServices and given at construction to each service that reports something, so the wiring
// is visible where the services are built. Services never import federation, and federation is
// built after them (and only when it is on): federation/outbound fills the list in when it starts
// and empties it when it stops. An absent hook means federation is off: nothing is queued.

import type { Pdu, PresenceEvent } from '@hush/protocol';
import type { Tx } from '../storage/db.ts';
import type { EventRow } from '../storage/events.store.ts';
import type { DeviceListAnnouncement } from './e2e/device-changes.ts';
import type { RemoteToDevice } from './to-device.ts';

export interface OutboundHooks {
  /** Queues a persisted event to the room's other servers inside its transaction (the durable
   *  queue, federation/outbound/queue.ts); returns the destinations, poked after commit. */
  federate?: (tx: Tx, row: EventRow, pdu: Pdu) => Promise<readonly string[]>;
  /** After a commit whose events were queued to these servers. */
  federateQueued?: (destinations: readonly string[]) => void;
  /** A local user's typing change, after it applied. */
  typing?: (roomId: string, userId: string, typing: boolean, timeoutMs: number) => void;
  /** A local user's public receipt, after commit. */
  receipt?: (roomId: string, type: string, userId: string, eventId: string, threadId: string | undefined, ts: number) => void;
  /** A local user's presence changed (the rooms they are joined to say which servers to tell). */
  presence?: (event: PresenceEvent, rooms: readonly string[]) => void;
  /** After a to-device send committed: its messages per remote server. */
  toDevice?: (sender: string, eventType: string, byServer: Map<string, RemoteToDevice>) => void;
  /** After a device-list or cross-signing change committed (decision 0032). */
  deviceList?: (a: DeviceListAnnouncement) => void;
}
