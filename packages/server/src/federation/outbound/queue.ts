// The outbound federation queue (decision 0031): every PDU of ours (and remote joins/leaves/knocks
// we accepted as the resident server) in a room with members on other servers, and EDUs, are
// queued per destination in the database inside the writing transaction, then sent as
// /_matrix/federation/v1/send transactions: ≤ 50 PDUs and ≤ 100 EDUs each, one in flight per
// destination, the batch and its transaction id recorded before sending (a restart re-sends the
// same transaction, which the receiver de-duplicates), retries with exponential backoff and a
// "down" mark after repeated failures that catch-up (any request from that server, wake()) clears.
// Several processes on one PostgreSQL database: a destination is sent by the process holding its
// lease row (a conditional UPDATE), renewed before each batch and every few seconds while a
// transaction is in flight; a dead process's lease expires (15 s) and another process's scan takes
// the destination over (decision 0040).

import { randomUUID } from 'node:crypto';
import { serverNameOf, type Pdu, type UserId } from '@hush/protocol';
import type { Db, Tx } from '../../storage/db.ts';
import type { EventRow } from '../../storage/events.store.ts';
import { stateStore } from '../../storage/state.store.ts';
import { federationQueueStore, type QueueRow } from '../../storage/federation-queue.store.ts';

export const MAX_PDUS_PER_TXN = 50;
export const MAX_EDUS_PER_TXN = 100;
/** A lease's life; a live sender renews it every LEASE_MS / 3 while its transaction is in flight
 *  (a request may take a minute: connect, headers and body timeouts), so only a dead one lapses. */
const LEASE_MS = 15_000;
const SCAN_MS = 2_000;
const BACKOFF_BASE_MS = 1_000;
const BACKOFF_MAX_MS = 3600_000;
/** After this many failures in a row a destination is "down": retried at the backoff's pace only. */
const DOWN_AFTER = 5;

export interface OutboundSender {
  signedRequest(destination: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }>;
}

export interface OutboundQueueOptions {
  now?: () => number;
  log?: (level: 'info' | 'warn', msg: string, fields?: object) => void;
  /** Tests: the scan interval, the backoff base, the lease renewal interval while sending. */
  scanMs?: number;
  backoffBaseMs?: number;
  heartbeatMs?: number;
}

export type Edu = { edu_type: string; content: Record<string, unknown> };

let eduSeq = 0;
/** EDU ids: time-ordered, unique within a process; (destination, kind, id) is the row's key. */
function eduId(now: number): number {
  eduSeq = (eduSeq + 1) % 1000;
  return now * 1000 + eduSeq;
}

export class OutboundQueue {
  readonly owner = randomUUID();
  private readonly sending = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly forwarding = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly now: () => number;
  /** Transactions sent (delivered) by this process, for tests and figures. */
  delivered = 0;

