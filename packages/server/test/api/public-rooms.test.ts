// In-process tests of the published room directory (GET/PUT /directory/list/room/{roomId}, GET/POST
// /publicRooms) and the user directory (POST /user_directory/search).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSuiteApp, DEFAULT_PASSWORD, type Session, type TestApp } from '../helpers.ts';
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

const visibilityPath = (roomId: string) => `${V3}/directory/list/room/${enc(roomId)}`;

describe('published room directory', () => {
  test('rooms created public are listed, private ones are not; listing and withdrawing take a member with the power to', async () => {
    const open = await r.createRoom(alice, { visibility: 'public', name: 'Lobby', topic: 'Say hello' });
    const closed = await r.createRoom(alice, { name: 'Secret' });
    assert.deepEqual((await t.req('GET', visibilityPath(open))).json, { visibility: 'public' });
    assert.deepEqual((await t.req('GET', visibilityPath(closed))).json, { visibility: 'private' });

    const list = await t.req('GET', `${V3}/publicRooms`);
    assert.equal(list.status, 200, list.text);
    const lobby = list.json.chunk.find((c: { room_id: string }) => c.room_id === open);
    assert.equal(lobby.name, 'Lobby');
    assert.equal(lobby.topic, 'Say hello');
    assert.equal(lobby.num_joined_members, 1);
    assert.ok(!list.json.chunk.some((c: { room_id: string }) => c.room_id === closed));

    // bob is not in the room; then joined but without power.
    assert.equal((await t.req('PUT', visibilityPath(open), { token: bob.token, body: { visibility: 'private' } })).json.errcode, 'M_FORBIDDEN');
    await r.join(bob, open);
    assert.equal((await t.req('PUT', visibilityPath(open), { token: bob.token, body: { visibility: 'private' } })).status, 403);
    assert.equal((await t.req('PUT', visibilityPath(open), { token: alice.token, body: { visibility: 'private' } })).status, 200);
    assert.deepEqual((await t.req('GET', visibilityPath(open))).json, { visibility: 'private' });
    // "Defaults to public."
    assert.equal((await t.req('PUT', visibilityPath(closed), { token: alice.token, body: {} })).status, 200);
    assert.deepEqual((await t.req('GET', visibilityPath(closed))).json, { visibility: 'public' });
  });

  test('POST /publicRooms filters by term and room type and pages with next_batch', async () => {
    for (const name of ['Cats one', 'Cats two', 'Cats three']) await r.createRoom(alice, { visibility: 'public', name });
    await r.createRoom(alice, { visibility: 'public', name: 'Cats space', creation_content: { type: 'm.space' } });
    const first = await t.req('POST', `${V3}/publicRooms`, { token: alice.token, body: { limit: 2, filter: { generic_search_term: 'CATS', room_types: [null] } } });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.json.chunk.length, 2);
    assert.equal(first.json.total_room_count_estimate, 3);
    const second = await t.req('POST', `${V3}/publicRooms`, { token: alice.token, body: { limit: 2, since: first.json.next_batch, filter: { generic_search_term: 'cats', room_types: [null] } } });
    assert.equal(second.json.chunk.length, 1);
    assert.equal(second.json.next_batch, undefined);
    const names = [...first.json.chunk, ...second.json.chunk].map((c: { name: string }) => c.name).sort();
    assert.deepEqual(names, ['Cats one', 'Cats three', 'Cats two']);
    const spaces = await t.req('POST', `${V3}/publicRooms`, { token: alice.token, body: { filter: { room_types: ['m.space'] } } });
    assert.deepEqual(spaces.json.chunk.map((c: { name: string }) => c.name), ['Cats space']);
  });

  test('bad input: unknown room 404, bad tokens, wrong types, another server', async () => {
    assert.equal((await t.req('GET', visibilityPath('!nope:localhost'))).json.errcode, 'M_NOT_FOUND');
    assert.equal((await t.req('GET', visibilityPath('not-a-room'))).json.errcode, 'M_INVALID_PARAM');
    assert.equal((await t.req('PUT', visibilityPath('!nope:localhost'), { token: alice.token, body: { visibility: 'public' } })).status, 404);
    assert.equal((await t.req('PUT', visibilityPath('!nope:localhost'), { token: alice.token, body: { visibility: 'hidden' } })).json.errcode, 'M_BAD_JSON');
    assert.equal((await t.req('GET', `${V3}/publicRooms?since=garbage`)).json.errcode, 'M_INVALID_PARAM');
    assert.equal((await t.req('GET', `${V3}/publicRooms?limit=x`)).json.errcode, 'M_INVALID_PARAM');
    assert.equal((await t.req('GET', `${V3}/publicRooms?server=elsewhere.example`)).status, 404);
    assert.equal((await t.req('POST', `${V3}/publicRooms`, { token: alice.token, rawBody: '{' })).json.errcode, 'M_NOT_JSON');
    assert.equal((await t.req('POST', `${V3}/publicRooms`, { token: alice.token, body: { limit: 'ten' } })).json.errcode, 'M_BAD_JSON');
    assert.equal((await t.req('POST', `${V3}/publicRooms`, { token: alice.token, body: { filter: { generic_search_term: 5 } } })).json.errcode, 'M_BAD_JSON');
  });
});

