// In-process tests of knocking (POST /knock/{roomIdOrAlias}) and the /sync `rooms.knock` section.

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

const knockRoom = (s: Session, roomIdOrAlias: string, body: unknown = {}) => t.req('POST', `${V3}/knock/${enc(roomIdOrAlias)}`, { token: s.token, body });

async function knockableRoom(extra: Record<string, unknown> = {}): Promise<string> {
  return r.createRoom(alice, { name: 'Door', initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }], ...extra });
}

describe('knockRoom', () => {
  test('a knock is stored with its reason; the knocker sees the room in rooms.knock with stripped state', async () => {
    const roomId = await knockableRoom();
    const first = await r.sync(bob);
    const res = await knockRoom(bob, roomId, { reason: 'let me in' });
    assert.equal(res.status, 200);
    assert.equal(res.json.room_id, roomId);

    for (const sync of [await r.sync(bob, { since: first.next_batch }), await r.sync(bob)]) {
      const entry = sync.rooms.knock[roomId];
      assert.ok(entry, 'the room is under rooms.knock');
      const types = entry.knock_state.events.map((e: { type: string }) => e.type);
      assert.ok(types.includes('m.room.join_rules'));
      assert.ok(types.includes('m.room.name'));
      const own = entry.knock_state.events.find((e: { type: string; state_key: string }) => e.type === 'm.room.member' && e.state_key === bob.userId);
      assert.equal(own.content.membership, 'knock');
      assert.equal(own.content.reason, 'let me in');
      assert.equal(sync.rooms.join[roomId], undefined);
    }
    // Nothing new: the knock is not sent again.
    const later = await r.sync(bob, { since: (await r.sync(bob)).next_batch });
    assert.equal(later.rooms.knock[roomId], undefined);
  });

  test('members see the knock as a member state event, even from a user they ignore; an invite answers it', async () => {
    const roomId = await knockableRoom();
    await r.ignore(alice, [bob.userId]);
    try {
      const before = await r.sync(alice);
      assert.equal((await knockRoom(bob, roomId)).status, 200);
      const sync = await r.sync(alice, { since: before.next_batch });
      const events = sync.rooms.join[roomId].timeline.events;
      const knockEv = events.find((e: { type: string; state_key: string }) => e.type === 'm.room.member' && e.state_key === bob.userId);
      assert.equal(knockEv?.content.membership, 'knock');
    } finally {
      await r.ignore(alice, []);
    }
    const bobBefore = await r.sync(bob);
    await r.invite(alice, roomId, bob.userId);
    const bobAfter = await r.sync(bob, { since: bobBefore.next_batch });
    assert.ok(bobAfter.rooms.invite[roomId], 'the accepted knock arrives as an invite');
    assert.equal(bobAfter.rooms.knock[roomId], undefined);
    await r.join(bob, roomId);
  });

  test('knocking by alias; rescinding a knock (leave) moves the room to rooms.leave', async () => {
    const roomId = await knockableRoom({ room_alias_name: 'door' });
    const res = await knockRoom(bob, '#door:localhost', { reason: 'hi' });
    assert.equal(res.status, 200);
    assert.equal(res.json.room_id, roomId);
    const s1 = await r.sync(bob);
    await r.leave(bob, roomId);
    const s2 = await r.sync(bob, { since: s1.next_batch });
    assert.ok(s2.rooms.leave[roomId]);
    assert.equal(s2.rooms.knock[roomId], undefined);
    assert.equal((await r.sync(bob)).rooms.knock[roomId], undefined);
  });

  test('a room that does not allow knocking, a member, a banned user: 403 M_FORBIDDEN', async () => {
    const privateRoom = await r.createRoom(alice);
    const denied = await knockRoom(bob, privateRoom);
    assert.equal(denied.status, 403);
    assert.equal(denied.json.errcode, 'M_FORBIDDEN');
    const publicRoom = await r.createRoom(alice, { preset: 'public_chat' });
    assert.equal((await knockRoom(bob, publicRoom)).status, 403);

    const roomId = await knockableRoom();
    const own = await knockRoom(alice, roomId);
    assert.equal(own.status, 403, 'already joined');
    await t.req('POST', `${V3}/rooms/${enc(roomId)}/ban`, { token: alice.token, body: { user_id: bob.userId } });
    const banned = await knockRoom(bob, roomId);
    assert.equal(banned.status, 403);
    assert.equal(banned.json.errcode, 'M_FORBIDDEN');
  });

  test('unknown rooms and aliases are 404 M_NOT_FOUND; bad ids, bodies and tokens are refused', async () => {
    const unknown = await knockRoom(bob, '!nowhere:localhost');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.errcode, 'M_NOT_FOUND');
    const alias = await knockRoom(bob, '#nowhere:localhost');
    assert.equal(alias.status, 404);
    assert.equal(alias.json.errcode, 'M_NOT_FOUND');
    const bad = await knockRoom(bob, 'not-a-room');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.errcode, 'M_INVALID_PARAM');

    const roomId = await knockableRoom();
    const notJson = await t.req('POST', `${V3}/knock/${enc(roomId)}`, { token: bob.token, rawBody: '{"reason":' });
    assert.equal(notJson.json.errcode, 'M_NOT_JSON');
    const wrongType = await knockRoom(bob, roomId, { reason: 5 });
    assert.equal(wrongType.status, 400);
    assert.equal(wrongType.json.errcode, 'M_BAD_JSON');
    const noToken = await t.req('POST', `${V3}/knock/${enc(roomId)}`, { body: {} });
    assert.equal(noToken.status, 401);
    assert.equal(noToken.json.errcode, 'M_MISSING_TOKEN');
  });
});
