// In-process tests of GET /_matrix/client/v1/rooms/{roomId}/threads: order by newest reply, the
// bundled summary, include=participated, ignored senders left out with pages kept full, bad input.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSuiteApp, type Session, type TestApp } from '../helpers.ts';
import { roomSteps, type RoomSteps } from '../room-helpers.ts';

const V1 = '/_matrix/client/v1';
const enc = encodeURIComponent;

let t: TestApp;
let r: RoomSteps;
let alice: Session;
let bob: Session;
let carol: Session;
let dave: Session;
let roomId: string;
const roots: Record<string, string> = {};
let txn = 0;

const reply = async (s: Session, root: string, body = 'reply') => {
  const res = await t.req('PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/thr${++txn}`, {
    token: s.token,
    body: { msgtype: 'm.text', body, 'm.relates_to': { rel_type: 'm.thread', event_id: root } },
  });
  assert.equal(res.status, 200);
};
const threads = (s: Session, query = '', room = roomId) => t.req('GET', `${V1}/rooms/${enc(room)}/threads${query}`, { token: s.token });
const bodies = (res: { json: { chunk: { content: { body: string } }[] } }) => res.json.chunk.map((e) => e.content.body);

before(async () => {
  t = await createSuiteApp();
  r = roomSteps(t);
  alice = await t.register('alice');
  bob = await t.register('bob');
  carol = await t.register('carol');
  dave = await t.register('dave');
  roomId = await r.createRoom(alice, { preset: 'public_chat' });
  await r.join(bob, roomId);
  await r.join(carol, roomId);
  roots['t1'] = await r.send(alice, roomId, 't1 by alice');
  roots['t2'] = await r.send(bob, roomId, 't2 by bob');
  roots['t3'] = await r.send(carol, roomId, 't3 by carol');
  roots['t4'] = await r.send(carol, roomId, 't4 by carol');
  await r.send(alice, roomId, 'not a thread');
  await reply(carol, roots['t1'] as string);
  await reply(carol, roots['t2'] as string);
  await reply(bob, roots['t3'] as string, 'only bob here');
  await reply(alice, roots['t4'] as string);
  await reply(bob, roots['t4'] as string, 'bob in t4');
  await reply(carol, roots['t1'] as string, 'carol again');
});
after(() => t.close());

describe('getThreadRoots', () => {
  test('thread roots, newest reply first, each with its bundled summary', async () => {
    const res = await threads(carol);
    assert.equal(res.status, 200);
    assert.deepEqual(bodies(res), ['t1 by alice', 't4 by carol', 't3 by carol', 't2 by bob']);
    assert.equal(res.json.next_batch, undefined);
    const t1 = res.json.chunk[0].unsigned['m.relations']['m.thread'];
    assert.equal(t1.count, 2);
    assert.equal(t1.latest_event.content.body, 'carol again');
    assert.equal(t1.current_user_participated, true);
  });

  test('include=participated: threads the user started or replied to', async () => {
    assert.deepEqual(bodies(await threads(alice, '?include=participated')), ['t1 by alice', 't4 by carol']);
    assert.deepEqual(bodies(await threads(dave, '?include=participated', await r.createRoom(dave))), []);
  });

  test('an ignored user: roots they sent and threads with only their replies are left out; summaries leave them out', async () => {
    await r.ignore(alice, [bob.userId]);
    try {
      const res = await threads(alice);
      assert.deepEqual(bodies(res), ['t1 by alice', 't4 by carol']);
      const t4 = res.json.chunk[1].unsigned['m.relations']['m.thread'];
      assert.equal(t4.count, 1);
      assert.equal(t4.latest_event.sender, alice.userId);
      assert.ok(!res.text.includes('bob in t4') && !res.text.includes(bob.userId));
    } finally {
      await r.ignore(alice, []);
    }
  });

  test('pages stay full when ignored users started most threads; pages add up to the whole list', async () => {
    const room = await r.createRoom(alice, { preset: 'public_chat' });
    await r.join(bob, room);
    const saved = roomId;
    roomId = room;
    try {
      const visible: string[] = [];
      for (let i = 0; i < 12; i++) {
        const root = await r.send(i % 4 === 0 ? alice : bob, room, `root ${i}`);
        await reply(alice, root);
        if (i % 4 === 0) visible.unshift(`root ${i}`);
      }
      await r.ignore(carol, [bob.userId]);
      await r.join(carol, room);
      const seen: string[] = [];
      let from: string | undefined;
      for (let i = 0; i < 10; i++) {
        const res = await threads(carol, `?limit=1${from ? `&from=${enc(from)}` : ''}`);
        assert.equal(res.status, 200);
        seen.push(...bodies(res));
        from = res.json.next_batch;
        if (from === undefined) break;
        assert.equal(res.json.chunk.length, 1, 'a page with more to come is full');
      }
      assert.deepEqual(seen, visible);
    } finally {
      roomId = saved;
      await r.ignore(carol, []);
    }
  });

  test('rooms the user may not view are 403 M_FORBIDDEN; a world_readable room is open; bad parameters are 400', async () => {
    const secret = await r.createRoom(alice);
    for (const room of [secret, '!nowhere:localhost']) {
      const res = await threads(dave, '', room);
      assert.equal(res.status, 403);
      assert.equal(res.json.errcode, 'M_FORBIDDEN');
    }
    const readable = await r.createRoom(alice, { initial_state: [{ type: 'm.room.history_visibility', content: { history_visibility: 'world_readable' } }] });
    assert.equal((await threads(dave, '', readable)).status, 200);
    for (const q of ['?limit=0', '?limit=ten', '?include=mine', '?from=nonsense']) {
      const res = await threads(alice, q);
      assert.equal(res.status, 400, q);
      assert.equal(res.json.errcode, 'M_INVALID_PARAM', q);
    }
    assert.equal((await threads(alice, '', 'not-a-room')).status, 400);
  });
});
