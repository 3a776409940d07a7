// In-process tests of POST /rooms/{roomId}/upgrade: permission (m.room.tombstone), unknown room
// versions, the replacement room (predecessor, transferred state, power levels, aliases, invites),
// the tombstone and the restricted old room; ignoring across the upgrade (per-user lists keep
// working; an MSC2270 / MSC3840 ignored room's successor is ignored too).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSuiteApp, type Session, type TestApp } from '../helpers.ts';
import { roomSteps, type RoomSteps } from '../room-helpers.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
let t: TestApp;
let r: RoomSteps;
let alice: Session;
let bob: Session;
let carol: Session;

const upgrade = (s: Session, roomId: string, newVersion: unknown = '11') =>
  t.req('POST', `${V3}/rooms/${enc(roomId)}/upgrade`, { token: s.token, body: { new_version: newVersion } });
const state = async (s: Session, roomId: string, type: string): Promise<Json> => {
  const res = await t.req('GET', `${V3}/rooms/${enc(roomId)}/state/${enc(type)}/`, { token: s.token });
  return res.status === 200 ? res.json : undefined;
};

before(async () => {
  t = await createSuiteApp();
  r = roomSteps(t);
  alice = await t.register('alice');
  bob = await t.register('bob');
  carol = await t.register('carol');
});
after(() => t.close());

