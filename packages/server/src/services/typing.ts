// Typing notifications (spec: typing.yaml, m.typing): in memory, per room, each user with an expiry.
// Every change — start, refresh, stop, expiry — takes a number from one counter in the database and
// is applied in number order: in a single process at once; with several processes on PostgreSQL the
// number is taken and the change sent (NOTIFY) in one transaction, so every process, this one
// included, receives the changes in number order and holds the same lists. Sync tokens carry the
// number, which therefore means the same on every process. A change to a room's list wakes the
// room's waiting syncs.

import { forbidden, type RoomId } from '@hush/protocol';
import type { Db } from '../storage/db.ts';
import { stateStore } from '../storage/state.store.ts';
import { streamStore } from '../storage/stream.store.ts';
import type { Notifier } from '../notifier/notifier.ts';
import type { BusMessage } from '../notifier/bus.ts';
import type { Requester } from './requester.ts';
import { announceIn } from './announce.ts';
import type { OutboundHooks } from './outbound-hooks.ts';

/** `user` types in `room` until `until` (ms since the epoch), or stops (`until` 0) — for an expiry,
 *  only if the entry still ends at `if` (a refresh may have overtaken it). */
type Change = Omit<Extract<BusMessage, { k: 'typing' }>, 'k' | 't'>;

interface Entry {
  until: number;
  /** Set through this process, which then also ends it when it expires. */
  mine: boolean;
}

const MAX_TIMEOUT_MS = 120_000;
/** An entry set through another process is ended here once that process had this long to. */
const ORPHAN_GRACE_MS = 5_000;
/** How long a request waits for its own change to come back over the bus. */
const ECHO_WAIT_MS = 2_000;

