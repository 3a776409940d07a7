// Typing notifications: in memory, per room, each with an expiry; every change bumps this
// process's typing serial and wakes the room's waiting syncs. With several processes, each change
// is sent to the others as the room's whole list (last writer wins), so a user typing through one
// process shows in syncs served by another.

import { forbidden } from '@hush/spec';
import type { Db } from '../storage/db.ts';
import { stateStore } from '../storage/state.store.ts';
import type { Notifier } from '../notifier/notifier.ts';
import type { Requester } from '../http/auth.ts';

const MAX_TIMEOUT_MS = 120_000;

export class TypingService {
  private readonly rooms = new Map<string, Map<string, number>>();
  /** Serial of the last change per room. */
  private readonly changed = new Map<string, number>();
  /** Follows the clock so serials keep rising across restarts and stay roughly comparable between
   *  processes (tokens carry them, and a token may come back to another process). */
  private serial = Date.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    private readonly notifier: Notifier,
    private readonly now: () => number = Date.now,
  ) {
    notifier.onRemote('typing', (m) => {
      const now = this.now();
      const users = new Map(m.users.filter(([, until]) => until > now));
      if (users.size > 0) {
        this.rooms.set(m.room, users);
        this.schedule();
      } else {
        this.rooms.delete(m.room);
      }
      this.bump(m.room, false);
    });
  }

  async setTyping(r: Requester, roomId: string, userId: string, typing: boolean, timeoutMs = 30_000): Promise<void> {
    if (userId !== r.userId) throw forbidden('Cannot set typing for another user');
    const m = await stateStore.membership(this.db, roomId, r.userId);
    if (m?.membership !== 'join') throw forbidden('You are not in this room');
    let users = this.rooms.get(roomId);
    if (typing) {
      if (!users) this.rooms.set(roomId, (users = new Map()));
      const was = users.has(userId);
      users.set(userId, this.now() + Math.min(Math.max(timeoutMs, 0), MAX_TIMEOUT_MS));
      this.schedule();
      if (!was) this.bump(roomId);
    } else if (users?.delete(userId)) {
      this.bump(roomId);
    }
  }

  private bump(roomId: string, share = true): void {
    this.serial = Math.max(this.serial + 1, this.now());
    this.changed.set(roomId, this.serial);
    this.notifier.notify({ typing: this.serial }, { rooms: [roomId] });
    if (share) this.notifier.publish({ k: 'typing', room: roomId, users: [...(this.rooms.get(roomId) ?? new Map<string, number>())] });
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.expire(), 1000);
    this.timer.unref();
  }

  private expire(): void {
    const now = this.now();
    for (const [roomId, users] of this.rooms) {
      let changed = false;
      for (const [u, until] of users) if (until <= now) changed = users.delete(u) || changed;
      if (users.size === 0) this.rooms.delete(roomId);
      // Every process expires the same entries by itself: nothing to share.
      if (changed) this.bump(roomId, false);
    }
    if (this.rooms.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  current(): number {
    return this.serial;
  }

  /** Whether the room's typing list changed after `since`. */
  changedSince(roomId: string, since: number): boolean {
    return (this.changed.get(roomId) ?? 0) > since;
  }

  typingIn(roomId: string): string[] {
    return [...(this.rooms.get(roomId)?.keys() ?? [])];
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
