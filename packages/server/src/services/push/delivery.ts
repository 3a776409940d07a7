// Delivery to HTTP pushers (push gateway API, POST /_matrix/push/v1/notify) from the durable queue
// in push_queue: rows survive restarts; a row is claimed by moving its next attempt forward (so
// several processes sharing one database do not send it twice), posted, and deleted when the
// gateway answered 2xx. Failures retry with exponential backoff and are given up after a bound;
// pushkeys the gateway lists as `rejected` lose their pusher.

import type { JsonObject, JsonValue } from '@hush/protocol';
import type { Db, Tx } from '../../storage/db.ts';
import { eventsStore } from '../../storage/events.store.ts';
import { pushStore, type PusherRow, type PushQueueRow } from '../../storage/push.store.ts';
import { stateStore } from '../../storage/state.store.ts';
import type { HeldRows } from '../../storage/held-rows.ts';
import type { Caches } from '../caches.ts';
import { hidesUser } from '../../policy/ignore.ts';
import { parsePdu } from '../events/format.ts';
import { countUnread } from '../sync/unread.ts';
import { postJson } from './outbound.ts';

export interface DeliveryOptions {
  allowPrivate: boolean;
  /** Time limit of one POST. */
  timeoutMs?: number;
  /** First retry delay; each further failure doubles it, up to maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Attempts before a notification is given up. */
  maxAttempts?: number;
  log?: (level: 'info' | 'warn', msg: string, fields?: Record<string, unknown>) => void;
}

/** How long a claimed row stays out of others' reach while it is being posted. */
const LEASE_MS = 60_000;
/** Rows queued by another process are found by polling at least this often. */
const POLL_MS = 30_000;
const BATCH = 100;
const PARALLEL_PUSHERS = 8;

type Notification = Record<string, JsonValue>;

export class PushDelivery {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly timeoutMs: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxAttempts: number;

