// In-process tests of room tags (GET/PUT/DELETE …/tags, kept as room account data m.tag and
// delivered by /sync) and of reporting content (reportEvent, reportRoom, reportUser; listed for
// administrators by listReports).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSuiteApp, type Session, type TestApp } from '../helpers.ts';
import { roomSteps, type RoomSteps } from '../room-helpers.ts';
import { listReports } from '../../src/services/reports.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

let t: TestApp;
let r: RoomSteps;
let alice: Session;
let bob: Session;
let carol: Session;
let room: string;

const tagsPath = (s: Session, roomId: string, tag?: string, user = s.userId) =>
  `${V3}/user/${enc(user)}/rooms/${enc(roomId)}/tags${tag !== undefined ? `/${enc(tag)}` : ''}`;

before(async () => {
  t = await createSuiteApp();
  r = roomSteps(t);
  alice = await t.register('alice');
  bob = await t.register('bob');
  carol = await t.register('carol');
  room = await r.createRoom(alice, { preset: 'private_chat', initial_state: [{ type: 'm.room.history_visibility', content: { history_visibility: 'joined' } }] });
  await r.invite(alice, room, bob.userId);
  await r.join(bob, room);
});
after(() => t.close());

describe('room tags', () => {
  test('PUT, GET and DELETE a tag; the m.tag shape', async () => {
    assert.deepEqual((await t.req('GET', tagsPath(alice, room), { token: alice.token })).json, { tags: {} });
    assert.equal((await t.req('PUT', tagsPath(alice, room, 'm.favourite'), { token: alice.token, body: { order: 0.25 } })).status, 200);
    assert.equal((await t.req('PUT', tagsPath(alice, room, 'u.work'), { token: alice.token, body: {} })).status, 200);
    const got = await t.req('GET', tagsPath(alice, room), { token: alice.token });
    assert.equal(got.status, 200);
    assert.deepEqual(got.json, { tags: { 'm.favourite': { order: 0.25 }, 'u.work': {} } });
    const del = await t.req('DELETE', tagsPath(alice, room, 'u.work'), { token: alice.token });
    assert.equal(del.status, 200);
    assert.deepEqual(del.json, {});
    assert.deepEqual((await t.req('GET', tagsPath(alice, room), { token: alice.token })).json, { tags: { 'm.favourite': { order: 0.25 } } });
    assert.equal((await t.req('DELETE', tagsPath(alice, room, 'never.set'), { token: alice.token })).status, 200, 'deleting a tag that is not there');
    // The same content through the account-data API.
    const ad = await t.req('GET', `${V3}/user/${enc(alice.userId)}/rooms/${enc(room)}/account_data/m.tag`, { token: alice.token });
    assert.deepEqual(ad.json, { tags: { 'm.favourite': { order: 0.25 } } });
  });

  test('/sync delivers the tags as room account data, and a tag change wakes an incremental sync', async () => {
    const first = await r.sync(alice);
    const events = first.rooms.join[room].account_data.events;
    assert.deepEqual(events.find((e: { type: string }) => e.type === 'm.tag'), { type: 'm.tag', content: { tags: { 'm.favourite': { order: 0.25 } } } });
    const waiting = r.sync(alice, { since: first.next_batch, timeout: 10_000 });
    await new Promise((res) => setTimeout(res, 100));
    await t.req('PUT', tagsPath(alice, room, 'm.lowpriority'), { token: alice.token, body: { order: 1 } });
    const next = await waiting;
    const tag = next.rooms.join[room].account_data.events.find((e: { type: string }) => e.type === 'm.tag');
    assert.deepEqual(tag.content.tags, { 'm.favourite': { order: 0.25 }, 'm.lowpriority': { order: 1 } });
  });

  test('only oneself: another user\'s tags are 403 M_FORBIDDEN to read and to write', async () => {
    for (const [method, tag] of [['GET', undefined], ['PUT', 'x'], ['DELETE', 'x']] as const) {
      const res = await t.req(method, tagsPath(bob, room, tag, alice.userId), { token: bob.token, ...(method === 'PUT' ? { body: {} } : {}) });
      assert.equal(res.status, 403, `${method}`);
      assert.equal(res.json.errcode, 'M_FORBIDDEN');
    }
  });

  test('bad input: order outside 0…1 or not a number, a tag name over 255 bytes, a bad room id', async () => {
    for (const order of [1.5, -0.1]) {
      const res = await t.req('PUT', tagsPath(alice, room, 'u.x'), { token: alice.token, body: { order } });
      assert.equal(res.status, 400, String(order));
      assert.equal(res.json.errcode, 'M_INVALID_PARAM');
    }
    const str = await t.req('PUT', tagsPath(alice, room, 'u.x'), { token: alice.token, body: { order: '0.5' } });
    assert.equal(str.status, 400);
    assert.equal(str.json.errcode, 'M_BAD_JSON');
    const long = await t.req('PUT', tagsPath(alice, room, `u.${'é'.repeat(127)}`), { token: alice.token, body: {} });
    assert.equal(long.status, 400, '256 bytes');
    assert.equal(long.json.errcode, 'M_INVALID_PARAM');
    assert.equal((await t.req('PUT', tagsPath(alice, room, `u.${'é'.repeat(126)}x`), { token: alice.token, body: {} })).status, 200, '255 bytes');
    const badRoom = await t.req('GET', tagsPath(alice, 'not-a-room'), { token: alice.token });
    assert.equal(badRoom.status, 400);
    assert.equal(badRoom.json.errcode, 'M_INVALID_PARAM');
  });
});

