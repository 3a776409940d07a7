// The end-to-end encryption sections of /sync (spec "Tracking the device list for a user",
// "One-time and fallback keys"): `device_lists.changed` — users sharing a joined room with the
// requester whose device list or cross-signing keys changed since the token, the requester
// included, and users who newly share a room — and `device_lists.left`, users who no longer share
// any; `device_one_time_keys_count` and `device_unused_fallback_key_types` for the requesting
// device. /keys/changes answers from the same function. Users the requester ignores are listed
// too: their keys are still needed to encrypt in rooms shared with them (docs/ignore-semantics.md).

import type { Tx } from '../../storage/db.ts';
import { e2eKeysStore } from '../../storage/e2e-keys.store.ts';
import { stateStore } from '../../storage/state.store.ts';
import type { Requester } from '../requester.ts';

export interface DeviceLists {
  changed: string[];
  left: string[];
}

export interface E2eSyncSection {
  device_lists: DeviceLists;
  device_one_time_keys_count: Record<string, number>;
  device_unused_fallback_key_types: string[];
}

/** Device-list changes concerning `userId` after stream position `after`, up to `upTo`. */
export async function deviceListChanges(tx: Tx, userId: string, after: number, upTo: number): Promise<DeviceLists> {
  if (upTo <= after) return { changed: [], left: [] };
  const changed = new Set<string>();
  const maybeLeft = new Set<string>();
  const keyChanges = await e2eKeysStore.deviceListsChanged(tx, after, upTo);
  for (const u of keyChanges) changed.add(u);

  // Membership movements: a user who joined one of the requester's rooms (or whose room the
  // requester joined) newly shares a room; one who left, or whose room the requester left, may not.
  const mine = await stateStore.membershipsOfUser(tx, userId);
  const joined = new Set(mine.filter((m) => m.membership === 'join').map((m) => m.room_id));
  const moved = mine.filter((m) => m.stream_ordering > after && m.stream_ordering <= upTo);
  const wasJoined = new Set<string>();
  for (const m of moved) {
    const before = await stateStore.membershipBefore(tx, m.room_id, userId, after + 1);
    if (before?.membership === 'join') wasJoined.add(m.room_id);
  }
  const roomsJoinedSince = moved.filter((m) => m.membership === 'join' && !wasJoined.has(m.room_id)).map((m) => m.room_id);
  const roomsLeftSince = moved.filter((m) => m.membership !== 'join' && wasJoined.has(m.room_id)).map((m) => m.room_id);
  for (const u of await e2eKeysStore.joinedMembers(tx, roomsJoinedSince)) changed.add(u);
  for (const u of await e2eKeysStore.joinedMembers(tx, roomsLeftSince)) maybeLeft.add(u);
  for (const mv of await e2eKeysStore.membershipChanges(tx, [...joined], after, upTo)) {
    if (mv.membership === 'join') changed.add(mv.userId);
    else maybeLeft.add(mv.userId);
  }

  changed.delete(userId);
  maybeLeft.delete(userId);
  const sharing = new Set(await e2eKeysStore.sharingARoom(tx, userId, [...new Set([...changed, ...maybeLeft])]));
  const out = [...changed].filter((u) => sharing.has(u));
  if (keyChanges.includes(userId)) out.push(userId);
  return { changed: out.sort(), left: [...maybeLeft].filter((u) => !sharing.has(u)).sort() };
}

/** The sections for one /sync response: device lists only with a `since` token (an initial sync
 *  starts from nothing; the client queries the keys it needs). */
export async function e2eSyncSection(tx: Tx, r: Requester, since: number | undefined, upTo: number): Promise<E2eSyncSection> {
  return {
    device_lists: since === undefined ? { changed: [], left: [] } : await deviceListChanges(tx, r.userId, since, upTo),
    device_one_time_keys_count: await oneTimeKeyCounts(tx, r.userId, r.deviceId),
    device_unused_fallback_key_types: await e2eKeysStore.unusedFallbackAlgorithms(tx, r.userId, r.deviceId),
  };
}

/** A device's unclaimed one-time keys per algorithm; `signed_curve25519` always present (Synapse
 *  sends it too: clients that find no count do not top their keys up). */
export async function oneTimeKeyCounts(tx: Tx, userId: string, deviceId: string): Promise<Record<string, number>> {
  return { signed_curve25519: 0, ...(await e2eKeysStore.oneTimeKeyCounts(tx, userId, deviceId)) };
}
