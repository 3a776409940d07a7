// Room-level steps over one server's plain HTTP API, and small readers of /sync responses, shared by
// the end-to-end suites of the ignore contract (docs/ignore-semantics.md).

import type { client} from '../../support/server.ts';
import { type ClientSession, type HttpResult } from '../../support/server.ts';

export const V1 = '/_matrix/client/v1';
export const V3 = '/_matrix/client/v3';
export const enc = encodeURIComponent;
export const LIST = 'm.ignored_user_list';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;
type Http = ReturnType<typeof client>;

interface SyncQuery {
  since?: string;
  timeout?: number;
  filter?: Record<string, unknown>;
}

/** Room-level steps over one server's HTTP API; every step fails loudly on a non-200. */
export function steps(http: Http) {
  let txn = 0;
  const ok = async (what: string, p: Promise<HttpResult>): Promise<Json> => {
    const r = await p;
    if (r.status !== 200) throw new Error(`${what}: ${r.status} ${r.text}`);
    return r.json;
  };
  const self = {
    http,
    user: (localpart: string) => http.register(localpart),
    createRoom: async (s: ClientSession, body: Record<string, unknown> = {}): Promise<string> =>
      (await ok('createRoom', http.request('POST', `${V3}/createRoom`, { token: s.token, body }))).room_id,
    invite: async (s: ClientSession, roomId: string, userId: string): Promise<void> => {
      await ok('invite', http.request('POST', `${V3}/rooms/${enc(roomId)}/invite`, { token: s.token, body: { user_id: userId } }));
    },
    join: async (s: ClientSession, roomId: string): Promise<void> => {
      await ok('join', http.request('POST', `${V3}/join/${enc(roomId)}`, { token: s.token, body: {} }));
    },
    sendEvent: async (s: ClientSession, roomId: string, type: string, content: Record<string, unknown>): Promise<string> =>
      (await ok(`send ${type}`, http.request('PUT', `${V3}/rooms/${enc(roomId)}/send/${enc(type)}/ig${++txn}`, { token: s.token, body: content }))).event_id,
    send: (s: ClientSession, roomId: string, body: string, extra: Record<string, unknown> = {}): Promise<string> =>
      self.sendEvent(s, roomId, 'm.room.message', { msgtype: 'm.text', body, ...extra }),
    threadReply: (s: ClientSession, roomId: string, root: string, body: string): Promise<string> =>
      self.send(s, roomId, body, { 'm.relates_to': { rel_type: 'm.thread', event_id: root, is_falling_back: true, 'm.in_reply_to': { event_id: root } } }),
    react: (s: ClientSession, roomId: string, target: string, key: string): Promise<string> =>
      self.sendEvent(s, roomId, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: target, key } }),
    setState: async (s: ClientSession, roomId: string, type: string, content: Record<string, unknown>, stateKey = ''): Promise<string> =>
      (await ok(`state ${type}`, http.request('PUT', `${V3}/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`, { token: s.token, body: content }))).event_id,
    sync: (s: ClientSession, q: SyncQuery = {}): Promise<Json> => {
      const p = new URLSearchParams({ timeout: String(q.timeout ?? 0) });
      if (q.since !== undefined) p.set('since', q.since);
      if (q.filter !== undefined) p.set('filter', JSON.stringify(q.filter));
      return ok('sync', http.request('GET', `${V3}/sync?${p}`, { token: s.token }));
    },
    ignore: async (s: ClientSession, userIds: string[]): Promise<void> => {
      const ignored_users = Object.fromEntries(userIds.map((u) => [u, {}]));
      await ok('ignore', http.request('PUT', `${V3}/user/${enc(s.userId)}/account_data/${LIST}`, { token: s.token, body: { ignored_users } }));
    },
    typing: async (s: ClientSession, roomId: string, typing: boolean): Promise<void> => {
      await ok('typing', http.request('PUT', `${V3}/rooms/${enc(roomId)}/typing/${enc(s.userId)}`, { token: s.token, body: { typing, timeout: 30_000 } }));
    },
    receipt: async (s: ClientSession, roomId: string, eventId: string): Promise<void> => {
      await ok('receipt', http.request('POST', `${V3}/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`, { token: s.token, body: {} }));
    },
    get: (s: ClientSession, path: string): Promise<HttpResult> => http.request('GET', path, { token: s.token }),
    /** alice (the viewer), bob (the one she ignores), carol (a control); a public room all three are in,
     *  where anyone may set the name and topic (so bob can send state). alice does not ignore yet. */
    trio: async (prefix: string) => {
      const [alice, bob, carol] = await Promise.all([self.user(`${prefix}_alice`), self.user(`${prefix}_bob`), self.user(`${prefix}_carol`)]);
      const room = await self.createRoom(alice, { preset: 'public_chat', power_level_content_override: { events: { 'm.room.name': 0, 'm.room.topic': 0 } } });
      await self.join(bob, room);
      await self.join(carol, room);
      return { alice, bob, carol, room };
    },
  };
  return self;
}

// Reading responses

export const joined = (sync: Json, roomId: string): Json => sync?.rooms?.join?.[roomId];
export const timelineOf = (sync: Json, roomId: string): Json[] => joined(sync, roomId)?.timeline?.events ?? [];
export const stateOf = (sync: Json, roomId: string): Json[] => joined(sync, roomId)?.state?.events ?? [];
export const bodies = (events: Json[]): string[] => events.filter((e) => e.type === 'm.room.message').map((e) => e.content.body);
export const isState = (e: Json): boolean => typeof e.state_key === 'string';