describe('user directory', () => {
  test('finds users sharing a room or in a listed room, by id or display name; never deactivated ones; limited', async () => {
    const carol = await t.register('carol');
    const dave = await t.register('dave');
    await t.req('PUT', `${V3}/profile/${enc(dave.userId)}/displayname`, { token: dave.token, body: { displayname: 'Dave Carolson' } });
    const search = async (s: Session, term: string, limit?: number) => {
      const res = await t.req('POST', `${V3}/user_directory/search`, { token: s.token, body: { search_term: term, ...(limit !== undefined ? { limit } : {}) } });
      assert.equal(res.status, 200, res.text);
      return res.json as { results: { user_id: string; display_name?: string }[]; limited: boolean };
    };
    assert.deepEqual((await search(bob, 'carol')).results, [], 'no room in common yet');

    const shared = await r.createRoom(bob);
    await r.invite(bob, shared, carol.userId);
    await r.join(carol, shared);
    assert.deepEqual((await search(bob, 'CAROL')).results.map((u) => u.user_id), [carol.userId]);

    const listed = await r.createRoom(dave, { visibility: 'public' });
    assert.ok(listed);
    const both = await search(bob, 'carol');
    assert.deepEqual(both.results.map((u) => u.user_id).sort(), [carol.userId, dave.userId].sort());
    assert.equal(both.results.find((u) => u.user_id === dave.userId)?.display_name, 'Dave Carolson');
    const one = await search(bob, 'carol', 1);
    assert.equal(one.results.length, 1);
    assert.equal(one.limited, true);
    assert.deepEqual((await search(bob, '%')).results, [], 'LIKE wildcards are literal');

    const deact = await t.req('POST', `${V3}/account/deactivate`, {
      token: dave.token,
      body: { auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: dave.userId }, password: DEFAULT_PASSWORD } },
    });
    assert.equal(deact.status, 200, deact.text);
    assert.deepEqual((await search(bob, 'carol')).results.map((u) => u.user_id), [carol.userId]);
  });

  test('spec v1.15: users joined to an unlisted room with a public join rule or world_readable history are found; not other rooms', async () => {
    const [erin, frank, gina, seeker] = [await t.register('erin15'), await t.register('frank15'), await t.register('gina15'), await t.register('seeker15')];
    const names = async (term: string) =>
      ((await t.req('POST', `${V3}/user_directory/search`, { token: seeker.token, body: { search_term: term } })).json as { results: { user_id: string }[] }).results.map((u) => u.user_id);
    const openRoom = await r.createRoom(erin, { preset: 'public_chat' }); // public join rule, not published
    const readable = await r.createRoom(frank);
    const closed = await r.createRoom(gina);
    assert.ok(openRoom && closed);
    assert.deepEqual(await names('frank15'), []);
    await r.setState(frank, readable, 'm.room.history_visibility', { history_visibility: 'world_readable' });
    assert.deepEqual(await names('erin15'), [erin.userId], 'public join rule');
    assert.deepEqual(await names('frank15'), [frank.userId], 'world_readable history');
    assert.deepEqual(await names('gina15'), [], 'an invite-only room with shared history is not public');
    await r.setState(erin, openRoom, 'm.room.join_rules', { join_rule: 'invite' });
    assert.deepEqual(await names('erin15'), [], 'the current join rule counts, not an earlier one');
  });

  test('bad bodies', async () => {
    for (const body of [{}, { search_term: 5 }, { search_term: 'a', limit: -1 }, { search_term: 'a', limit: 'x' }]) {
      assert.equal((await t.req('POST', `${V3}/user_directory/search`, { token: alice.token, body })).json.errcode, 'M_BAD_JSON', JSON.stringify(body));
    }
    assert.equal((await t.req('POST', `${V3}/user_directory/search`, { token: alice.token, rawBody: 'x' })).json.errcode, 'M_NOT_JSON');
  });
});
