// Client-server changes of spec v1.16 (decision 0002's behaviour review): `format=event` on a state
// read, `use_state_after` / `state_after` in /sync (MSC4222).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSuiteApp, type Session, type TestApp } from '../helpers.ts';
import { roomSteps, type RoomSteps } from '../room-helpers.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

let t: TestApp;
let r: RoomSteps;
let alice: Session;
let bob: Session;

before(async () => {
  t = await createSuiteApp();
  r = roomSteps(t);
  alice = await t.register('v116_alice');
  bob = await t.register('v116_bob');
});
after(() => t.close());

/** A GET without the spec check of every test request: the spec's schema for a state read is a
 *  `oneOf` of "any object" and "an event", which a whole event matches twice. */
async function rawGet(path: string, s: Session) {
  const res = await t.app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${s.token}` } });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.statusCode, text: res.body, json: JSON.parse(res.body) as any };
}

describe('GET /rooms/{roomId}/state/{eventType}/{stateKey}?format=', () => {
  test('format=event answers the whole event, format=content (the default) its content; a bad format is 400', async () => {
    const room = await r.createRoom(alice, { name: 'Formats' });
    const path = `${V3}/rooms/${enc(room)}/state/m.room.name`;
    const content = await t.req('GET', `${path}/`, { token: alice.token });
    assert.deepEqual(content.json, { name: 'Formats' });
    assert.deepEqual((await t.req('GET', `${path}?format=content`, { token: alice.token })).json, { name: 'Formats' });
    for (const p of [`${path}?format=event`, `${path}/?format=event`]) {
      const ev = await rawGet(p, alice);
      assert.equal(ev.status, 200, ev.text);
      assert.equal(ev.json.type, 'm.room.name');
      assert.equal(ev.json.state_key, '');
      assert.equal(ev.json.sender, alice.userId);
      assert.equal(ev.json.room_id, room);
      assert.match(ev.json.event_id, /^\$/);
      assert.deepEqual(ev.json.content, { name: 'Formats' });
    }
    const member = await rawGet(`${V3}/rooms/${enc(room)}/state/m.room.member/${enc(alice.userId)}?format=event`, alice);
    assert.equal(member.json.content.membership, 'join');
    const bad = await t.req('GET', `${path}?format=json`, { token: alice.token });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.errcode, 'M_INVALID_PARAM');
  });
});

describe('/sync?use_state_after=true (MSC4222)', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type Room = { state?: { events: any[] }; state_after?: { events: any[] }; timeline: { events: any[]; limited: boolean } };
  const keys = (evs: { type: string; state_key: string }[]) => evs.map((e) => `${e.type}|${e.state_key}`).sort();

  test('initial: state_after holds the whole state and `state` is absent; without the flag nothing changes', async () => {
    const room = await r.createRoom(alice, { name: 'After' });
    const on = (await r.sync(alice, { use_state_after: true })).rooms.join[room] as Room;
    assert.equal(on.state, undefined);
    assert.ok(on.state_after);
    for (const k of ['m.room.create|', 'm.room.name|', `m.room.member|${alice.userId}`, 'm.room.power_levels|']) assert.ok(keys(on.state_after.events).includes(k), k);
    const off = (await r.sync(alice)).rooms.join[room] as Room;
    assert.equal(off.state_after, undefined);
    assert.ok(off.state);
  });

  test('incremental: state set in the timeline is in state_after too; an entry with no state change has an empty one', async () => {
    const room = await r.createRoom(alice, { name: 'One' });
    const since = (await r.sync(alice, { use_state_after: true })).next_batch;
    await r.setState(alice, room, 'm.room.name', { name: 'Two' });
    await r.send(alice, room, 'after the rename');
    const on = (await r.sync(alice, { use_state_after: true, since })).rooms.join[room] as Room;
    assert.equal(on.state, undefined);
    assert.equal(on.timeline.limited, false);
    assert.ok(on.timeline.events.some((e) => e.type === 'm.room.name'), 'the rename is in the timeline');
    assert.deepEqual(keys(on.state_after!.events), ['m.room.name|'], 'and in state_after');
    assert.equal(on.state_after!.events[0].content.name, 'Two');
    const off = (await r.sync(alice, { since })).rooms.join[room] as Room;
    assert.deepEqual(off.state?.events ?? [], [], 'without the flag, state stops at the timeline start');

    const since2 = (await r.sync(alice, { since })).next_batch;
    await r.send(alice, room, 'just words');
    const quiet = (await r.sync(alice, { use_state_after: true, since: since2 })).rooms.join[room] as Room;
    assert.deepEqual(quiet.state_after, { events: [] }, 'present even when empty');
  });

  test('limited incremental: a change before the timeline and a join inside it are both in state_after', async () => {
    const room = await r.createRoom(alice, { name: 'Busy', preset: 'public_chat' });
    const filter = JSON.stringify({ room: { timeline: { limit: 2 } } });
    const since = (await r.sync(alice, { use_state_after: true, filter })).next_batch;
    await r.setState(alice, room, 'm.room.topic', { topic: 'early' });
    for (let i = 0; i < 4; i++) await r.send(alice, room, `m${i}`);
    await r.join(bob, room);
    const on = (await r.sync(alice, { use_state_after: true, since, filter })).rooms.join[room] as Room;
    assert.equal(on.timeline.limited, true);
    assert.deepEqual(keys(on.state_after!.events), [`m.room.member|${bob.userId}`, 'm.room.topic|']);
  });

  test('a left room carries state_after up to the leave', async () => {
    const room = await r.createRoom(alice, { name: 'Leaving', preset: 'public_chat' });
    await r.join(bob, room);
    const since = (await r.sync(bob, { use_state_after: true })).next_batch;
    await r.leave(bob, room);
    await r.setState(alice, room, 'm.room.name', { name: 'After bob left' });
    const left = (await r.sync(bob, { use_state_after: true, since })).rooms.leave[room] as Room;
    assert.equal(left.state, undefined);
    assert.deepEqual(keys(left.state_after!.events), [`m.room.member|${bob.userId}`], 'the leave, not the rename after it');
  });
});
