// Wakes waiting /sync requests with positions, never data. A change is announced as "stream
// position N reached, for these rooms and users"; a waiter wakes when a change concerns its user
// or one of its rooms and is past the position it has already seen. In-process; with a Bus
// (PostgreSQL LISTEN/NOTIFY when several processes share one database) the same announcements,
// and the small facts other services share (typing changes, revoked tokens), reach every process.
// On PostgreSQL positions commit out of order (decision 0028): with a gate, a stream position is
// announced — here and to the others — only once the stream is persisted up to it, so a waiter
// woken for N+1 while N is still in flight is not woken before N is readable.

import { randomBytes } from 'node:crypto';
import type { Bus, BusMessage } from './bus.ts';

/** What the notifier needs to hold wake-ups back until the stream is persisted up to them. */
export interface StreamGate {
  /** The persisted-up-to position, read from the database. */
  read(): Promise<number>;
  /** The highest one this process knows of without reading. */
  known(): number;
  /** Whether `p` (committed now) is known to be persisted-up-to. */
  committedInOrder(p: number): boolean;
}

export interface Position {
  /** The shared stream of persisted changes (events, account data, receipts). */
  stream: number;
  /** The typing serial: typing changes are numbered in commit order, one sequence for every process. */
  typing: number;
}

export interface Targets {
  rooms?: readonly string[];
  users?: readonly string[];
}

interface Waiter {
  userId: string;
  rooms: ReadonlySet<string>;
  wake: () => void;
}

function after(a: Position, b: Position): boolean {
  return a.stream > b.stream || a.typing > b.typing;
}

export class Notifier {
  private readonly byUser = new Map<string, Set<Waiter>>();
  private readonly byRoom = new Map<string, Set<Waiter>>();
  /** The last position announced for each user and room, so a change that lands between a
   *  sync's read and its wait is never missed. */
  private readonly lastForUser = new Map<string, Position>();
  private readonly lastForRoom = new Map<string, Position>();
  private current: Position = { stream: 0, typing: 0 };
  /** Bumped by "everyone re-check" messages (the bus reconnected): what the notifier knew before
   *  may be incomplete, so callers that trust its silence (the quiet /sync path) re-read once. */
  private epochCount = 0;
  private bus: Bus | undefined;
  private readonly handlers = new Map<BusMessage['k'], ((m: BusMessage, own: boolean) => void)[]>();
  /** Acknowledgements counted for facts this process announced, by id. */
  private readonly acks = new Map<string, { n: number; onAck?: () => void }>();
  /** PostgreSQL: the persisted-up-to position, and announcements past it held back until it
   *  reaches them (`local`: this process's own, still to be published). */
  private streamGate: StreamGate | undefined;
  private settled = 0;
  private held: { s: number; targets: Targets; local: boolean }[] = [];
  private checking = false;
  private recheck: NodeJS.Timeout | undefined;
  private recheckMs = RECHECK_FIRST_MS;

  /** Connects this notifier to the other processes. */
  attach(bus: Bus): void {
    this.bus = bus;
    bus.onMessage((m, own) => this.receive(m, own));
  }

  /** Holds stream announcements back until the stream is persisted up to them. */
  gate(gate: StreamGate): void {
    this.streamGate = gate;
  }

  /** Whether other processes share the database (then facts travel over the bus). */
  shared(): boolean {
    return this.bus !== undefined;
  }

  /** The channel and payloads that carry `m`, for a caller that sends them inside its own
   *  transaction (PostgreSQL delivers them when it commits); undefined in a single process. */
  encode(m: BusMessage): { channel: string; payloads: string[] } | undefined {
    return this.bus && { channel: this.bus.channel, payloads: this.bus.encode(m) };
  }

  /** Handles one kind of fact from the bus (typing, tokens; `all` after a reconnect), this
   *  process's own messages included (`own`). */
  on<K extends BusMessage['k']>(kind: K, fn: (m: Extract<BusMessage, { k: K }>, own: boolean) => void): void {
    this.handlers.set(kind, [...(this.handlers.get(kind) ?? []), fn as (m: BusMessage, own: boolean) => void]);
  }