  constructor(
    private readonly db: Db,
    private readonly serverName: string,
    private readonly sender: OutboundSender,
    private readonly opts: OutboundQueueOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.scan(), this.opts.scanMs ?? SCAN_MS);
    this.timer.unref();
    void this.scan();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.allSettled([...this.sending.values()]);
  }

  /** The servers (not ours) with joined members in the room, plus `also`'s server. */
  async roomDestinations(tx: Db | Tx, roomId: string, also?: string): Promise<string[]> {
    const out = new Set<string>();
    for (const m of await stateStore.members(tx, roomId, 'join')) out.add(serverNameOf(m.user_id as UserId));
    if (also !== undefined && also.startsWith('@')) out.add(serverNameOf(also as UserId));
    out.delete(this.serverName);
    return [...out].filter((s) => s !== '');
  }

  /**
   * Marks a remote event we are about to store as one to forward to the room's other servers (a
   * join, leave or knock that came to us by send_join/send_leave/send_knock).
   */
  forward(eventId: string): void {
    if (this.forwarding.size > 10_000) this.forwarding.clear();
    this.forwarding.add(eventId);
  }

  /**
   * The writer's hook: queues `row` to every other server in its room, inside the writing
   * transaction. Only our own events are sent, unless `forward` (a remote join/leave/knock we
   * accepted as the resident server goes to the other servers, not back to its origin).
   */
  async queueEvent(tx: Tx, row: EventRow, pdu: Pdu): Promise<string[]> {
    const senderServer = serverNameOf(row.sender as UserId);
    if (senderServer !== this.serverName && !this.forwarding.delete(row.event_id)) return [];
    const stateKey = row.type === 'm.room.member' ? (row.state_key ?? undefined) : undefined;
    const destinations = (await this.roomDestinations(tx, row.room_id, stateKey)).filter((d) => d !== senderServer || senderServer === this.serverName);
    const json = JSON.stringify(pdu);
    const now = this.now();
    await federationQueueStore.enqueue(tx, destinations.map((destination) => ({ destination, kind: 'pdu', id: row.stream_ordering, json, created_ts: now })));
    return destinations;
  }

  /** Queues one EDU to each destination (its own transaction) and pokes them. */
  async queueEdu(destinations: readonly string[], edu: Edu): Promise<void> {
    const targets = [...new Set(destinations)].filter((d) => d !== this.serverName);
    if (targets.length === 0) return;
    const now = this.now();
    const json = JSON.stringify(edu);
    const rows: QueueRow[] = targets.map((destination) => ({ destination, kind: 'edu', id: eduId(now), json, created_ts: now }));
    await this.db.transaction().execute((tx) => federationQueueStore.enqueue(tx, rows));
    this.poke(targets);
  }

  /** After commit: start sending to these destinations (unless backing off). */
  poke(destinations: readonly string[]): void {
    for (const d of destinations) void this.kick(d, false);
  }

  /** Catch-up: `destination` is reachable again (it talked to us): clear its backoff and send. */
  wake(destination: string): void {
    void (async () => {
      const row = await federationQueueStore.destination(this.db, destination);
      if (!row || (row.failures === 0 && row.down === 0)) return;
      await federationQueueStore.setRetry(this.db, destination, 0, 0, false);
      await this.kick(destination, true);
    })().catch((err: unknown) => this.opts.log?.('warn', 'federation queue: wake failed', { destination, err: String(err) }));
  }

  private async scan(): Promise<void> {
    if (this.stopped) return;
    try {
      for (const d of await federationQueueStore.due(this.db, this.now(), 100)) void this.kick(d, false);
    } catch (err) {
      this.opts.log?.('warn', 'federation queue: scan failed', { err: String(err) });
    }
  }

  private kick(destination: string, force: boolean): Promise<void> {
    const running = this.sending.get(destination);
    if (running) {
      this.again.add(destination);
      return running;
    }
    const p = this.drain(destination, force)
      .catch((err: unknown) => this.opts.log?.('warn', 'federation queue: sending failed', { destination, err: String(err) }))
      .finally(() => {
        this.sending.delete(destination);
        if (this.again.delete(destination) && !this.stopped) void this.kick(destination, false);
      });
    this.sending.set(destination, p);
    return p;
  }

  /** Sends the destination's queue, batch after batch, while it holds the lease and succeeds. */
  private async drain(destination: string, force: boolean): Promise<void> {
    const state = await federationQueueStore.destination(this.db, destination);
    if (!state) return;
    if (!force && state.retry_at > this.now()) return;
    try {
      while (!this.stopped) {
        if (!(await federationQueueStore.takeLease(this.db, destination, this.owner, this.now(), LEASE_MS))) return;
        const row = await federationQueueStore.destination(this.db, destination);
        if (!row) return;
        let txnId = row.txn_id;
        let items: QueueRow[];
        if (txnId !== null && row.txn_ids !== null) {
          // A batch recorded before (by us or a process that died): the same one, the same id.
          items = await federationQueueStore.byKeys(this.db, destination, parseKeys(row.txn_ids));
        } else {
          items = [...(await federationQueueStore.oldest(this.db, destination, 'pdu', MAX_PDUS_PER_TXN)), ...(await federationQueueStore.oldest(this.db, destination, 'edu', MAX_EDUS_PER_TXN))];
          if (items.length === 0) return;
          txnId = `${this.now()}.${randomUUID().slice(0, 8)}`;
          await federationQueueStore.setBatch(this.db, destination, this.owner, txnId, items.map((i) => [i.kind, Number(i.id)] as const));
        }
        if (items.length === 0) {
          await federationQueueStore.setBatch(this.db, destination, this.owner, null, null);
          continue;
        }
        const ok = await this.whileHoldingLease(destination, () => this.sendTransaction(destination, txnId, items));
        if (!ok) {
          const failures = row.failures + 1;
          const base = this.opts.backoffBaseMs ?? BACKOFF_BASE_MS;
          const delay = Math.min(BACKOFF_MAX_MS, base * 2 ** Math.min(failures - 1, 30));
          await federationQueueStore.setRetry(this.db, destination, failures, this.now() + delay, failures >= DOWN_AFTER);
          return;
        }
        this.delivered++;
        await this.db.transaction().execute(async (tx) => {
          await federationQueueStore.remove(tx, destination, items.map((i) => [i.kind, Number(i.id)] as const));
          await tx.updateTable('federation_destinations').set({ txn_id: null, txn_ids: null, failures: 0, retry_at: 0, down: 0 }).where('destination', '=', destination).execute();
        });
      }
    } finally {
      await federationQueueStore.releaseLease(this.db, destination, this.owner).catch(() => undefined);
    }
  }

  /** Runs `send`, renewing the destination's lease meanwhile: a slow destination does not let
   *  another process take over (and send the same transaction again) while we are alive. */
  private async whileHoldingLease<T>(destination: string, send: () => Promise<T>): Promise<T> {
    const renew = setInterval(() => {
      federationQueueStore.takeLease(this.db, destination, this.owner, this.now(), LEASE_MS).catch(() => undefined);
    }, this.opts.heartbeatMs ?? LEASE_MS / 3);
    renew.unref();
    try {
      return await send();
    } finally {
      clearInterval(renew);
    }
  }

  private async sendTransaction(destination: string, txnId: string, items: readonly QueueRow[]): Promise<boolean> {
    const body = {
      origin: this.serverName,
      origin_server_ts: this.now(),
      pdus: items.filter((i) => i.kind === 'pdu').map((i) => JSON.parse(i.json) as unknown),
      edus: items.filter((i) => i.kind === 'edu').map((i) => JSON.parse(i.json) as unknown),
    };
    try {
      const res = await this.sender.signedRequest(destination, 'PUT', `/_matrix/federation/v1/send/${encodeURIComponent(txnId)}`, body);
      if (res.status === 200) return true;
      this.opts.log?.('warn', 'federation queue: transaction refused', { destination, txnId, status: res.status });
      return false;
    } catch (err) {
      this.opts.log?.('info', 'federation queue: destination unreachable', { destination, txnId, err: String(err).slice(0, 300) });
      return false;
    }
  }
}

function parseKeys(text: string): [string, number][] {
  try {
    const v = JSON.parse(text) as unknown;
    if (!Array.isArray(v)) return [];
    return v.filter((k): k is [string, number] => Array.isArray(k) && (k[0] === 'pdu' || k[0] === 'edu') && typeof k[1] === 'number').slice(0, MAX_PDUS_PER_TXN + MAX_EDUS_PER_TXN);
  } catch {
    return [];
  }
}