export class TypingService {
  private readonly rooms = new Map<string, Map<string, Entry>>();
  /** Number of the last change to each room's list, by the user it concerned: a viewer who
   *  ignores that user must not learn of it (not even by waking up). */
  private readonly changed = new Map<string, Map<string, number>>();
  /** The number of the last change applied here. */
  private applied = 0;
  /** Requests waiting for their own change to be applied, by its number. */
  private readonly echoes = new Map<number, () => void>();
  /** Expiries sent and not yet applied (`room \0 user \0 until`), so each is sent once. */
  private readonly expiring = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    private readonly notifier: Notifier,
    /** The app's outbound federation hooks (`typing`: a local user's typing change, after it applied). */
    private readonly outbound: OutboundHooks = {},
    private readonly now: () => number = Date.now,
  ) {
    notifier.on('typing', (m, own) => this.apply(m, m.t, own));
    // The bus reconnected: changes sent meanwhile are lost. Take up the count where it stands.
    notifier.on('all', () => void this.start().catch(() => undefined));
  }

  /** Reads how far the count has gone (at start, once the bus listens; again after a reconnect). */
  async start(): Promise<void> {
    this.applied = Math.max(this.applied, await streamStore.currentTyping(this.db));
    this.expiring.clear();
    this.settleEchoes();
  }

  async setTyping(r: Requester, roomId: RoomId, userId: string, typing: boolean, timeoutMs = 30_000): Promise<void> {
    if (userId !== r.userId) throw forbidden('Cannot set typing for another user');
    const m = await stateStore.membership(this.db, roomId, r.userId);
    if (m?.membership !== 'join') throw forbidden('You are not in this room');
    const until = typing ? this.now() + Math.min(Math.max(timeoutMs, 0), MAX_TIMEOUT_MS) : 0;
    await this.append({ room: roomId, user: userId, until });
    this.outbound.typing?.(roomId, userId, typing, Math.min(Math.max(timeoutMs, 0), MAX_TIMEOUT_MS));
  }

  /** An m.typing EDU (federation/inbound): a remote user typing in a room they are joined to;
   *  false (and nothing changes) when they are not. */
  async setRemote(roomId: string, userId: string, typing: boolean, timeoutMs = 30_000): Promise<boolean> {
    const m = await stateStore.membership(this.db, roomId, userId);
    if (m?.membership !== 'join') return false;
    await this.append({ room: roomId, user: userId, until: typing ? this.now() + Math.min(Math.max(timeoutMs, 0), MAX_TIMEOUT_MS) : 0 });
    return true;
  }

  /** Numbers a change and applies it: here at once, or — sharing the database — when it comes back
   *  over the bus, in number order with every other process's changes. */
  private async append(c: Change): Promise<void> {
    if (!this.notifier.shared()) {
      this.apply(c, await streamStore.nextTyping(this.db), true);
      return;
    }
    const t = await this.db.transaction().execute(async (tx) => {
      const serial = await streamStore.nextTyping(tx);
      await announceIn(tx, this.notifier, { k: 'typing', t: serial, ...c });
      return serial;
    });
    if (t <= this.applied) return;
    // Read-your-writes on this process; a lost echo (the bus reconnecting) only delays.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.echoes.delete(t);
        resolve();
      }, ECHO_WAIT_MS);
      this.echoes.set(t, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private apply(c: Change, t: number, own: boolean): void {
    // Over the bus changes arrive in number order; older ones predate this process's count.
    if (this.notifier.shared() && t <= this.applied) return;
    this.applied = Math.max(this.applied, t);
    this.settleEchoes();
    if (c.if !== undefined) this.expiring.delete(`${c.room}\u0000${c.user}\u0000${c.if}`);
    let users = this.rooms.get(c.room);
    if (c.until > 0) {
      if (!users) this.rooms.set(c.room, (users = new Map()));
      const was = users.has(c.user);
      users.set(c.user, { until: c.until, mine: own });
      this.schedule();
      // A refresh changes no list: nobody needs waking.
      if (!was) this.changedRoom(c.room, c.user, t);
      return;
    }
    const entry = users?.get(c.user);
    if (!users || !entry || (c.if !== undefined && entry.until !== c.if)) return;
    users.delete(c.user);
    if (users.size === 0) this.rooms.delete(c.room);
    this.changedRoom(c.room, c.user, t);
  }

  private changedRoom(roomId: string, userId: string, t: number): void {
    let byUser = this.changed.get(roomId);
    if (!byUser) this.changed.set(roomId, (byUser = new Map()));
    byUser.set(userId, Math.max(byUser.get(userId) ?? 0, t));
    this.notifier.notify({ typing: t }, { rooms: [roomId] });
  }

  private settleEchoes(): void {
    for (const [t, settle] of this.echoes) {
      if (t > this.applied) continue;
      this.echoes.delete(t);
      settle();
    }
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.expire(), 1000);
    this.timer.unref();
  }

  /** Ends expired entries: this process's own at once, others' after a grace (their process may be
   *  gone). Several processes may send the same expiry; it applies once. */
  private expire(): void {
    const now = this.now();
    for (const [room, users] of this.rooms) {
      for (const [user, e] of users) {
        if (e.until > now || (!e.mine && e.until + ORPHAN_GRACE_MS > now)) continue;
        const key = `${room}\u0000${user}\u0000${e.until}`;
        if (this.expiring.has(key)) continue;
        this.expiring.add(key);
        this.append({ room, user, until: 0, if: e.until }).catch(() => this.expiring.delete(key));
      }
    }
    if (this.rooms.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** The number of the last change applied here (sync tokens carry it). */
  current(): number {
    return this.applied;
  }

  /** Whether the room's typing list changed after `since` for a user `shown` lets through. */
  changedSince(roomId: string, since: number, shown: (userId: string) => boolean): boolean {
    for (const [userId, t] of this.changed.get(roomId) ?? []) if (t > since && shown(userId)) return true;
    return false;
  }

  typingIn(roomId: string): string[] {
    return [...(this.rooms.get(roomId)?.keys() ?? [])];
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const settle of this.echoes.values()) settle();
    this.echoes.clear();
  }
}
