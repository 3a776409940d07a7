// History visibility ∘ ignore: whether a viewer may see an event ("History visibility" in the
// client-server API, and the ignore policy). The only place that mints a VisibleEvent; response
// formatters accept nothing else, so no read path can forget either rule.

import type { EventRow } from '../storage/events.store.ts';
import type { StateHistoryRow } from '../storage/state.store.ts';
import { hidesEvent, type IgnoreView } from './ignore.ts';

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
    readonly ignore: IgnoreView,
  ) {
    for (const h of history) {
      const change = { ordering: h.ordering, value: h.value ?? '' };
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

  /** The one verdict: history visibility, then the ignore policy. */
  canSee(ev: EventRow): ev is VisibleEvent {
    return this.historyAllows(ev) && !hidesEvent(this.ignore, ev);
  }

  /** Keeps what the viewer may see, in the given order. */
  filter(rows: readonly EventRow[]): VisibleEvent[] {
    return rows.filter((r): r is VisibleEvent => this.canSee(r));
  }
}

/** State events of the current state are served to members regardless of when they were sent
 *  (room name, topic, membership). Only this module may vouch for them. */
export function asVisibleState(rows: readonly EventRow[]): VisibleEvent[] {
  return rows as VisibleEvent[];
}
