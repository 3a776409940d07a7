// GET /rooms/{roomId}/timestamp_to_event (spec, v1.6): the event closest to a timestamp in one
// direction, among the events the viewer may see — history visibility and the ignore policy (MSC4406
// lists this endpoint among those that skip ignored senders' events). 404 M_NOT_FOUND when there
// is none, also for unknown rooms and rooms whose history the viewer may not read.
// Other servers (decision 0044): when nothing is found here in that direction, or a gap we lack
// (a backward extremity) may lie between the timestamp and what was found, a few of the room's
// other servers are asked (the `remote` port, set by outbound federation). Their answer is taken
// only when it is closer, once we hold the event (fetched and checked like a backfilled one) and
// the viewer may see it by the same rules as a local answer.

import { notFound, serverNameOf, type EventId, type RoomId, type UserId } from '@hush/protocol';
import type { Db } from '../../storage/db.ts';
import { eventsStore } from '../../storage/events.store.ts';
import { stateStore } from '../../storage/state.store.ts';
import { timestampsStore, type TimePoint } from '../../storage/timestamps.store.ts';
import type { EventRow } from '../../storage/events.store.ts';
import type { Requester } from '../requester.ts';
import type { IgnoreViews } from '../../policy/ignore-lists.ts';
import { loadViewer } from './timeline.ts';

/** Rows read per query while looking for a visible event. */
const BATCH = 100;
/** Rows looked at in all, at most, before answering that nothing is close. */
const MAX_ROWS = 10_000;
/** Other servers asked, at most. */
const MAX_SERVERS = 3;

export interface TimestampAnswer {
  event_id: string;
  origin_server_ts: number;
}

/** Other servers' answers (federation/outbound/timestamp.ts). Never throws. */
export interface RemoteTimestamps {
  /** The first checked answer among `servers` (asked in turn, each briefly): an event id and a
   *  time on the asked side of `ts`, with the server that gave it. */
  closest(roomId: RoomId, ts: number, dir: 'f' | 'b', servers: readonly string[]): Promise<{ event_id: EventId; origin_server_ts: number; server: string } | undefined>;
  /** Fetches the event from `server`, checks it like a backfilled event and stores it if it
   *  passes; whether we hold it afterwards is for the caller to read. */
  hold(roomId: RoomId, eventId: EventId, server: string): Promise<void>;
}

function serverOf(userId: string): string | undefined {
  try {
    return serverNameOf(userId as UserId);
  } catch {
    return undefined;
  }
}

/** Whether `candidate` is on the asked side of `ts` and strictly closer to it than `than`. */
function closer(candidate: number, ts: number, dir: 'f' | 'b', than: TimestampAnswer | undefined): boolean {
  if (dir === 'f' ? candidate < ts : candidate > ts) return false;
  if (!than) return true;
  return dir === 'f' ? candidate < than.origin_server_ts : candidate > than.origin_server_ts;
}

export class TimestampService {
  /** Set while federation is on. */
  remote: RemoteTimestamps | null = null;

  constructor(
    private readonly db: Db,
    private readonly ignoreViews: IgnoreViews,
    private readonly serverName: string,
  ) {}

  async eventByTimestamp(r: Requester, roomId: RoomId, ts: number, dir: 'f' | 'b'): Promise<TimestampAnswer> {
    const plan = await this.db.transaction().execute(async (tx) => {
      const viewer = await loadViewer(tx, roomId, await this.ignoreViews.load(tx, r.userId));
      let local: TimestampAnswer | undefined;
      // Inclusive of `ts` itself: start just before it in the direction of travel (backfilled events
      // have negative positions).
      let from: TimePoint = dir === 'f' ? { ts, ordering: Number.MIN_SAFE_INTEGER } : { ts, ordering: Number.MAX_SAFE_INTEGER };
      search: for (let read = 0; read < MAX_ROWS; read += BATCH) {
        const rows = await timestampsStore.around(tx, roomId, from, dir, BATCH);
        for (const row of rows) {
          if (viewer.canSee(row)) {
            local = { event_id: row.event_id, origin_server_ts: row.origin_server_ts };
            break search;
          }
          from = { ts: row.origin_server_ts, ordering: row.stream_ordering };
        }
        if (rows.length < BATCH) break;
      }
      // Others are asked only for a viewer who may read the room now (no look-ups for strangers),
      // and only when what we hold may be missing something closer.
      if (!this.remote || !viewer.historyAllows({ type: '', state_key: null, stream_ordering: Number.MAX_SAFE_INTEGER } as unknown as EventRow)) return { local, servers: [] };
      if (local && !(await timestampsStore.gapSince(tx, roomId, dir === 'f' ? ts : local.origin_server_ts))) return { local, servers: [] };
      const servers: string[] = [];
      for (const m of await stateStore.members(tx, roomId, 'join')) {
        const s = serverOf(m.user_id);
        if (s !== undefined && s !== this.serverName && !servers.includes(s)) servers.push(s);
      }
      const roomServer = roomId.slice(roomId.indexOf(':') + 1);
      servers.sort((a, b) => (a === roomServer ? -1 : b === roomServer ? 1 : 0));
      return { local, servers: servers.slice(0, MAX_SERVERS) };
    });
    let answer = plan.local;
    if (this.remote && plan.servers.length > 0) {
      const found = await this.fromOthers(this.remote, r, roomId, ts, dir, plan.servers, plan.local);
      if (found) answer = found;
    }
    if (answer) return answer;
    throw notFound(`Unable to find an event from ${ts} in the ${dir === 'f' ? 'forward' : 'backward'} direction`);
  }

  /** Another server's answer, when it is closer than `local`, held here and visible to the viewer. */
  private async fromOthers(remote: RemoteTimestamps, r: Requester, roomId: RoomId, ts: number, dir: 'f' | 'b', servers: string[], local: TimestampAnswer | undefined): Promise<TimestampAnswer | undefined> {
    let candidate;
    try {
      candidate = await remote.closest(roomId, ts, dir, servers);
      if (!candidate || !closer(candidate.origin_server_ts, ts, dir, local)) return undefined;
      if (!(await eventsStore.byId(this.db, candidate.event_id))) await remote.hold(roomId, candidate.event_id, candidate.server);
    } catch {
      return undefined;
    }
    const id = candidate.event_id;
    // The event as we hold it (its own time, not the one claimed), by the local answer's rules.
    return this.db.transaction().execute(async (tx) => {
      const row = await eventsStore.byId(tx, id);
      if (!row || row.room_id !== roomId || !closer(row.origin_server_ts, ts, dir, local)) return undefined;
      const viewer = await loadViewer(tx, roomId, await this.ignoreViews.load(tx, r.userId));
      return viewer.canSee(row) ? { event_id: row.event_id, origin_server_ts: row.origin_server_ts } : undefined;
    });
  }
}
