// In-process tests of GET /_matrix/client/v1/room_summary/{roomIdOrAlias}: who may preview a room,
// what the summary says, and that a private room answers exactly like one that does not exist.

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

const summary = (s: Session | undefined, roomIdOrAlias: string) => t.req('GET', `${V1}/room_summary/${enc(roomIdOrAlias)}`, s ? { token: s.token } : {});

before(async () => {
  t = await createSuiteApp();
  r = roomSteps(t);
  alice = await t.register('alice');
  bob = await t.register('bob');
});
after(() => t.close());

describe('getRoomSummary', () => {
  test('a public room: summary for anyone, membership only for the requester who has one', async () => {
    const roomId = await r.createRoom(alice, {
      preset: 'public_chat',
      name: 'Lobby',
      topic: 'welcome',
      room_alias_name: 'summary-lobby',
      creation_content: { type: 'm.space' },
      initial_state: [
        { type: 'm.room.avatar', content: { url: 'mxc://localhost/abc' } },
        { type: 'm.room.encryption', content: { algorithm: 'm.megolm.v1.aes-sha2' } },
      ],
    });
    await t.req('PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.canonical_alias/`, { token: alice.token, body: { alias: '#summary-lobby:localhost' } });
    const res = await summary(bob, roomId);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, {
      room_id: roomId,
      num_joined_members: 1,
      world_readable: false,
      guest_can_join: false,
      room_version: '11',
      name: 'Lobby',
      topic: 'welcome',
      avatar_url: 'mxc://localhost/abc',
      canonical_alias: '#summary-lobby:localhost',
      join_rule: 'public',
      room_type: 'm.space',
      encryption: 'm.megolm.v1.aes-sha2',
    });
    const byAlias = await summary(undefined, '#summary-lobby:localhost');
    assert.equal(byAlias.status, 200, 'unauthenticated, by alias');
    assert.equal(byAlias.json.membership, undefined);
    assert.equal((await summary(alice, roomId)).json.membership, 'join');
  });

  test('a private room is 404 M_NOT_FOUND like an unknown one, until the requester is invited', async () => {
    const roomId = await r.createRoom(alice, { name: 'Hidden' });
    const unknown = await summary(bob, '!nowhere:localhost');
    for (const res of [await summary(bob, roomId), await summary(undefined, roomId)]) {
      assert.equal(res.status, 404);
      assert.equal(res.json.errcode, 'M_NOT_FOUND');
      assert.deepEqual(res.json, unknown.json, 'the same answer as for a room that does not exist');
      assert.ok(!res.text.includes('Hidden'));
    }
    await r.invite(alice, roomId, bob.userId);
    const invited = await summary(bob, roomId);
    assert.equal(invited.status, 200);
    assert.equal(invited.json.membership, 'invite');
    assert.equal(invited.json.name, 'Hidden');
    await r.join(bob, roomId);
    await r.leave(bob, roomId);
    assert.equal((await summary(bob, roomId)).status, 404, 'after leaving, no longer');
  });

  test('knockable, world_readable and restricted rooms', async () => {
    const knockable = await r.createRoom(alice, { initial_state: [{ type: 'm.room.join_rules', content: { join_rule: 'knock' } }] });
    assert.equal((await summary(undefined, knockable)).json.join_rule, 'knock');
    const readable = await r.createRoom(alice, { initial_state: [{ type: 'm.room.history_visibility', content: { history_visibility: 'world_readable' } }] });
    const res = await summary(undefined, readable);
    assert.equal(res.status, 200);
    assert.equal(res.json.world_readable, true);

    const parent = await r.createRoom(alice, { preset: 'public_chat' });
    const restricted = await r.createRoom(alice, {
      initial_state: [{ type: 'm.room.join_rules', content: { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: parent }] } }],
    });
    assert.equal((await summary(bob, restricted)).status, 404, 'not yet in the allowed room');
    await r.join(bob, parent);
    const allowed = await summary(bob, restricted);
    assert.equal(allowed.status, 200);
    assert.deepEqual(allowed.json.allowed_room_ids, [parent]);
    assert.equal((await summary(undefined, restricted)).status, 404);
  });

  test('bad ids are 400; an unknown alias is 404', async () => {
    const bad = await summary(bob, 'lobby');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.errcode, 'M_INVALID_PARAM');
    const alias = await summary(bob, '#nothing-here:localhost');
    assert.equal(alias.status, 404);
    assert.equal(alias.json.errcode, 'M_NOT_FOUND');
    const badToken = await t.req('GET', `${V1}/room_summary/${enc('!x:localhost')}`, { token: 'nope' });
    assert.equal(badToken.status, 401);
    assert.equal(badToken.json.errcode, 'M_UNKNOWN_TOKEN');
  });
});
