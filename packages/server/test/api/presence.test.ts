// Presence (spec "Presence"; issue 25): PUT/GET status, who may read whose, presence in /sync for
// users who share a room, set_presence, idle and offline timeouts, `presence off` — and the ignore
// rule: the presence of someone one ignores is never sent, and their changes leave no trace.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUserId } from '@hush/protocol';
import { createSuiteApp, createTestApp, type Session, type TestApp } from '../helpers.ts';
import { roomSteps, type RoomSteps } from '../room-helpers.ts';
import { IDLE_MS, OFFLINE_MS, PresenceService } from '../../src/services/presence.ts';
import { presenceStore } from '../../src/storage/presence.store.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let t: TestApp;
let r: RoomSteps;

before(async () => {
  t = await createSuiteApp();
  r = roomSteps(t);
});
after(() => t.close());

const statusPath = (userId: string) => `${V3}/presence/${enc(userId)}/status`;
const put = (s: Session, body: unknown, userId = s.userId) => t.req('PUT', statusPath(userId), { token: s.token, body });
const get = (s: Session, userId: string) => t.req('GET', statusPath(userId), { token: s.token });

const sync = (s: Session, since?: string, extra: Record<string, string> = {}): Promise<Json> =>
  r.sync(s, { ...extra, ...(since !== undefined ? { since } : {}) });

const presenceOf = (s: Json, userId: string): Json | undefined => (s.presence?.events as Json[] | undefined)?.find((e) => e.sender === userId);

async function trio(prefix: string) {
  const alice = await t.register(`${prefix}_alice`);
  const bob = await t.register(`${prefix}_bob`);
  const stranger = await t.register(`${prefix}_stranger`);
  const room = await r.createRoom(alice, { preset: 'public_chat' });
  await r.join(bob, room);
  return { alice, bob, stranger, room };
}

describe('PUT and GET /presence/{userId}/status', () => {
  test('one sets one’s own status and reads it back; another user’s is 403 to set', async () => {
    const { alice, bob } = await trio('p1');
    assert.equal((await put(alice, { presence: 'unavailable', status_msg: 'lunch' })).status, 200);
    const me = await get(alice, alice.userId);
    assert.equal(me.status, 200, me.text);
    assert.equal(me.json.presence, 'unavailable');
    assert.equal(me.json.status_msg, 'lunch');
    assert.equal(typeof me.json.last_active_ago, 'number');
    const other = await put(alice, { presence: 'online' }, bob.userId);
    assert.equal(other.status, 403);
    assert.equal(other.json.errcode, 'M_FORBIDDEN');
    assert.equal((await put(alice, { presence: 'away' })).json.errcode, 'M_BAD_JSON');
  });

  test('users who share a room read each other’s presence; a stranger gets 403, an unknown user 404', async () => {
    const { alice, bob, stranger } = await trio('p2');
    await put(bob, { presence: 'online', status_msg: 'here' });
    const seen = await get(alice, bob.userId);
    assert.equal(seen.status, 200, seen.text);
    assert.equal(seen.json.presence, 'online');
    assert.equal(seen.json.status_msg, 'here');
    assert.equal((await get(stranger, bob.userId)).status, 403);
    assert.equal((await get(alice, '@nobody_p2:localhost')).status, 404);
    assert.equal((await get(alice, 'not-a-user')).json.errcode, 'M_INVALID_PARAM');
  });
});

describe('presence in /sync', () => {
  test('a change reaches users who share a room, not strangers; syncing marks one online unless set_presence says otherwise', async () => {
    const { alice, bob, stranger } = await trio('p3');
    const a0 = (await sync(alice)).next_batch;
    const s0 = (await sync(stranger)).next_batch;
    await sync(bob, undefined, { set_presence: 'offline' });
    assert.equal((await get(bob, bob.userId)).json.presence, 'offline', 'set_presence=offline does not mark online');
    await sync(bob); // default: online
    assert.equal((await get(bob, bob.userId)).json.presence, 'online');
    const a1 = await sync(alice, a0);
    assert.equal(presenceOf(a1, bob.userId)?.content?.presence, 'online', 'alice is told bob is online');
    assert.equal(presenceOf(await sync(stranger, s0), bob.userId), undefined, 'a stranger is told nothing');
    await put(bob, { presence: 'unavailable', status_msg: 'away' });
    const a2 = await sync(alice, a1.next_batch);
    assert.equal(presenceOf(a2, bob.userId)?.content?.status_msg, 'away');
    assert.equal(presenceOf(await sync(alice, a2.next_batch), bob.userId), undefined, 'told once');
  });

  test('the presence of someone one ignores is never sent, ends no long-poll, and GET says only offline', async () => {
    const { alice, bob } = await trio('p4');
    await r.ignore(alice, [bob.userId]);
    const since = (await sync(alice)).next_batch;
    const t0 = Date.now();
    const poll = sync(alice, since, { timeout: '1500' });
    await new Promise((res) => setTimeout(res, 100));
    await put(bob, { presence: 'online', status_msg: 'look at me' });
    const s = await poll;
    assert.ok(Date.now() - t0 >= 1400, 'the long-poll lasted its timeout');
    assert.equal(presenceOf(s, bob.userId), undefined);
    assert.deepEqual((await get(alice, bob.userId)).json, { presence: 'offline' });
    assert.equal(presenceOf(await sync(alice), bob.userId), undefined, 'nor in an initial sync');
  });

  test('a filter without m.presence gets none', async () => {
    const { alice, bob } = await trio('p5');
    const since = (await sync(alice)).next_batch;
    await put(bob, { presence: 'online' });
    const s = await sync(alice, since, { filter: JSON.stringify({ presence: { types: ['m.nothing'] } }) });
    assert.deepEqual(s.presence?.events ?? [], []);
  });
});

describe('idle and offline', () => {
  test('online → unavailable after idling, online again on activity, offline once no sync for a while', async () => {
    const u = await t.register('p6_idle');
    let clock = Date.now();
    const p = new PresenceService(t.database.db, t.services.notifier, t.services.caches.ignoreViews, {}, true, () => clock);
    try {
      const end = await p.syncing(parseUserId(u.userId), undefined);
      const state = async () => (await presenceStore.get(t.database.db, u.userId))?.presence;
      assert.equal(await state(), 'online');
      clock += IDLE_MS + 1_000;
      await p.sweep();
      assert.equal(await state(), 'unavailable', 'idle');
      await p.active(parseUserId(u.userId));
      assert.equal(await state(), 'online', 'active again');
      end();
      clock += OFFLINE_MS + 1_000;
      await p.sweep();
      assert.equal(await state(), 'offline', 'no sync: offline');
    } finally {
      p.stop();
    }
  });
});

describe('presence off', () => {
  test('nothing is stored or sent; GET answers offline', async () => {
    const off = await createTestApp({ config: { presence: 'off' } });
    try {
      const a = await off.register('p7_alice');
      const b = await off.register('p7_bob');
      const room = (await off.req('POST', `${V3}/createRoom`, { token: a.token, body: { preset: 'public_chat' } })).json.room_id;
      await off.req('POST', `${V3}/join/${enc(room)}`, { token: b.token, body: {} });
      assert.equal((await off.req('PUT', statusPath(b.userId), { token: b.token, body: { presence: 'online' } })).status, 200);
      assert.deepEqual((await off.req('GET', statusPath(b.userId), { token: a.token })).json, { presence: 'offline' });
      const s = (await off.req('GET', `${V3}/sync?timeout=0`, { token: a.token })).json;
      assert.deepEqual(s.presence.events, []);
    } finally {
      await off.close();
    }
  });
});
