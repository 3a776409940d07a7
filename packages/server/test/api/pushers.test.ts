// In-process tests of pushers (pusher.yaml): POST /pushers/set creates, changes and (kind null)
// deletes; GET /pushers lists; append false takes the app id + pushkey from other users; the http
// URL is checked; email pushers are stored; and a message queues one delivery per pusher unless
// the recipient ignores the sender (invites included).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSuiteApp, type Session, type TestApp } from '../helpers.ts';
import { roomSteps, type RoomSteps } from '../room-helpers.ts';
import { pushStore } from '../../src/storage/push.store.ts';

const V3 = '/_matrix/client/v3';
const URL_OK = 'https://push.example.org/_matrix/push/v1/notify';

let t: TestApp;
let r: RoomSteps;
let alice: Session;
let bob: Session;
let carol: Session;

before(async () => {
  t = await createSuiteApp();
  r = roomSteps(t);
  alice = await t.register('alice');
  bob = await t.register('bob');
  carol = await t.register('carol');
  // Nothing is delivered in this suite: the queue is inspected instead.
  await t.services.pushDelivery.stop();
});
after(() => t.close());

const pusher = (over: Record<string, unknown> = {}) => ({
  pushkey: 'key-1',
  kind: 'http',
  app_id: 'org.example.app',
  app_display_name: 'Example',
  device_display_name: 'Phone',
  lang: 'en',
  data: { url: URL_OK, format: 'event_id_only' },
  ...over,
});
const set = (s: Session, body: unknown) => t.req('POST', `${V3}/pushers/set`, { token: s.token, body });
const list = async (s: Session) => (await t.req('GET', `${V3}/pushers`, { token: s.token })).json.pushers as Record<string, unknown>[];

describe('pushers', () => {
  test('set, list, change and delete (kind null)', async () => {
    assert.deepEqual(await list(alice), []);
    const res = await set(alice, pusher({ profile_tag: 'xyz' }));
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, {});
    assert.deepEqual(await list(alice), [
      { pushkey: 'key-1', kind: 'http', app_id: 'org.example.app', app_display_name: 'Example', device_display_name: 'Phone', profile_tag: 'xyz', lang: 'en', data: { url: URL_OK, format: 'event_id_only' } },
    ]);
    assert.equal((await set(alice, pusher({ device_display_name: 'New phone' }))).status, 200);
    const after = await list(alice);
    assert.equal(after.length, 1, 'same app id and pushkey: changed, not added');
    assert.equal(after[0]?.['device_display_name'], 'New phone');
    assert.equal((await set(alice, { pushkey: 'key-1', app_id: 'org.example.app', kind: null })).status, 200);
    assert.deepEqual(await list(alice), []);
    assert.equal((await set(alice, { pushkey: 'key-1', app_id: 'org.example.app', kind: null })).status, 200, 'deleting what is not there is fine');
  });

  test('append false takes the app id and pushkey from other users; append true shares them', async () => {
    await set(alice, pusher({ pushkey: 'shared' }));
    await set(bob, pusher({ pushkey: 'shared' }));
    assert.deepEqual(await list(alice), [], "bob's pusher replaced alice's");
    assert.equal((await list(bob)).length, 1);
    await set(alice, pusher({ pushkey: 'shared', append: true }));
    assert.equal((await list(alice)).length, 1);
    assert.equal((await list(bob)).length, 1, 'append: both keep it');
    await set(alice, { pushkey: 'shared', app_id: 'org.example.app', kind: null });
    await set(bob, { pushkey: 'shared', app_id: 'org.example.app', kind: null });
  });

  test('email pushers are stored (Hush sends no email)', async () => {
    const res = await set(alice, pusher({ kind: 'email', app_id: 'm.email', pushkey: 'alice@example.org', data: {} }));
    assert.equal(res.status, 200, res.text);
    assert.equal((await list(alice)).find((p) => p['kind'] === 'email')?.['pushkey'], 'alice@example.org');
    await set(alice, { pushkey: 'alice@example.org', app_id: 'm.email', kind: null });
  });

  test('validation: missing fields, bad kinds and bad gateway URLs are 400 with a Matrix error', async () => {
    const cases: [unknown, string][] = [
      [{ pushkey: 'k', app_id: 'a' }, 'M_MISSING_PARAM'],
      [{ kind: 'http', app_id: 'a' }, 'M_MISSING_PARAM'],
      [{ pushkey: 'k', kind: 'http', app_id: 'a' }, 'M_MISSING_PARAM'],
      [pusher({ kind: 'sms' }), 'M_INVALID_PARAM'],
      [pusher({ data: {} }), 'M_MISSING_PARAM'],
      [pusher({ data: { url: 'not a url' } }), 'M_INVALID_PARAM'],
      [pusher({ data: { url: 'ftp://push.example.org/_matrix/push/v1/notify' } }), 'M_INVALID_PARAM'],
      [pusher({ data: { url: 'https://push.example.org/notify' } }), 'M_INVALID_PARAM'],
      [pusher({ data: { url: 'https://user:pw@push.example.org/_matrix/push/v1/notify' } }), 'M_INVALID_PARAM'],
      [pusher({ data: { url: 'http://127.0.0.1:5000/_matrix/push/v1/notify' } }), 'M_INVALID_PARAM'],
      [pusher({ data: { url: 'http://[::1]:5000/_matrix/push/v1/notify' } }), 'M_INVALID_PARAM'],
      [pusher({ data: { url: 'http://10.1.2.3/_matrix/push/v1/notify' } }), 'M_INVALID_PARAM'],
      [pusher({ pushkey: 'x'.repeat(513) }), 'M_INVALID_PARAM'],
      [pusher({ app_id: 'x'.repeat(65) }), 'M_INVALID_PARAM'],
      [pusher({ pushkey: 7 }), 'M_BAD_JSON'],
      [pusher({ data: 'x' }), 'M_BAD_JSON'],
      [pusher({ kind: 'email', app_id: 'm.email', pushkey: 'not-an-address' }), 'M_INVALID_PARAM'],
    ];
    for (const [body, errcode] of cases) {
      const res = await set(alice, body);
      assert.equal(res.status, 400, `${JSON.stringify(body).slice(0, 120)}: ${res.text}`);
      assert.equal(res.json.errcode, errcode, JSON.stringify(body).slice(0, 120));
    }
    assert.deepEqual(await list(alice), []);
  });
});

