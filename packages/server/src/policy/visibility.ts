// History visibility ∘ ignore: whether a viewer may see an event ("History visibility" in the
// client-server API, and the ignore policy). The only place that mints a VisibleEvent; response
// formatters accept nothing else, so no read path can forget either rule.

import { emptyIgnoreView } from '@hush/protocol';
import type { Tx } from '../storage/db.ts';
import type { EventRow } from '../storage/events.store.ts';
import { stateStore, type StateHistoryRow } from '../storage/state.store.ts';
import { hidesEvent, type PolicyView } from './ignore.ts';

declare const visible: unique symbol;
export type VisibleEvent = EventRow & { readonly [visible]: true };

interface Change {
  ordering: number;
  value: string;
}

/** Where `list` (sorted by ordering) stood just before `ordering`. */
function before(list: readonly Change[], ordering: number, fallback: string): string {
  let v = fallback;
  for (const c of list) {
    if (c.ordering >= ordering) break;
    v = c.value;
  }
  return v;
}

/** What one viewer may see of one room: built from the viewer's membership changes and the
 *  room's history-visibility changes (one small query per room), plus the viewer's IgnoreView. */
export class RoomViewer {
  private readonly memberships: Change[] = [];
  private readonly visibilities: Change[] = [];

  constructor(
    readonly userId: string,
    history: readonly StateHistoryRow[],
    readonly ignore: PolicyView,
  ) {
    for (const h of history) {
      // A null value: a membership without one, or a key state resolution dropped (decision 0043:
      // no membership; no history visibility event, `shared`).
      const change = { ordering: h.ordering, value: h.value ?? (h.type === 'm.room.member' ? '' : 'shared') };
      if (h.type === 'm.room.member') this.memberships.push(change);
      else this.visibilities.push(change);
    }
  }

  /** The viewer's membership now. */
  currentMembership(): string {
    return this.memberships.at(-1)?.value ?? 'leave';
  }

  membershipBefore(ordering: number): string {
    return before(this.memberships, ordering, 'leave');
  }

  /** Whether the viewer joined after `ordering` while not joined just before: a first join, or a
   *  return after a leave (what happened while away is not theirs to see in the timeline). */
  joinedAfter(ordering: number): boolean {
    let joined = this.membershipBefore(ordering + 1) === 'join';
    for (const c of this.memberships) {
      if (c.ordering <= ordering) continue;
      if (c.value === 'join' && !joined) return true;
      joined = c.value === 'join';
    }
    return false;
  }

  /** The room's history visibility now (no event: `shared`). */
  currentVisibility(): string {
    return this.visibilities.at(-1)?.value ?? 'shared';
  }

  /**
   * Up to where the viewer may read the room's state: `'current'` when joined now or the room is
   * `world_readable` now; the position of the change that ended their last membership as a joined
   * member (a leave, kick or ban, inclusive) when they were joined once; `undefined` when they
   * never joined (an invitee): then only the state events history visibility shows them one by one.
   */
  stateBound(): number | 'current' | undefined {
    if (this.currentMembership() === 'join' || this.currentVisibility() === 'world_readable') return 'current';
    const lastJoin = this.memberships.findLastIndex((c) => c.value === 'join');
    if (lastJoin < 0) return undefined;
    return this.memberships[lastJoin + 1]?.ordering ?? 'current';
  }

  /**
   * Whether the viewer may read the room's timeline at all (/messages, /context, /event): joined
   * or invited now or at some point, or the room is `world_readable` now. Everyone else — and
   * everyone asking about a room that does not exist — gets the same 403, so the answer tells an
   * outsider nothing about the room (decision 0016).
   */
  mayRead(): boolean {
    return this.stateBound() !== undefined || this.memberships.some((c) => c.value === 'invite');
  }

