// GET /_matrix/client/v1/mutual_rooms (spec v1.19): the rooms both users are joined to — not rooms
// one of them left or is only invited to — with the total count, paged by next_batch; 400 for a
// malformed user id, one's own id or a bad token; an unknown user shares nothing.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSuiteApp, type Session, type TestApp } from '../helpers.ts';
import { roomSteps, type RoomSteps } from '../room-helpers.ts';
import { MUTUAL_ROOMS_PAGE } from '../../src/services/mutual-rooms.ts';

const PATH = '/_matrix/client/v1/mutual_rooms';
const enc = encodeURIComponent;

let t: TestApp;
let r: RoomSteps;
let alice: Session;
let bob: Session;

before(async () => {
  t = await createSuiteApp();
  r = roomSteps(t);
  alice = await t.register('mr_alice');
  bob = await t.register('mr_bob');
});
after(() => t.close());

const mutual = (s: Session, userId: string, from?: string) =>
  t.req('GET', `${PATH}?user_id=${enc(userId)}${from !== undefined ? `&from=${enc(from)}` : ''}`, { token: s.token });

describe('mutual rooms', () => {
  test('only rooms both are joined to, with the count', async () => {
    const both = [await r.createRoom(alice, { preset: 'public_chat' }), await r.createRoom(alice, { preset: 'public_chat' })];
    for (const room of both) await r.join(bob, room);
    const left = await r.createRoom(alice, { preset: 'public_chat' });
    await r.join(bob, left);
    await r.leave(bob, left);
    const invited = await r.createRoom(alice);
    await r.invite(alice, invited, bob.userId);
    await r.createRoom(alice); // alice alone
    const res = await mutual(alice, bob.userId);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual([...res.json.joined].sort(), [...both].sort());
    assert.equal(res.json.count, 2);
    assert.equal(res.json.next_batch, undefined);
    assert.deepEqual([...(await mutual(bob, alice.userId)).json.joined].sort(), [...both].sort(), 'the same both ways');
  });

  test('pages of the page size, the count of all, next_batch until the end', async () => {
    const carol = await t.register('mr_carol');
    const dave = await t.register('mr_dave');
    const rooms: string[] = [];
    for (let i = 0; i < MUTUAL_ROOMS_PAGE + 3; i++) {
      const room = await r.createRoom(carol, { preset: 'public_chat' });
      await r.join(dave, room);
      rooms.push(room);
    }
    const first = await mutual(dave, carol.userId);
    assert.equal(first.json.joined.length, MUTUAL_ROOMS_PAGE);
    assert.equal(first.json.count, MUTUAL_ROOMS_PAGE + 3);
    assert.ok(first.json.next_batch);
    const second = await mutual(dave, carol.userId, first.json.next_batch);
    assert.equal(second.json.joined.length, 3);
    assert.equal(second.json.next_batch, undefined);
    assert.deepEqual([...first.json.joined, ...second.json.joined].sort(), [...rooms].sort());
  });

  test('bad input: malformed or own user id, a bad token, no user_id; an unknown user shares nothing', async () => {
    for (const [q, errcode] of [
      [`?user_id=${enc('not-a-user')}`, 'M_INVALID_PARAM'],
      [`?user_id=${enc(alice.userId)}`, 'M_INVALID_PARAM'],
      [`?user_id=${enc(bob.userId)}&from=garbage`, 'M_INVALID_PARAM'],
      ['', 'M_MISSING_PARAM'],
    ] as const) {
      const res = await t.req('GET', `${PATH}${q}`, { token: alice.token });
      assert.equal(res.status, 400, q);
      assert.equal(res.json.errcode, errcode, q);
    }
    const nobody = await mutual(alice, '@nobody:localhost');
    assert.deepEqual(nobody.json, { joined: [], count: 0 });
    assert.equal((await t.req('GET', `${PATH}?user_id=${enc(bob.userId)}`)).status, 401);
  });
});