describe('reporting content', () => {
  test('reportEvent by a member who can see the event is stored for the administrators', async () => {
    const id = await r.send(alice, room, 'something bad');
    const res = await t.req('POST', `${V3}/rooms/${enc(room)}/report/${enc(id)}`, { token: bob.token, body: { reason: 'spam', score: -100 } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, {});
    const listed = await listReports(t.database.db);
    const mine = listed.find((x) => x.event_id === id);
    assert.ok(mine);
    assert.equal(mine.kind, 'event');
    assert.equal(mine.reporter, bob.userId);
    assert.equal(mine.target_user_id, alice.userId);
    assert.equal(mine.reason, 'spam');
    assert.equal(Number(mine.score), -100);
  });

  test('reportEvent: an ignored sender can still be reported (Ignore and report)', async () => {
    const id = await r.send(alice, room, 'more of it');
    await r.ignore(bob, [alice.userId]);
    const res = await t.req('POST', `${V3}/rooms/${enc(room)}/report/${enc(id)}`, { token: bob.token, body: { reason: 'ignored and reported' } });
    assert.equal(res.status, 200, res.text);
    await r.ignore(bob, []);
  });

  test('reportEvent: 404 for a non-member, for an event history hides, for an unknown event', async () => {
    const before = await r.send(alice, room, 'before carol');
    await r.invite(alice, room, carol.userId);
    await r.join(carol, room);
    const hidden = await t.req('POST', `${V3}/rooms/${enc(room)}/report/${enc(before)}`, { token: carol.token, body: { reason: 'x' } });
    assert.equal(hidden.status, 404, 'joined history visibility: sent before carol joined');
    assert.equal(hidden.json.errcode, 'M_NOT_FOUND');
    await r.leave(carol, room);
    const later = await r.send(alice, room, 'after carol left');
    const outsider = await t.req('POST', `${V3}/rooms/${enc(room)}/report/${enc(later)}`, { token: carol.token, body: { reason: 'x' } });
    assert.equal(outsider.status, 404);
    const unknown = await t.req('POST', `${V3}/rooms/${enc(room)}/report/${enc('$nope')}`, { token: bob.token, body: { reason: 'x' } });
    assert.equal(unknown.status, 404);
    const noBody = await t.req('POST', `${V3}/rooms/${enc(room)}/report/${enc(later)}`, { token: bob.token, rawBody: '' });
    assert.equal(noBody.status, 200, 'reason is optional');
  });

  test('reportEvent: bad score or reason is 400 M_BAD_JSON', async () => {
    const id = await r.send(alice, room, 'scored');
    for (const body of [{ score: 5 }, { score: -101 }, { score: 'bad' }, { reason: 7 }]) {
      const res = await t.req('POST', `${V3}/rooms/${enc(room)}/report/${enc(id)}`, { token: bob.token, body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.json.errcode, 'M_BAD_JSON');
    }
  });

  test('reportRoom and reportUser: 200 whether or not the room or user exists; stored; reason required', async () => {
    const a = await t.req('POST', `${V3}/rooms/${enc(room)}/report`, { token: carol.token, body: { reason: 'bad room' } });
    assert.equal(a.status, 200);
    const b = await t.req('POST', `${V3}/rooms/${enc('!missing:localhost')}/report`, { token: carol.token, body: { reason: '' } });
    assert.equal(b.status, 200, 'no existence oracle');
    const c = await t.req('POST', `${V3}/users/${enc(alice.userId)}/report`, { token: carol.token, body: { reason: 'bad user' } });
    assert.equal(c.status, 200);
    const d = await t.req('POST', `${V3}/users/${enc('@nobody:localhost')}/report`, { token: carol.token, body: { reason: 'x' } });
    assert.equal(d.status, 200);
    const listed = await listReports(t.database.db);
    assert.ok(listed.some((x) => x.kind === 'room' && x.room_id === room && x.reason === 'bad room'));
    assert.ok(listed.some((x) => x.kind === 'user' && x.target_user_id === alice.userId && x.reason === 'bad user'));
    const noReason = await t.req('POST', `${V3}/users/${enc(alice.userId)}/report`, { token: carol.token, body: {} });
    assert.equal(noReason.status, 400);
    assert.equal(noReason.json.errcode, 'M_BAD_JSON');
    const badUser = await t.req('POST', `${V3}/users/${enc('nobody')}/report`, { token: carol.token, body: { reason: 'x' } });
    assert.equal(badUser.status, 400);
    assert.equal(badUser.json.errcode, 'M_INVALID_PARAM');
    const badRoom = await t.req('POST', `${V3}/rooms/${enc('nope')}/report`, { token: carol.token, body: { reason: 'x' } });
    assert.equal(badRoom.status, 400);
  });
});
