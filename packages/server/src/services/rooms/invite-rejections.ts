// Rejections of invites from other servers that must go through the inviting server (decisions
// 0034, 0039): the user's lists reject the invite (MSC4294, `--ignored-user-invites reject`), but the
// leave can only be made once that server has stored its invite and while it is reachable. Each
// pending rejection is a row (storage/invite-rejections.store.ts), so it survives a restart; it is
// tried at 100 ms, 400 ms, 1.5 s, 5 s, 15 s, 1 min, 5 min, 15 min, then hourly, for two days, and
// at once when the inviting server contacts us. Every try asks the lists and the membership again:
// an un-listing, or the invite accepted or gone meanwhile, cancels it. Several processes may share
// the table: a try first claims its row (compare-and-swap on its next time).

import type { Db } from '../../storage/db.ts';
import { inviteRejectionsStore, type InviteRejectionRow } from '../../storage/invite-rejections.store.ts';

/** How a pending rejection is judged and made (RoomService). */
export interface RejectionTarget {
  /** Whether the invite is still pending and the user's lists still reject its sender. */
  stillRejected(userId: string, roomId: string, sender: string): Promise<boolean>;
  /** Makes the leave; throws when it cannot be made now. */
  leave(userId: string, roomId: string): Promise<void>;
}

/** Delay before try n+1 after n failed tries (the last one repeats). */
export const REJECTION_DELAYS_MS = [100, 400, 1500, 5000, 15_000, 60_000, 5 * 60_000, 15 * 60_000, 60 * 60_000] as const;
/** A rejection not made after this long is dropped (the invite stays stored and hidden). */
const MAX_AGE_MS = 48 * 60 * 60_000;
/** A claimed row is free again after this long, should its process die mid-try. */
const LEASE_MS = 2 * 60_000;
/** The table is looked at at least this often (rows another process wrote). */
const POLL_MS = 60_000;
const BATCH = 20;

export class InviteRejections {
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private running: Promise<void> | undefined;
  private again = false;
  private started = false;

  constructor(
    private readonly db: Db,
    private readonly target: RejectionTarget,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts trying pending rows (those of before a restart included). */
  start(): void {
    this.started = true;
    this.arm(this.now());
  }

  async stop(): Promise<void> {
    this.started = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    await this.running;
  }

  /** Records a rejection to make `delayMs` from now (an existing one for the pair is brought forward). */
  async schedule(userId: string, roomId: string, sender: string, delayMs: number = REJECTION_DELAYS_MS[0]): Promise<void> {
    const now = this.now();
    await inviteRejectionsStore.put(this.db, { user_id: userId, room_id: roomId, sender, attempts: 0, next_ts: now + delayMs, created_ts: now });
    this.arm(now + delayMs);
  }

  /** `server` contacted us: its users' pending rejections are tried now. */
  async wake(server: string): Promise<void> {
    const now = this.now();
    let woken = false;
    for (const row of await inviteRejectionsStore.waiting(this.db, now, 1000)) {
      if (row.sender.slice(row.sender.indexOf(':') + 1) !== server) continue;
      if (await inviteRejectionsStore.claim(this.db, row, now)) woken = true;
    }
    if (woken) this.arm(now);
  }

  /** One pass over the due rows (also what the timer runs); resolves when done. */
  async runDue(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          const rows = await inviteRejectionsStore.due(this.db, this.now(), BATCH);
          for (const row of rows) await this.tryOne(row);
          if (rows.length === BATCH) this.again = true;
        } while (this.again);
      } finally {
        this.running = undefined;
      }
    })();
    await this.running;
    const soonest = await inviteRejectionsStore.soonest(this.db).catch(() => undefined);
    if (soonest !== undefined) this.arm(soonest);
  }

  private async tryOne(row: InviteRejectionRow): Promise<void> {
    const now = this.now();
    if (!(await inviteRejectionsStore.claim(this.db, row, now + LEASE_MS))) return;
    const drop = () => inviteRejectionsStore.remove(this.db, row.user_id, row.room_id);
    try {
      if (!(await this.target.stillRejected(row.user_id, row.room_id, row.sender))) return void (await drop());
      await this.target.leave(row.user_id, row.room_id);
      await drop();
    } catch {
      const after = this.now();
      if (after - row.created_ts > MAX_AGE_MS) return void (await drop().catch(() => undefined));
      const attempts = row.attempts + 1;
      const delay = REJECTION_DELAYS_MS[Math.min(attempts, REJECTION_DELAYS_MS.length - 1)] as number;
      await inviteRejectionsStore.reschedule(this.db, row.user_id, row.room_id, attempts, after + delay).catch(() => undefined);
    }
  }

  /** Makes sure a pass runs by `at` (and at least every POLL_MS while started). */
  private arm(at: number): void {
    if (!this.started) return;
    const when = Math.min(at, this.now() + POLL_MS);
    if (this.timer !== undefined && this.timerAt <= when) return;
    clearTimeout(this.timer);
    this.timerAt = when;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      void this.runDue()
        .catch(() => undefined)
        .finally(() => {
          if (this.started && this.timer === undefined) this.arm(this.now() + POLL_MS);
        });
    }, Math.max(0, when - this.now()));
    this.timer.unref();
  }
}