describe('upgradeRoom', () => {
  test('the replacement room: predecessor, transferred state, aliases moved, tombstone, old room restricted', async () => {
    const old = await r.createRoom(alice, {
      preset: 'public_chat',
      room_alias_name: 'upgrademe',
      name: 'Old name',
      topic: 'Old topic',
      power_level_content_override: { users: { [alice.userId]: 100, [bob.userId]: 50 } },
      creation_content: { type: 'm.space' },
    });
    await r.join(bob, old);
    await r.setState(alice, old, 'm.room.canonical_alias', { alias: `#upgrademe:${t.serverName}` });
    const res = await upgrade(alice, old);
    assert.equal(res.status, 200, res.text);
    const next = res.json.replacement_room;
    assert.match(next, /^!/);
    assert.notEqual(next, old);

    const create = await state(alice, next, 'm.room.create');
    assert.equal(create.predecessor.room_id, old);
    assert.equal(create.room_version, '11');
    assert.equal(create.type, 'm.space', 'a space stays a space');
    assert.equal((await state(alice, next, 'm.room.name')).name, 'Old name');
    assert.equal((await state(alice, next, 'm.room.topic')).topic, 'Old topic');
    assert.equal((await state(alice, next, 'm.room.join_rules')).join_rule, 'public');
    const pl = await state(alice, next, 'm.room.power_levels');
    assert.equal(pl.users[bob.userId], 50, 'power levels carried over');
    assert.equal((await state(alice, next, 'm.room.canonical_alias')).alias, `#upgrademe:${t.serverName}`);
    const resolved = await t.req('GET', `${V3}/directory/room/${enc(`#upgrademe:${t.serverName}`)}`, { token: bob.token });
    assert.equal(resolved.json.room_id, next, 'the local alias points at the new room');

    const tomb = await state(bob, old, 'm.room.tombstone');
    assert.equal(tomb.replacement_room, next);
    const oldPl = await state(bob, old, 'm.room.power_levels');
    assert.equal(oldPl.events_default, 50);
    assert.equal(oldPl.invite, 50);
    const talk = await t.req('PUT', `${V3}/rooms/${enc(old)}/send/m.room.message/u1`, { token: bob.token, body: { msgtype: 'm.text', body: 'still here?' } });
    assert.equal(talk.status, 200, 'bob has 50: still allowed');
    await r.join(carol, next);
    const oldCarol = await t.req('POST', `${V3}/join/${enc(old)}`, { token: carol.token, body: {} });
    assert.equal(oldCarol.status, 200);
    const quiet = await t.req('PUT', `${V3}/rooms/${enc(old)}/send/m.room.message/u2`, { token: carol.token, body: { msgtype: 'm.text', body: 'hello?' } });
    assert.equal(quiet.status, 403, 'ordinary members can no longer talk in the old room');
  });

  test('an invite-only room: the old room\'s members are invited to the new one', async () => {
    const old = await r.createRoom(alice, { preset: 'private_chat' });
    await r.invite(alice, old, bob.userId);
    await r.join(bob, old);
    const res = await upgrade(alice, old);
    assert.equal(res.status, 200, res.text);
    const sync = await r.sync(bob);
    assert.ok(sync.rooms.invite[res.json.replacement_room], 'bob is invited to the replacement room');
  });

  test('403 without the power to send m.room.tombstone, for outsiders and for unknown rooms', async () => {
    const old = await r.createRoom(alice, { preset: 'public_chat' });
    await r.join(bob, old);
    const member = await upgrade(bob, old);
    assert.equal(member.status, 403);
    assert.equal(member.json.errcode, 'M_FORBIDDEN');
    const outsider = await upgrade(carol, old);
    assert.equal(outsider.status, 403);
    const missing = await upgrade(carol, `!nothere:${t.serverName}`);
    assert.equal(missing.status, 403);
    assert.equal(missing.json.errcode, 'M_FORBIDDEN');
    assert.equal(await state(alice, old, 'm.room.tombstone'), undefined, 'nothing was done');
  });

  test('400 M_UNSUPPORTED_ROOM_VERSION for versions Hush does not serve; bad bodies are 400 M_BAD_JSON', async () => {
    const old = await r.createRoom(alice, { preset: 'public_chat' });
    for (const v of ['12', '13', 'org.example.custom', '']) {
      const res = await upgrade(alice, old, v);
      assert.equal(res.status, 400, v);
      assert.equal(res.json.errcode, 'M_UNSUPPORTED_ROOM_VERSION');
    }
    const bad = await upgrade(alice, old, 11);
    assert.equal(bad.status, 400);
    assert.equal(bad.json.errcode, 'M_BAD_JSON');
    const none = await t.req('POST', `${V3}/rooms/${enc(old)}/upgrade`, { token: alice.token, body: {} });
    assert.equal(none.status, 400);
  });

  test('ignoring across the upgrade: an ignored user stays ignored in the new room', async () => {
    const old = await r.createRoom(alice, { preset: 'public_chat' });
    await r.join(bob, old);
    await r.ignore(carol, [bob.userId]);
    const next = (await upgrade(alice, old)).json.replacement_room;
    await r.join(carol, next);
    await r.join(bob, next);
    await r.send(bob, next, 'bob in the new room');
    await r.send(alice, next, 'alice in the new room');
    const msgs = await t.req('GET', `${V3}/rooms/${enc(next)}/messages?dir=b&limit=10`, { token: carol.token });
    const bodies = msgs.json.chunk.filter((e: Json) => e.type === 'm.room.message').map((e: Json) => e.content.body);
    assert.deepEqual(bodies, ['alice in the new room']);
    await r.ignore(carol, []);
  });

  test('RU1 an ignored room\'s successor is ignored too: invites to it are hidden (MSC2270 and MSC3840), and shown again when the room is un-ignored', async () => {
    const old = await r.createRoom(alice, { preset: 'public_chat' });
    await t.req('PUT', `${V3}/user/${enc(carol.userId)}/account_data/m.ignored_room_list`, { token: carol.token, body: { ignored_rooms: { [old]: {} } } });
    const first = (await upgrade(alice, old)).json.replacement_room;
    const second = (await upgrade(alice, first)).json.replacement_room;
    await r.invite(alice, second, carol.userId);
    const sync = await r.sync(carol);
    assert.equal(sync.rooms?.invite?.[second], undefined, 'the successor of a successor of an ignored room');
    const review = await t.req('GET', '/_matrix/client/unstable/org.hush/hidden_invites', { token: carol.token });
    assert.equal(review.status, 200, review.text);
    assert.ok(JSON.stringify(review.json).includes(second), JSON.stringify(review.json));

    // MSC3840's ignored_room_ids is followed the same way.
    await t.req('PUT', `${V3}/user/${enc(carol.userId)}/account_data/m.ignored_room_list`, { token: carol.token, body: { ignored_rooms: {} } });
    assert.ok((await r.sync(carol)).rooms.invite[second], 'un-ignored: the invite shows');
    await t.req('PUT', `${V3}/user/${enc(carol.userId)}/account_data/m.ignored_invites`, { token: carol.token, body: { ignored_room_ids: [old] } });
    assert.equal((await r.sync(carol)).rooms?.invite?.[second], undefined);
    await t.req('PUT', `${V3}/user/${enc(carol.userId)}/account_data/m.ignored_invites`, { token: carol.token, body: {} });
  });

  test('RU2 an upgrade after the ignore is seen by the next sync (the cached view follows new upgrades)', async () => {
    const old = await r.createRoom(alice, { preset: 'public_chat' });
    await t.req('PUT', `${V3}/user/${enc(bob.userId)}/account_data/m.ignored_room_list`, { token: bob.token, body: { ignored_rooms: { [old]: {} } } });
    const before = await r.sync(bob);
    const next = (await upgrade(alice, old)).json.replacement_room;
    await r.invite(alice, next, bob.userId);
    const incremental = await r.sync(bob, { since: before.next_batch });
    assert.equal(incremental.rooms?.invite?.[next], undefined);
    assert.equal((await r.sync(bob)).rooms?.invite?.[next], undefined);
  });
});
