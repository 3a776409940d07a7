// Send-to-device messaging (spec "Send-to-Device messaging"): a send stores one message per target
// device under one stream position and wakes the targets; /sync delivers them (sync/to-device.ts).
// Messages to users of other servers go to outbound federation's hook (decision 0032: one
// m.direct_to_device EDU per server and send); those to unknown users or devices are dropped.

import { isUserId, parseUserId, serverNameOf, type api, type BodyOf, type JsonObject, type ServerName } from '@hush/protocol';
import type { Db } from '../storage/db.ts';
import { accountsStore } from '../storage/accounts.store.ts';
import { streamStore } from '../storage/stream.store.ts';
import { toDeviceStore, type ToDeviceRow } from '../storage/to-device.store.ts';
import type { Notifier } from '../notifier/notifier.ts';
import type { Requester } from './requester.ts';
import type { OutboundHooks } from './outbound-hooks.ts';

/** A send's messages to the users of one other server. */
export type RemoteToDevice = Record<string, Record<string, JsonObject>>;

export class ToDeviceService {
  constructor(
    private readonly db: Db,
    private readonly notifier: Notifier,
    private readonly serverName: ServerName,
    /** The app's outbound federation hooks (`toDevice`: a send's messages per remote server). */
    private readonly outbound: OutboundHooks = {},
  ) {}

  /** An m.direct_to_device EDU (federation/inbound): messages from a remote `sender` to our users'
   *  devices, once per (sender, message_id). */
  async receiveRemote(origin: string, sender: string, eventType: string, messageId: string, messages: Record<string, Record<string, JsonObject>>): Promise<void> {
    const users: string[] = [];
    const pos = await this.db.transaction().execute(async (tx) => {
      if (!(await toDeviceStore.claimTxn(tx, sender, `federation:${origin}`, messageId))) return null; // a retry
      const p = await streamStore.next(tx);
      const rows: ToDeviceRow[] = [];
      for (const [userId, byDevice] of Object.entries(messages).slice(0, 1000)) {
        if (!isUserId(userId) || serverNameOf(userId) !== this.serverName) continue;
        const devices = new Set((await accountsStore.listDevices(tx, userId)).map((d) => d.device_id));
        for (const [deviceId, content] of Object.entries(byDevice)) {
          const ids = deviceId === '*' ? [...devices] : devices.has(deviceId) ? [deviceId] : [];
          for (const id of ids) rows.push({ user_id: userId, device_id: id, stream_ordering: p, sender, type: eventType, content: JSON.stringify(content) });
        }
        if (devices.size > 0) users.push(userId);
      }
      await toDeviceStore.insert(tx, rows);
      return p;
    });
    if (pos !== null && users.length > 0) this.notifier.notify({ stream: pos }, { users });
  }

  async send(r: Requester, eventType: string, txnId: string, body: BodyOf<typeof api.sendToDevice>): Promise<void> {
    // Every target id is checked before anything is stored.
    const targets = Object.entries(body.messages).map(([userId, byDevice]) => ({ userId: parseUserId(userId), byDevice }));
    const users: string[] = [];
    const remote = new Map<string, RemoteToDevice>();
    for (const { userId, byDevice } of targets) {
      const server = serverNameOf(userId);
      if (server === this.serverName) continue;
      let forServer = remote.get(server);
      if (!forServer) remote.set(server, (forServer = {}));
      forServer[userId] = byDevice as Record<string, JsonObject>;
    }
    const pos = await this.db.transaction().execute(async (tx) => {
      if (!(await toDeviceStore.claimTxn(tx, r.userId, r.deviceId, txnId))) return null; // a retry
      const p = await streamStore.next(tx);
      const rows: ToDeviceRow[] = [];
      for (const { userId, byDevice } of targets) {
        if (serverNameOf(userId) !== this.serverName) continue;
        const devices = new Set((await accountsStore.listDevices(tx, userId)).map((d) => d.device_id));
        for (const [deviceId, content] of Object.entries(byDevice)) {
          const ids = deviceId === '*' ? [...devices] : devices.has(deviceId) ? [deviceId] : [];
          for (const id of ids) rows.push({ user_id: userId, device_id: id, stream_ordering: p, sender: r.userId, type: eventType, content: JSON.stringify(content as JsonObject) });
        }
        if (devices.size > 0) users.push(userId);
      }
      await toDeviceStore.insert(tx, rows);
      return p;
    });
    if (pos !== null && users.length > 0) this.notifier.notify({ stream: pos }, { users });
    if (pos !== null && remote.size > 0) this.outbound.toDevice?.(r.userId, eventType, remote);
  }
}
