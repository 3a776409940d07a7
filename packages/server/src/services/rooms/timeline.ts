// Reading a room's timeline as one viewer sees it: the viewer (history visibility ∘ ignore) is
// built once per room and request; scans fill the page — they keep reading until `limit` visible
// events are found or the range ends, so filtering never makes a page short.

import { ErrCode, MatrixError, notFound } from '@hush/protocol';
import type { Tx } from '../../storage/db.ts';
import { eventsStore, type EventRow } from '../../storage/events.store.ts';
import { stateStore } from '../../storage/state.store.ts';
import type { RoomViewer, VisibleEvent } from '../../policy/visibility.ts';

/** Viewers are built by the policy only. */
export { loadViewer } from '../../policy/visibility.ts';

export interface ScanResult {
  /** Visible events in scan order (newest first for 'b', oldest first for 'f'). */
  events: VisibleEvent[];
  /** Where the next scan continues: past the last event returned, or the bound once exhausted. */
  last: number;
  /** True when the range was read to its end. */
  exhausted: boolean;
}

/** Reads rows with after < ordering ≤ upTo in the given order, at most `limit` of them. */
export type RowSource = (after: number, upTo: number, dir: 'b' | 'f', limit: number) => Promise<EventRow[]>;

/**
 * Scans `source` from `from` towards `bound` (both stream positions; 'b' reads ordering ≤ from and
 * > bound, 'f' reads ordering > from and ≤ bound) until `limit` rows pass the viewer and `keep`.
 */
export async function scanRows(
  source: RowSource,
  viewer: RoomViewer,
  dir: 'b' | 'f',
  from: number,
  bound: number,
  limit: number,
  keep: (ev: EventRow) => boolean = () => true,
): Promise<ScanResult> {
  const events: VisibleEvent[] = [];
  let cursor = from;
  const batch = Math.min(Math.max(limit * 2, 20), 500);
  while (events.length < limit) {
    const rows = dir === 'b' ? await source(bound, cursor, 'b', batch) : await source(cursor, bound, 'f', batch);
    for (const row of rows) {
      cursor = dir === 'b' ? row.stream_ordering - 1 : row.stream_ordering;
      if (viewer.canSee(row) && keep(row)) {
        events.push(row);
        if (events.length === limit) return { events, last: cursor, exhausted: false };
      }
    }
    // Read to the bound: continue from the bound itself, not from the last row examined (which may
    // be an event this viewer may not see, e.g. one sent after they left).
    if (rows.length < batch) return { events, last: bound, exhausted: true };
  }
  return { events, last: cursor, exhausted: false };
}

/** A room's timeline, scanned as `scanRows` describes. */
export function scan(
  tx: Tx,
  viewer: RoomViewer,
  roomId: string,
  dir: 'b' | 'f',
  from: number,
  bound: number,
  limit: number,
  keep?: (ev: EventRow) => boolean,
): Promise<ScanResult> {
  return scanRows((after, upTo, d, n) => eventsStore.range(tx, roomId, after, upTo, d, n), viewer, dir, from, bound, limit, keep);
}

/**
 * The one answer for "this event, by id": 404 M_NOT_FOUND when it is not in the room or history
 * hides it (as if it did not exist), 404 M_SENDER_IGNORED with the `sender` when only the ignore
 * policy hides it (MSC4406).
 */
export function visibleOr404(viewer: RoomViewer, row: EventRow | undefined, roomId: string): VisibleEvent {
  if (!row || row.room_id !== roomId || !viewer.historyAllows(row)) throw notFound('Event not found');
  if (!viewer.canSee(row)) throw new MatrixError(404, ErrCode.SENDER_IGNORED, 'You have ignored the sender of this event', { sender: row.sender });
  return row;
}

/** Redaction events of the redacted events in a batch, for `unsigned.redacted_because`. */
export async function redactionsFor(tx: Tx, events: readonly EventRow[]): Promise<Map<string, EventRow>> {
  const ids = events.map((e) => e.redacted_by).filter((x): x is string => x !== null);
  const rows = await eventsStore.byIds(tx, ids);
  return new Map(rows.map((r) => [r.event_id, r]));
}

/** The state rows of a room at a position (inclusive), as events. */
export async function stateEventsAt(tx: Tx, roomId: string, ordering: number | 'current'): Promise<EventRow[]> {
  const refs = ordering === 'current' ? await stateStore.currentState(tx, roomId) : await stateStore.stateAt(tx, roomId, ordering);
  const rows = await eventsStore.byIds(tx, refs.map((r) => r.eventId));
  return rows.sort((a, b) => a.stream_ordering - b.stream_ordering);
}

/**
 * The room's state at `at` (inclusive) as this viewer may see it — the one way a read path serves
 * room state to a viewer: cut at `viewer.stateBound()` (a user who left sees the state as it was at
 * their leave, never later), and for a viewer who never joined only what history visibility shows
 * (an invitee: their own membership, not the member list or power levels). Decision 0016.
 */
export async function visibleStateAt(tx: Tx, viewer: RoomViewer, roomId: string, at: number | 'current'): Promise<VisibleEvent[]> {
  return viewer.visibleState(await stateEventsAt(tx, roomId, stateReadPosition(viewer, at)));
}

/** Where `visibleStateAt` reads the room's state for this viewer: `at`, cut at their state bound. */
export function stateReadPosition(viewer: RoomViewer, at: number | 'current'): number | 'current' {
  const bound = viewer.stateBound();
  return bound === undefined || bound === 'current' ? at : at === 'current' ? bound : Math.min(at, bound);
}