  private receive(m: BusMessage, own: boolean): void {
    // Our own stream announcements woke our waiters before they were sent.
    if (m.k === 'n') {
      if (!own) this.reached(m.s, { rooms: m.r ?? [], users: m.u ?? [] }, false, m.w);
      return;
    }
    if (m.k === 'ack') {
      const entry = own ? undefined : this.acks.get(m.id);
      if (entry) {
        entry.n++;
        entry.onAck?.();
      }
      return;
    }
    if (m.k === 'all') this.wakeAll();
    for (const fn of this.handlers.get(m.k) ?? []) fn(m, own);
    // Handled: tell the process that is waiting for it.
    if (!own && 'id' in m && m.id !== undefined) this.bus?.publish({ k: 'ack', id: m.id });
  }

  /**
   * For a fact about to be announced with the returned `id`: `wait` resolves true once every other
   * process listening has handled it (at once in a single process), false after `timeoutMs`.
   * Register before the announcing transaction commits, so no acknowledgement is missed.
   */
  expectAcks(timeoutMs: number): { id: string; wait(): Promise<boolean>; cancel(): void } {
    const id = randomBytes(8).toString('hex');
    const bus = this.bus;
    if (!bus) return { id, wait: async () => true, cancel: () => undefined };
    const entry: { n: number; onAck?: () => void } = { n: 0 };
    this.acks.set(id, entry);
    const cancel = () => void this.acks.delete(id);
    const wait = async (): Promise<boolean> => {
      try {
        const others = (await bus.listeners()) - 1;
        return await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), timeoutMs);
          entry.onAck = () => {
            if (entry.n < others) return;
            clearTimeout(timer);
            resolve(true);
          };
          entry.onAck(); // some may have come before we knew how many to expect
        });
      } catch {
        return false;
      } finally {
        cancel();
      }
    };
    return { id, wait, cancel };
  }

  private wakeAll(): void {
    this.epochCount++;
    for (const set of [...this.byUser.values()]) for (const w of [...set]) w.wake();
  }

  epoch(): number {
    return this.epochCount;
  }

  /** The highest position announced so far. */
  position(): Position {
    return this.current;
  }

  /** Raises the known stream position without waking anyone (e.g. at start-up). */
  advanceTo(stream: number): void {
    if (stream > this.current.stream) this.current = { ...this.current, stream };
    if (stream > this.settled) this.settled = stream;
  }

  /** Announces a committed change here and, for stream positions, to the other processes. */
  notify(pos: Partial<Position>, targets: Targets): void {
    if (pos.stream === undefined || !this.streamGate) {
      this.wake({ stream: pos.stream ?? 0, typing: pos.typing ?? 0 }, targets);
      if (pos.stream !== undefined) this.publish(pos.stream, targets);
      return;
    }
    if (pos.typing !== undefined) this.wake({ stream: 0, typing: pos.typing }, targets);
    this.reached(pos.stream, targets, true);
  }

  private publish(s: number, targets: Targets): void {
    const w = this.streamGate ? { w: this.settled } : {};
    this.bus?.publish({ k: 'n', s, ...w, ...(targets.rooms ? { r: targets.rooms } : {}), ...(targets.users ? { u: targets.users } : {}) });
  }

  /** Stream position `s`, committed, concerns `targets`: wakes (and publishes, when `local`) now if
   *  the stream is persisted up to it — `w`, when the announcing process knew it, or what this
   *  one knows — else once it is. */
  private reached(s: number, targets: Targets, local: boolean, w?: number): void {
    const gate = this.streamGate;
    this.settled = Math.max(this.settled, w ?? 0, gate?.known() ?? 0);
    if (!gate || s <= this.settled || (local && gate.committedInOrder(s))) {
      this.settled = Math.max(this.settled, s);
      this.wake({ stream: s, typing: 0 }, targets);
      if (local) this.publish(s, targets);
      this.release();
      return;
    }
    this.held.push({ s, targets, local });
    void this.check();
  }

  /** Wakes for (and publishes) the held announcements the stream is now persisted up to. */
  private release(): void {
    if (this.held.length === 0) return;
    const ready = this.held.filter((h) => h.s <= this.settled).sort((x, y) => x.s - y.s);
    if (ready.length === 0) return;
    this.held = this.held.filter((h) => h.s > this.settled);
    for (const h of ready) {
      this.wake({ stream: h.s, typing: 0 }, h.targets);
      if (h.local) this.publish(h.s, h.targets);
    }
  }

  /** Reads the persisted-up-to position (one read at a time, for every held announcement); while
   *  some stay held (a change before them still in flight, or rolled back and so never announced),
   *  reads again after a growing pause. */
  private async check(): Promise<void> {
    const gate = this.streamGate;
    if (!gate || this.checking) return;
    this.checking = true;
    clearTimeout(this.recheck);
    this.recheck = undefined;
    try {
      const settled = await gate.read();
      this.settled = Math.max(this.settled, settled);
    } catch {
      // The database is unreachable: try again after the pause.
    } finally {
      this.checking = false;
    }
    this.release();
    if (this.held.length === 0) {
      this.recheckMs = RECHECK_FIRST_MS;
      return;
    }
    this.recheck = setTimeout(() => void this.check(), this.recheckMs);
    this.recheck.unref();
    this.recheckMs = Math.min(this.recheckMs * 2, RECHECK_MAX_MS);
  }

  /** Stops the re-reads of held announcements (the database is about to close). */
  stop(): void {
    clearTimeout(this.recheck);
    this.recheck = undefined;
    this.streamGate = undefined;
  }

  private wake(p: Position, targets: Targets): void {
    this.current = { stream: Math.max(this.current.stream, p.stream), typing: Math.max(this.current.typing, p.typing) };
    const woken = new Set<Waiter>();
    for (const u of targets.users ?? []) {
      this.lastForUser.set(u, merge(this.lastForUser.get(u), p));
      for (const w of this.byUser.get(u) ?? []) woken.add(w);
    }
    for (const r of targets.rooms ?? []) {
      this.lastForRoom.set(r, merge(this.lastForRoom.get(r), p));
      for (const w of this.byRoom.get(r) ?? []) woken.add(w);
    }
    for (const w of woken) w.wake();
  }

  /** Whether anything was announced to the user themself (a membership, account data …) after
   *  stream position `stream`. */
  userChangedAfter(userId: string, stream: number): boolean {
    return (this.lastForUser.get(userId)?.stream ?? 0) > stream;
  }

  /** Whether anything concerning this user or these rooms was announced after `since`. */
  changedSince(userId: string, rooms: ReadonlySet<string>, since: Position): boolean {
    const u = this.lastForUser.get(userId);
    if (u && after(u, since)) return true;
    for (const r of rooms) {
      const p = this.lastForRoom.get(r);
      if (p && after(p, since)) return true;
    }
    return false;
  }

  /**
   * Resolves when a change concerning the user or one of the rooms is announced after `since`,
   * when `timeoutMs` passes, or when `signal` aborts — whichever comes first.
   */
  wait(userId: string, rooms: ReadonlySet<string>, since: Position, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.changedSince(userId, rooms, since) || timeoutMs <= 0 || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiter: Waiter = { userId, rooms, wake: () => done() };
      const timer = setTimeout(() => done(), timeoutMs);
      const onAbort = () => done();
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        remove(this.byUser, userId, waiter);
        for (const r of rooms) remove(this.byRoom, r, waiter);
        resolve();
      };
      add(this.byUser, userId, waiter);
      for (const r of rooms) add(this.byRoom, r, waiter);
    });
  }

  /** Number of waiting requests (for tests and metrics). */
  waiting(): number {
    let n = 0;
    for (const s of this.byUser.values()) n += s.size;
    return n;
  }
}

/** Pauses between reads of the persisted-up-to position while announcements are held. */
const RECHECK_FIRST_MS = 2;
const RECHECK_MAX_MS = 200;

function merge(a: Position | undefined, b: Position): Position {
  return a ? { stream: Math.max(a.stream, b.stream), typing: Math.max(a.typing, b.typing) } : b;
}

function add(map: Map<string, Set<Waiter>>, key: string, w: Waiter): void {
  let s = map.get(key);
  if (!s) map.set(key, (s = new Set()));
  s.add(w);
}

function remove(map: Map<string, Set<Waiter>>, key: string, w: Waiter): void {
  const s = map.get(key);
  if (!s) return;
  s.delete(w);
  if (s.size === 0) map.delete(key);
}