describe('the push queue', () => {
  test('a message queues one delivery per pusher of each notified member; none for the sender or an ignoring member, and none for an ignored inviter', async () => {
    await set(alice, pusher({ pushkey: 'a1' }));
    await set(alice, pusher({ pushkey: 'a2' }));
    await set(carol, pusher({ pushkey: 'c1' }));
    const room = await r.createRoom(bob, { preset: 'public_chat' });
    await r.join(alice, room);
    await r.join(carol, room);
    await r.ignore(carol, [bob.userId]);
    const before = (await pushStore.due(t.database.db, Date.now() + 1e9, 1000)).length;
    const ev = await r.send(bob, room, 'hello all');
    const queued = (await pushStore.due(t.database.db, Date.now() + 1e9, 1000)).filter((q) => q.event_id === ev);
    assert.deepEqual(queued.map((q) => `${q.user_id} ${q.pushkey}`).sort(), [`${alice.userId} a1`, `${alice.userId} a2`]);
    assert.deepEqual(JSON.parse(queued[0]?.tweaks ?? '{}'), {}, 'a group-room message has no tweaks');
    assert.equal((await pushStore.due(t.database.db, Date.now() + 1e9, 1000)).length, before + 2);

    // An invite from someone carol ignores: counted nowhere, pushed nowhere.
    const other = await r.createRoom(bob, {});
    await r.invite(bob, other, carol.userId);
    await r.invite(bob, other, alice.userId);
    const invites = (await pushStore.due(t.database.db, Date.now() + 1e9, 1000)).filter((q) => q.room_id === other);
    assert.deepEqual(invites.map((q) => q.user_id).sort(), [alice.userId, alice.userId], "only alice's two pushers get the invite");
    assert.deepEqual(JSON.parse(invites[0]?.tweaks ?? '{}'), { sound: 'default' });

    // Un-ignoring does not push the backlog.
    await r.ignore(carol, []);
    assert.equal((await pushStore.due(t.database.db, Date.now() + 1e9, 1000)).filter((q) => q.user_id === carol.userId).length, 0);
    // Deleting a pusher drops what it still had queued.
    await set(alice, { pushkey: 'a1', app_id: 'org.example.app', kind: null });
    assert.equal((await pushStore.due(t.database.db, Date.now() + 1e9, 1000)).filter((q) => q.pushkey === 'a1').length, 0);
  });
});
