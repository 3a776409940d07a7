// Device-list changes: a user's device keys, device set or cross-signing keys changed. Each change
// takes a stream position (so sync tokens order it with everything else) and is recorded for /sync
// and /keys/changes; after commit, the user and every room they are joined to are notified, so the
// waiting syncs of everyone sharing a room with them wake, and the app's outbound federation hook
// (decision 0032, services/outbound-hooks.ts) tells the other servers sharing those rooms.

import type { Tx } from '../../storage/db.ts';
import { e2eKeysStore } from '../../storage/e2e-keys.store.ts';
import { stateStore } from '../../storage/state.store.ts';
import { streamStore } from '../../storage/stream.store.ts';
import type { Notifier } from '../../notifier/notifier.ts';
import type { OutboundHooks } from '../outbound-hooks.ts';

export interface DeviceListAnnouncement {
  stream: number;
  users: string[];
  rooms: string[];
  /** The change was to cross-signing keys (m.signing_key_update rather than m.device_list_update). */
  crossSigning?: boolean;
  /** Devices that were deleted. */
  deleted?: string[];
}

/** Records, inside the writing transaction, that these users' device lists changed. */
export async function recordDeviceListChange(tx: Tx, userIds: readonly string[], what: Pick<DeviceListAnnouncement, 'crossSigning' | 'deleted'> = {}): Promise<DeviceListAnnouncement | undefined> {
  const users = [...new Set(userIds)];
  if (users.length === 0) return undefined;
  const stream = await streamStore.next(tx);
  const rooms = new Set<string>();
  for (const u of users) {
    await e2eKeysStore.markDeviceListChanged(tx, u, stream);
    for (const m of await stateStore.membershipsOfUser(tx, u)) if (m.membership === 'join') rooms.add(m.room_id);
  }
  return { stream, users, rooms: [...rooms], ...what };
}

/** After commit: wakes the syncs the change concerns. */
export function announceDeviceListChange(notifier: Notifier, outbound: OutboundHooks, a: DeviceListAnnouncement | undefined): void {
  if (!a) return;
  notifier.notify({ stream: a.stream }, { users: a.users, rooms: a.rooms });
  outbound.deviceList?.(a);
}
