// Other servers' timestamp_to_event, for our clients (decision 0044): GET
// /_matrix/federation/v1/timestamp_to_event/{roomId} of a few of the room's servers in turn, each
// with a time limit; an answer is kept only with an event id of the grammar and an integer
// origin_server_ts on the asked side of the time. The event it names is fetched (/event) and
// checked and stored by the backfiller; the service decides whether it is answered.

import { isEventId, type EventId } from '@hush/protocol';
import type { Federation } from '../index.ts';
import type { RemoteTimestamps } from '../../services/rooms/timestamp.ts';
import type { Backfiller } from './backfill.ts';

/** Time each server has to answer, and the whole look-up. */
const ASK_TIMEOUT_MS = 5_000;
const TOTAL_MS = 10_000;
const FETCH_TIMEOUT_MS = 5_000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A checked answer, or undefined. */
export function checkTimestampAnswer(body: unknown, ts: number, dir: 'f' | 'b'): { event_id: EventId; origin_server_ts: number } | undefined {
  if (!isObject(body)) return undefined;
  const id = body['event_id'];
  const at = body['origin_server_ts'];
  if (typeof id !== 'string' || id.length > 255 || !isEventId(id)) return undefined;
  if (typeof at !== 'number' || !Number.isSafeInteger(at) || at < 0) return undefined;
  if (dir === 'f' ? at < ts : at > ts) return undefined;
  return { event_id: id, origin_server_ts: at };
}

export function remoteTimestamps(f: Federation, backfiller: Backfiller): RemoteTimestamps {
  const ask = async (server: string, roomId: string, ts: number, dir: 'f' | 'b', timeoutMs: number) => {
    const path = `/_matrix/federation/v1/timestamp_to_event/${encodeURIComponent(roomId)}?ts=${ts}&dir=${dir}`;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
    try {
      const res = await Promise.race([f.signedRequest(server, 'GET', path), timeout]);
      return res && res.status === 200 ? checkTimestampAnswer(res.json, ts, dir) : undefined;
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    async closest(roomId, ts, dir, servers) {
      const deadline = Date.now() + TOTAL_MS;
      for (const server of servers) {
        if (server === f.serverName) continue;
        const left = Math.min(ASK_TIMEOUT_MS, deadline - Date.now());
        if (left <= 0) break;
        const answer = await ask(server, roomId, ts, dir, left);
        if (answer) return { ...answer, server };
      }
      return undefined;
    },
    async hold(roomId, eventId, server) {
      try {
        await backfiller.fetchOne(roomId, eventId, server, FETCH_TIMEOUT_MS);
      } catch {
        // Not held: not answered.
      }
    },
  };
}
