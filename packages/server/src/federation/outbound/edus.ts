// Outbound EDUs (decision 0032): the app's outbound hooks (services/outbound-hooks.ts), filled in
// here, turn our users' typing, public read
// receipts, presence, to-device messages to other servers' users, device-list and cross-signing
// changes into EDUs queued (federation/outbound/queue.ts) for every other server with members in
// the rooms concerned — or the target users' servers for to-device — and the e2e keys service asks
// other servers for their users' keys through signed /user/keys requests. Services never import
// federation: they call the hooks they were given, after their change committed.

import { randomUUID } from 'node:crypto';
import { isUserId, serverNameOf } from '@hush/protocol';
import type { Services } from '../../services/index.ts';
import type { Federation } from '../index.ts';
import type { DeviceListAnnouncement } from '../../services/e2e/device-changes.ts';
import { deviceListStreamId, type RemoteKeys } from '../../services/e2e/keys.ts';
import type { Edu, OutboundQueue } from './queue.ts';

type Log = (level: 'info' | 'warn', msg: string, fields?: object) => void;

/** Devices announced in one m.device_list_update burst (a user with more gets the first ones;
 *  a receiver that misses one re-reads the list with /user/devices). */
const MAX_DEVICES_PER_UPDATE = 100;

/** The servers (not ours) with members joined to any of `rooms`. */
async function destinationsOf(queue: OutboundQueue, s: Services, rooms: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const roomId of rooms) for (const d of await queue.roomDestinations(s.database.db, roomId)) out.add(d);
  return [...out];
}

/** A signed POST to `server` whose 200 answer is returned; anything else throws. */
async function ask(f: Federation, server: string, path: string, body: unknown): Promise<unknown> {
  const res = await f.signedRequest(server, 'POST', path, body);
  if (res.status !== 200) throw new Error(`${server} answered ${res.status}`);
  return res.json;
}

export function remoteKeys(f: Federation): RemoteKeys {
  return {
    query: (server, deviceKeys) => ask(f, server, '/_matrix/federation/v1/user/keys/query', { device_keys: deviceKeys }),
    claim: (server, oneTimeKeys) => ask(f, server, '/_matrix/federation/v1/user/keys/claim', { one_time_keys: oneTimeKeys }),
  };
}

/** The EDUs of one device-list announcement, for the servers sharing a room with its local users. */
async function deviceListEdus(f: Federation, s: Services, a: DeviceListAnnouncement): Promise<Edu[]> {
  const edus: Edu[] = [];
  for (const userId of a.users) {
    if (!isUserId(userId) || serverNameOf(userId) !== f.serverName) continue;
    const devices = await s.e2eKeys.devicesForServer(userId);
    if (a.crossSigning) {
      const content: Record<string, unknown> = { user_id: userId };
      if (devices.master_key !== undefined) content['master_key'] = devices.master_key;
      if (devices.self_signing_key !== undefined) content['self_signing_key'] = devices.self_signing_key;
      edus.push({ edu_type: 'm.signing_key_update', content });
      continue;
    }
    // One update per device, each with its own stream_id, chained by prev_id: the last of a change
    // is deviceListStreamId(change position), the ones before it just below; the first names the
    // previous change's last. A receiver that missed one sees an unknown prev_id and re-reads.
    const updates: Record<string, unknown>[] = [
      ...devices.devices.slice(0, MAX_DEVICES_PER_UPDATE).map((d) => ({ device_id: d.device_id, deleted: false, keys: d.keys, ...(d.device_display_name !== undefined ? { device_display_name: d.device_display_name } : {}) })),
      ...(a.deleted ?? []).slice(0, MAX_DEVICES_PER_UPDATE).map((deviceId) => ({ device_id: deviceId, deleted: true })),
    ];
    const [prev] = await s.e2eKeys.previousChanges(userId, a.stream);
    let prevId = prev !== undefined ? [deviceListStreamId(prev)] : [];
    updates.forEach((u, i) => {
      const streamId = deviceListStreamId(a.stream) - (updates.length - 1 - i);
      edus.push({ edu_type: 'm.device_list_update', content: { user_id: userId, ...u, stream_id: streamId, prev_id: prevId } });
      prevId = [streamId];
    });
  }
  return edus;
}

/** Fills in the app's outbound hooks for EDUs; the returned function empties them. */
export function startOutboundEdus(f: Federation, s: Services, queue: OutboundQueue, log?: Log): () => void {
  const run = (what: string, p: () => Promise<void>): void => {
    void p().catch((err: unknown) => log?.('warn', `federation: queueing ${what} failed`, { err: String(err) }));
  };
  const toRooms = (rooms: readonly string[], edu: Edu): Promise<void> => destinationsOf(queue, s, rooms).then((d) => queue.queueEdu(d, edu));

  const hooks = s.outbound;
  hooks.typing = (roomId, userId, typing, timeoutMs) =>
    run('m.typing', () => toRooms([roomId], { edu_type: 'm.typing', content: { room_id: roomId, user_id: userId, typing, ...(typing ? { timeout: timeoutMs } : {}) } }));

  hooks.receipt = (roomId, type, userId, eventId, threadId, ts) =>
    run('m.receipt', () =>
      toRooms([roomId], {
        edu_type: 'm.receipt',
        content: { [roomId]: { [type]: { [userId]: { event_ids: [eventId], data: { ts, ...(threadId !== undefined ? { thread_id: threadId } : {}) } } } } },
      }),
    );

  hooks.presence = (event, rooms) =>
    run('m.presence', () => toRooms(rooms, { edu_type: 'm.presence', content: { push: [{ user_id: event.sender, ...event.content }] } }));

  hooks.toDevice = (sender, type, byServer) =>
    run('m.direct_to_device', async () => {
      for (const [server, messages] of byServer) {
        await queue.queueEdu([server], { edu_type: 'm.direct_to_device', content: { sender, type, message_id: randomUUID(), messages } });
      }
    });

  hooks.deviceList = (a) =>
    run('device list update', async () => {
      if (!a.users.some((u) => isUserId(u) && serverNameOf(u) === f.serverName)) return;
      const destinations = await destinationsOf(queue, s, a.rooms);
      if (destinations.length === 0) return;
      for (const edu of await deviceListEdus(f, s, a)) await queue.queueEdu(destinations, edu);
    });

  s.e2eKeys.remote = remoteKeys(f);

  return () => {
    delete hooks.typing;
    delete hooks.receipt;
    delete hooks.presence;
    delete hooks.toDevice;
    delete hooks.deviceList;
    s.e2eKeys.remote = null;
  };
}
