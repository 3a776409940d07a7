// Room-level steps for in-process tests: create, invite, join, send, state, sync.

import type { Session, TestApp } from './helpers.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;
let txn = 0;

export interface RoomSteps {
  createRoom(s: Session, body?: Record<string, unknown>): Promise<string>;
  invite(s: Session, roomId: string, userId: string): Promise<void>;
  join(s: Session, roomId: string): Promise<void>;
  leave(s: Session, roomId: string): Promise<void>;
  send(s: Session, roomId: string, body?: string, type?: string): Promise<string>;
  setState(s: Session, roomId: string, type: string, content: Record<string, unknown>, stateKey?: string): Promise<string>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  sync(s: Session, query?: Record<string, string | number | boolean>): Promise<any>;
  ignore(s: Session, userIds: string[]): Promise<void>;
}

export function roomSteps(t: TestApp): RoomSteps {
  const ok = async (what: string, p: ReturnType<TestApp['req']>) => {
    const r = await p;
    if (r.status !== 200) throw new Error(`${what}: ${r.status} ${r.text}`);
    return r.json;
  };
  return {
    createRoom: async (s, body = {}) => (await ok('createRoom', t.req('POST', `${V3}/createRoom`, { token: s.token, body }))).room_id,
    invite: async (s, roomId, userId) => {
      await ok('invite', t.req('POST', `${V3}/rooms/${enc(roomId)}/invite`, { token: s.token, body: { user_id: userId } }));
    },
    join: async (s, roomId) => {
      await ok('join', t.req('POST', `${V3}/join/${enc(roomId)}`, { token: s.token, body: {} }));
    },
    leave: async (s, roomId) => {
      await ok('leave', t.req('POST', `${V3}/rooms/${enc(roomId)}/leave`, { token: s.token, body: {} }));
    },
    send: async (s, roomId, body = 'hello', type = 'm.room.message') =>
      (await ok('send', t.req('PUT', `${V3}/rooms/${enc(roomId)}/send/${enc(type)}/t${++txn}`, { token: s.token, body: { msgtype: 'm.text', body } }))).event_id,
    setState: async (s, roomId, type, content, stateKey = '') =>
      (await ok('setState', t.req('PUT', `${V3}/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`, { token: s.token, body: content }))).event_id,
    sync: async (s, query = {}) => {
      const qs = new URLSearchParams(Object.entries({ timeout: 0, ...query }).map(([k, v]) => [k, String(v)])).toString();
      return ok('sync', t.req('GET', `${V3}/sync?${qs}`, { token: s.token }));
    },
    ignore: async (s, userIds) => {
      const ignored_users = Object.fromEntries(userIds.map((u) => [u, {}]));
      await ok('ignore', t.req('PUT', `${V3}/user/${enc(s.userId)}/account_data/m.ignored_user_list`, { token: s.token, body: { ignored_users } }));
    },
  };
}
