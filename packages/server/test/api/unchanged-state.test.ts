// Writes that change nothing make no event: state set again to the content of the current event
// (same sender) answers with that event's id, and /join by a member is a no-op — no new stream
// position, no /sync wake-up. Checked under the room lock, so racing identical writes make one event.

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
  alice = await t.register('alice');
  bob = await t.register('bob');
});
after(() => t.close());

const putState = (s: Session, roomId: string, type: string, content: unknown, stateKey = '') =>
  t.req('PUT', `${V3}/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`, { token: s.token, body: content });

/** Event ids of the room's timeline of one type, newest first. */
async function eventsOfType(s: Session, roomId: string, type: string): Promise<string[]> {
  const res = await t.req('GET', `${V3}/rooms/${enc(roomId)}/messages?dir=b&limit=100`, { token: s.token });
  assert.equal(res.status, 200, res.text);
  return (res.json.chunk as { type: string; event_id: string }[]).filter((e) => e.type === type).map((e) => e.event_id);
}

describe('state set to what it already is', () => {
  test('answers the current event id and makes no event: no new position for /sync', async () => {
    const roomId = await r.createRoom(alice);
    const first = await r.setState(alice, roomId, 'm.room.topic', { topic: 'tea', 'm.extra': { a: 1, b: [1, 2] } });
    const since = (await r.sync(alice)).next_batch as string;
    // The same content, keys in another order: equal as canonical JSON.
    const again = await putState(alice, roomId, 'm.room.topic', { 'm.extra': { b: [1, 2], a: 1 }, topic: 'tea' });
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.json, { event_id: first });
    const later = await r.sync(alice, { since });
    assert.equal(later.next_batch, since, 'no stream position was taken');
    assert.equal(later.rooms?.join?.[roomId], undefined, 'nothing new in the room');
    assert.deepEqual(await eventsOfType(alice, roomId, 'm.room.topic'), [first]);
  });

  test('a waiting /sync is not woken by it', async () => {
    const roomId = await r.createRoom(alice);
    await r.setState(alice, roomId, 'm.room.name', { name: 'Quiet' });
    const since = (await r.sync(alice)).next_batch as string;
    const t0 = performance.now();
    const waiting = r.sync(alice, { since, timeout: 600 });
    await new Promise((res) => setTimeout(res, 50));
    assert.equal((await putState(alice, roomId, 'm.room.name', { name: 'Quiet' })).status, 200);
    const woke = await waiting;
    assert.ok(performance.now() - t0 >= 550, `the long poll returned after ${Math.round(performance.now() - t0)} ms`);
    assert.equal(woke.next_batch, since);
  });

  test('different content, or the same content from another sender, is a new event', async () => {
    const roomId = await r.createRoom(alice, { power_level_content_override: { users: { [alice.userId]: 100, [bob.userId]: 100 } } });
    await r.invite(alice, roomId, bob.userId);
    await r.join(bob, roomId);
    const a = await r.setState(alice, roomId, 'm.room.topic', { topic: 'one' });
    const b = await r.setState(alice, roomId, 'm.room.topic', { topic: 'two' });
    assert.notEqual(a, b);
    const c = await r.setState(bob, roomId, 'm.room.topic', { topic: 'two' });
    assert.notEqual(c, b, 'bob saying what alice said is bob\'s event');
    assert.deepEqual(await eventsOfType(alice, roomId, 'm.room.topic'), [c, b, a]);
  });

  test('a redacted current event is not "the same": the content is written again', async () => {
    const roomId = await r.createRoom(alice);
    const first = await r.setState(alice, roomId, 'm.room.topic', { topic: 'gone' });
    const red = await t.req('PUT', `${V3}/rooms/${enc(roomId)}/redact/${enc(first)}/red1`, { token: alice.token, body: {} });
    assert.equal(red.status, 200, red.text);
    const again = await r.setState(alice, roomId, 'm.room.topic', { topic: 'gone' });
    assert.notEqual(again, first);
  });

  test('a member event with identical content is a no-op too', async () => {
    const roomId = await r.createRoom(alice);
    await r.invite(alice, roomId, bob.userId);
    await r.join(bob, roomId);
    const current = await t.req('GET', `${V3}/rooms/${enc(roomId)}/state/m.room.member/${enc(bob.userId)}`, { token: bob.token });
    const before = await eventsOfType(alice, roomId, 'm.room.member');
    const res = await putState(bob, roomId, 'm.room.member', current.json, bob.userId);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.event_id, before[0]);
    assert.deepEqual(await eventsOfType(alice, roomId, 'm.room.member'), before);
    // A real change (a display name) is an event.
    const renamed = await putState(bob, roomId, 'm.room.member', { ...current.json, displayname: 'Bobby' }, bob.userId);
    assert.equal(renamed.status, 200, renamed.text);
    assert.notEqual(renamed.json.event_id, before[0]);
  });

  test('a sender who left gets no shortcut: the write is judged by the auth rules', async () => {
    const roomId = await r.createRoom(alice, { preset: 'public_chat' });
    await r.join(bob, roomId);
    await t.req('PUT', `${V3}/rooms/${enc(roomId)}/state/m.room.power_levels/`, {
      token: alice.token,
      body: { users: { [alice.userId]: 100 }, users_default: 0, events_default: 0, state_default: 0 },
    });
    await r.setState(bob, roomId, 'm.room.topic', { topic: 'bob was here' });
    await r.leave(bob, roomId);
    const res = await putState(bob, roomId, 'm.room.topic', { topic: 'bob was here' });
    assert.equal(res.status, 403, res.text);
  });
});