  constructor(
    private readonly db: Db,
    /** The app's loaded ignore views (a queued push whose sender is now ignored is dropped). */
    private readonly caches: Pick<Caches, 'ignoreViews' | 'heldRows'>,
    private readonly opts: DeliveryOptions,
  ) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.baseDelayMs = opts.baseDelayMs ?? 1_000;
    this.maxDelayMs = opts.maxDelayMs ?? 15 * 60_000;
    this.maxAttempts = opts.maxAttempts ?? 12;
  }

  /** Starts working through what is due (rows left from before a restart included). */
  start(): void {
    this.poke();
  }

  /** Something was queued: deliver it now. */
  poke(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.running = this.drain()
      .catch((err: unknown) => this.opts.log?.('warn', 'push delivery pass failed', { err }))
      .finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          this.poke();
        } else void this.schedule();
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private async schedule(): Promise<void> {
    const next = await pushStore.nextDue(this.db).catch(() => undefined);
    if (this.stopped || this.running) return;
    const wait = next === undefined ? POLL_MS : Math.max(0, Math.min(POLL_MS, next - Date.now()));
    this.timer = setTimeout(() => this.poke(), wait);
    this.timer.unref();
  }

  /** Delivers everything due now: pushers in parallel, each pusher's rows in stream order. */
  private async drain(): Promise<void> {
    for (;;) {
      const now = Date.now();
      const due = await pushStore.due(this.db, now, BATCH);
      if (due.length === 0 || this.stopped) return;
      const byPusher = new Map<string, PushQueueRow[]>();
      for (const row of due) {
        const key = JSON.stringify([row.user_id, row.app_id, row.pushkey]);
        (byPusher.get(key) ?? byPusher.set(key, []).get(key))?.push(row);
      }
      const groups = [...byPusher.values()];
      for (let i = 0; i < groups.length; i += PARALLEL_PUSHERS) {
        await Promise.all(groups.slice(i, i + PARALLEL_PUSHERS).map((g) => this.deliverGroup(g)));
      }
      if (due.length < BATCH) return;
    }
  }

  private async deliverGroup(rows: PushQueueRow[]): Promise<void> {
    for (const row of rows) {
      if (this.stopped) return;
      if (!(await pushStore.claim(this.db, row, row.next_attempt_ts, Date.now() + LEASE_MS))) continue;
      const outcome = await this.deliver(row).catch((err: unknown) => {
        this.opts.log?.('warn', 'push delivery failed', { err, appId: row.app_id, eventId: row.event_id });
        return 'retry' as const;
      });
      if (outcome === 'gone') return;
    }
  }

  /** One notification: 'done' (delivered or dropped), 'retry', or 'gone' (the pusher went away). */
  private async deliver(row: PushQueueRow): Promise<'done' | 'retry' | 'gone'> {
    const pusher = await pushStore.pusher(this.db, row.user_id, row.app_id, row.pushkey);
    if (!pusher) {
      await pushStore.dequeue(this.db, row);
      return 'done';
    }
    const data = JSON.parse(pusher.data) as JsonObject;
    const url = data['url'];
    const built = typeof url === 'string' ? await this.build(row, pusher, data) : null;
    if (typeof url !== 'string' || built === null) {
      await pushStore.dequeue(this.db, row);
      return 'done';
    }
    let status = 0;
    let answer = '';
    try {
      ({ status, body: answer } = await postJson(url, { notification: built }, { timeoutMs: this.timeoutMs, allowPrivate: this.opts.allowPrivate }));
    } catch (err) {
      this.opts.log?.('info', 'push gateway unreachable', { err: String((err as Error).message ?? err), appId: row.app_id });
    }
    if (status >= 200 && status < 300) {
      await pushStore.dequeue(this.db, row);
      if (rejected(answer).includes(row.pushkey)) {
        // "the homeserver should remove the pushkey": the pusher goes, and what it still had queued.
        await pushStore.deletePusher(this.db, row.user_id, row.app_id, row.pushkey);
        this.opts.log?.('info', 'push gateway rejected a pushkey; pusher removed', { appId: row.app_id, userId: row.user_id });
        return 'gone';
      }
      return 'done';
    }
    const attempts = row.attempts + 1;
    if (attempts >= this.maxAttempts) {
      await pushStore.dequeue(this.db, row);
      this.opts.log?.('warn', 'push notification given up', { appId: row.app_id, eventId: row.event_id, attempts, status });
      return 'done';
    }
    const delay = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempts - 1));
    await pushStore.retryLater(this.db, row, attempts, Date.now() + delay);
    return 'retry';
  }

  /** The notification body ("notification" of POST /notify), or null when it should not be sent
   *  any more: the event is gone or redacted, or the user has since ignored its sender. */
  private async build(row: PushQueueRow, pusher: PusherRow, data: JsonObject): Promise<Notification | null> {
    return this.db.transaction().execute(async (tx) => {
      const ev = await eventsStore.byId(tx, row.event_id);
      if (!ev || ev.redacted_by !== null) return null;
      const ignore = await this.caches.ignoreViews.load(tx, row.user_id);
      if (hidesUser(ignore, ev.sender)) return null;
      const { url: _url, ...deviceData } = data;
      const device: Record<string, JsonValue> = {
        app_id: pusher.app_id,
        pushkey: pusher.pushkey,
        pushkey_ts: pusher.pushkey_ts,
        data: deviceData,
        tweaks: JSON.parse(row.tweaks) as JsonObject,
      };
      const tweaks = device['tweaks'] as JsonObject;
      const counts: Record<string, JsonValue> = {};
      const unread = await badgeCount(tx, row.user_id, ignore, this.caches.heldRows);
      if (unread > 0) counts['unread'] = unread;
      const prio = tweaks['highlight'] === true || typeof tweaks['sound'] === 'string' ? 'high' : 'low';
      const base: Notification = { event_id: ev.event_id, room_id: ev.room_id, counts, devices: [device], prio };
      if (data['format'] === 'event_id_only') return base;
      const pdu = parsePdu(ev);
      const n: Notification = { ...base, type: ev.type, sender: ev.sender, content: pdu.content };
      const names = await stateStore.currentStateRefs(tx, ev.room_id, [
        ['m.room.name', ''],
        ['m.room.member', ev.sender],
      ]);
      for (const row2 of await eventsStore.byIds(tx, names.map((s) => s.eventId))) {
        const content = parsePdu(row2).content;
        if (row2.type === 'm.room.name' && typeof content['name'] === 'string') n['room_name'] = content['name'];
        if (row2.type === 'm.room.member' && typeof content['displayname'] === 'string') n['sender_display_name'] = content['displayname'];
      }
      if (ev.type === 'm.room.member') n['user_is_target'] = ev.state_key === row.user_id;
      return n;
    });
  }
}

/** The gateway's `rejected` list, [] when the answer is not the expected JSON. */
function rejected(answer: string): string[] {
  try {
    const j = JSON.parse(answer) as { rejected?: unknown };
    return Array.isArray(j.rejected) ? j.rejected.filter((k): k is string => typeof k === 'string') : [];
  } catch {
    return [];
  }
}

/** "The number of unread messages a user has across all of the rooms they are a member of": the
 *  notification counts of the joined rooms where the user has push actions, summed. */
async function badgeCount(tx: Tx, userId: string, ignore: Parameters<typeof countUnread>[3], held: HeldRows | undefined): Promise<number> {
  const joined = new Set((await stateStore.membershipsOfUser(tx, userId)).filter((m) => m.membership === 'join').map((m) => m.room_id));
  let n = 0;
  for (const roomId of await pushStore.roomsWithActions(tx, held, userId, 0)) {
    if (joined.has(roomId)) n += (await countUnread(tx, roomId, userId, ignore, held)).main.notification_count;
  }
  return n;
}