  /**
   * The state events of the room at some position, as this viewer may be served them. The caller
   * reads the state at a position no later than `stateBound()` (timeline.visibleStateAt does);
   * rows past a numeric bound are dropped here as a second guard. A viewer who never joined gets
   * only the state events history visibility allows (their own membership, and with `invited`
   * visibility what was sent since the invite).
   */
  visibleState(rows: readonly EventRow[]): VisibleEvent[] {
    const bound = this.stateBound();
    if (bound === undefined) return rows.filter((r): r is VisibleEvent => this.historyAllows(r));
    if (bound === 'current') return rows as VisibleEvent[];
    return rows.filter((r): r is VisibleEvent => r.stream_ordering <= bound);
  }

  /** History visibility rules: world_readable, joined at the event, shared and joined since, invited. */
  historyAllows(ev: EventRow): boolean {
    if (ev.type === 'm.room.member' && ev.state_key === this.userId) return true;
    const hv = before(this.visibilities, ev.stream_ordering, 'shared');
    if (hv === 'world_readable') return true;
    const m = this.membershipBefore(ev.stream_ordering);
    if (m === 'join') return true;
    if (hv === 'shared' && this.memberships.some((c) => c.value === 'join' && c.ordering > ev.stream_ordering)) return true;
    if (hv === 'invited' && m === 'invite') return true;
    return false;
  }

  /**
   * The positions whose events (other than the viewer's own membership events) history visibility
   * lets this viewer see, as ranges (after, upTo]; the last may end at Number.MAX_SAFE_INTEGER.
   * The verdict only changes at a membership or visibility change, so it is asked once per stretch
   * between changes. Used to bound index searches and counts; events still pass `canSee`.
   */
  visibleRanges(): [number, number][] {
    const points = [...new Set([...this.memberships, ...this.visibilities].map((c) => c.ordering))].sort((a, b) => a - b);
    // Stretches: [0, p1-1], [p1], [p1+1, p2-1], [p2], …, [pn+1, ∞).
    const stretches: [number, number][] = [];
    let from = 0;
    for (const p of points) {
      if (p - 1 >= from) stretches.push([from, p - 1]);
      stretches.push([p, p]);
      from = p + 1;
    }
    stretches.push([from, Number.MAX_SAFE_INTEGER]);
    const out: [number, number][] = [];
    for (const [lo, hi] of stretches) {
      const probe = { type: '', state_key: null, stream_ordering: lo } as unknown as EventRow;
      if (!this.historyAllows(probe)) continue;
      const last = out.at(-1);
      if (last && last[1] === lo - 1) last[1] = hi;
      else out.push([lo - 1, hi]);
    }
    return out;
  }

  /** The one verdict: history visibility, then the ignore policy. */
  canSee(ev: EventRow): ev is VisibleEvent {
    return this.historyAllows(ev) && !hidesEvent(this.ignore, ev);
  }

  /** Keeps what the viewer may see, in the given order. */
  filter(rows: readonly EventRow[]): VisibleEvent[] {
    return rows.filter((r): r is VisibleEvent => this.canSee(r));
  }
}

/** The viewer of one room for the user whose loaded view `ignore` is (one small query). */
export async function loadViewer(tx: Tx, roomId: string, ignore: PolicyView): Promise<RoomViewer> {
  return new RoomViewer(ignore.userId, await stateStore.visibilityHistory(tx, roomId, ignore.userId), ignore);
}

/** The viewers of many rooms for one user, their histories read in a few queries (an initial /sync). */
export async function loadViewers(tx: Tx, roomIds: readonly string[], ignore: PolicyView): Promise<Map<string, RoomViewer>> {
  const histories = await stateStore.visibilityHistories(tx, roomIds, ignore.userId);
  return new Map(roomIds.map((id) => [id, new RoomViewer(ignore.userId, histories.get(id) ?? [], ignore)]));
}

/** A viewer by history visibility alone, ignoring nobody — for acts about the room rather than
 *  reads for the user (a report of an event the reporter may already have ignored). Said once, here. */
export async function loadHistoryViewer(tx: Tx, roomId: string, userId: string): Promise<RoomViewer> {
  return new RoomViewer(userId, await stateStore.visibilityHistory(tx, roomId, userId), emptyIgnoreView(userId, 0) as unknown as PolicyView);
}
