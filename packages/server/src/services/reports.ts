// Reporting content ("Reporting content"): reports of events, rooms and users are stored for the
// server's administrators, who list them with `hush reports list`. An event report needs a reporter
// joined to the room who may see the event by history visibility; ignoring the sender does not
// stop anyone reporting them (the web client's "Ignore and report" ignores first). Room and user
// reports answer 200 whether or not the room or user exists, as the spec allows, so they tell the
// reporter nothing (decision 0022).

import { randomBytes } from 'node:crypto';
import { notFound, type EventId, type RoomId, type UserId } from '@hush/protocol';
import type { Db } from '../storage/db.ts';
import { eventsStore } from '../storage/events.store.ts';
import { reportsStore, type ReportRow } from '../storage/reports.store.ts';
import type { Requester } from './requester.ts';
import { loadHistoryViewer } from '../policy/visibility.ts';

export interface ReportListing {
  reports: ReportRow[];
}

function newId(): string {
  return randomBytes(9).toString('base64url');
}

export class ReportService {
  constructor(private readonly db: Db) {}

  async reportEvent(r: Requester, roomId: RoomId, eventId: EventId, reason: string | undefined, score: number | undefined): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      // History visibility alone: the reporter may well have ignored the sender already.
      const viewer = await loadHistoryViewer(tx, roomId, r.userId);
      const row = await eventsStore.byId(tx, eventId);
      if (viewer.currentMembership() !== 'join' || !row || row.room_id !== roomId || !viewer.historyAllows(row)) {
        throw notFound('The event was not found or you are not joined to the room');
      }
      await reportsStore.insert(tx, {
        report_id: newId(),
        kind: 'event',
        reporter: r.userId,
        room_id: roomId,
        event_id: eventId,
        target_user_id: row.sender,
        reason: reason ?? null,
        score: score ?? null,
        received_ts: Date.now(),
      });
    });
  }

  async reportRoom(r: Requester, roomId: RoomId, reason: string): Promise<void> {
    await reportsStore.insert(this.db, {
      report_id: newId(),
      kind: 'room',
      reporter: r.userId,
      room_id: roomId,
      event_id: null,
      target_user_id: null,
      reason,
      score: null,
      received_ts: Date.now(),
    });
  }

  async reportUser(r: Requester, userId: UserId, reason: string): Promise<void> {
    await reportsStore.insert(this.db, {
      report_id: newId(),
      kind: 'user',
      reporter: r.userId,
      room_id: null,
      event_id: null,
      target_user_id: userId,
      reason,
      score: null,
      received_ts: Date.now(),
    });
  }
}

/** For the administrators' command line: the newest reports first. */
export async function listReports(db: Db, opts: { since?: number; limit?: number } = {}): Promise<ReportRow[]> {
  return reportsStore.list(db, { ...(opts.since !== undefined ? { since: opts.since } : {}), limit: Math.min(Math.max(opts.limit ?? 100, 1), 10_000) });
}