describe('/join by a member', () => {
  test('answers {room_id} and makes no member event', async () => {
    const roomId = await r.createRoom(alice, { preset: 'public_chat' });
    await r.join(bob, roomId);
    const before = await eventsOfType(alice, roomId, 'm.room.member');
    const since = (await r.sync(bob)).next_batch as string;
    for (const path of [`${V3}/join/${enc(roomId)}`, `${V3}/rooms/${enc(roomId)}/join`]) {
      const res = await t.req('POST', path, { token: bob.token, body: { reason: 'again' } });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json, { room_id: roomId });
    }
    assert.deepEqual(await eventsOfType(alice, roomId, 'm.room.member'), before);
    assert.equal((await r.sync(bob, { since })).next_batch, since);
  });
});

describe('racing identical writes', () => {
  test('ten identical PUTs at once make one event and all answer its id', async () => {
    const roomId = await r.createRoom(alice);
    const answers = await Promise.all(Array.from({ length: 10 }, () => putState(alice, roomId, 'm.room.topic', { topic: 'raced' })));
    for (const a of answers) assert.equal(a.status, 200, a.text);
    const ids = new Set(answers.map((a) => a.json.event_id as string));
    assert.equal(ids.size, 1, `answers named ${ids.size} events`);
    assert.deepEqual(await eventsOfType(alice, roomId, 'm.room.topic'), [...ids]);
  });

  test('ten /joins at once by an invited user make one join', async () => {
    const roomId = await r.createRoom(alice);
    await r.invite(alice, roomId, bob.userId);
    const answers = await Promise.all(Array.from({ length: 10 }, () => t.req('POST', `${V3}/rooms/${enc(roomId)}/join`, { token: bob.token, body: {} })));
    for (const a of answers) assert.equal(a.status, 200, a.text);
    const joins = (await t.req('GET', `${V3}/rooms/${enc(roomId)}/messages?dir=b&limit=100`, { token: alice.token })).json.chunk.filter(
      (e: { type: string; state_key: string; content: { membership: string } }) => e.type === 'm.room.member' && e.state_key === bob.userId && e.content.membership === 'join',
    );
    assert.equal(joins.length, 1);
  });
});
