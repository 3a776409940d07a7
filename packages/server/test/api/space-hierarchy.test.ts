// In-process tests of GET /_matrix/client/v1/rooms/{roomId}/hierarchy: the walk, what may be
// previewed (never a private room's name), depth, suggested_only, pagination and bad input.

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
/** space → [pub (suggested), secret, readable, sub → [deep]], plus a child on another server. */
const ids: Record<string, string> = {};

const hierarchy = (s: Session, roomId: string, query = '') => t.req('GET', `${V1}/rooms/${enc(roomId)}/hierarchy${query}`, { token: s.token });
const child = (s: Session, parent: string, childId: string, content: Record<string, unknown> = {}) => r.setState(s, parent, 'm.space.child', { via: ['localhost'], ...content }, childId);
const names = (res: { json: { rooms: { name?: string }[] } }) => res.json.rooms.map((x) => x.name);

before(async () => {
  t = await createSuiteApp();
  r = roomSteps(t);
  alice = await t.register('alice');
  bob = await t.register('bob');
  const space = { preset: 'public_chat', creation_content: { type: 'm.space' } };
  ids['space'] = await r.createRoom(alice, { ...space, name: 'Space' });
  ids['pub'] = await r.createRoom(alice, { preset: 'public_chat', name: 'Public' });
  ids['secret'] = await r.createRoom(alice, { name: 'Secret' });
  ids['readable'] = await r.createRoom(alice, {
    name: 'Readable',
    initial_state: [{ type: 'm.room.history_visibility', content: { history_visibility: 'world_readable' } }],
  });
  ids['sub'] = await r.createRoom(alice, { ...space, name: 'Sub' });
  ids['deep'] = await r.createRoom(alice, { preset: 'public_chat', name: 'Deep', topic: 'down here' });
  await child(alice, ids['space'], ids['pub'], { suggested: true, order: 'a' });
  await child(alice, ids['space'], ids['secret'], { order: 'b' });
  await child(alice, ids['space'], ids['readable']);
  await child(alice, ids['space'], ids['sub']);
  await child(alice, ids['space'], '!elsewhere:remote.example');
  await child(alice, ids['space'], ids['deep'], { via: [] }); // no via: not a child
  await child(alice, ids['sub'], ids['deep']);
});
after(() => t.close());

describe('getSpaceHierarchy', () => {
  test('depth first in child order; rooms the requester may not preview are left out entirely', async () => {
    const res = await hierarchy(bob, ids['space'] as string);
    assert.equal(res.status, 200);
    assert.deepEqual(names(res), ['Space', 'Public', 'Readable', 'Sub', 'Deep']);
    assert.equal(res.json.next_batch, undefined);
    assert.ok(!res.text.includes('Secret'), 'the private room name never appears');
    const space = res.json.rooms[0];
    assert.equal(space.room_type, 'm.space');
    assert.equal(space.join_rule, 'public');
    assert.equal(space.num_joined_members, 1);
    assert.equal(space.world_readable, false);
    assert.equal(space.children_state.length, 5, 'every valid child, the unknown and the hidden ones too');
    for (const c of space.children_state) {
      assert.equal(c.type, 'm.space.child');
      assert.equal(typeof c.origin_server_ts, 'number');
    }
    const readable = res.json.rooms.find((x: { name?: string }) => x.name === 'Readable');
    assert.equal(readable.world_readable, true);
    assert.deepEqual(readable.children_state, [], 'not a space');
    assert.equal(res.json.rooms.at(-1).topic, 'down here');
  });

  test('a member of the private room sees it, name and all', async () => {
    const res = await hierarchy(alice, ids['space'] as string);
    assert.deepEqual(names(res), ['Space', 'Public', 'Secret', 'Readable', 'Sub', 'Deep']);
  });

  test('max_depth and suggested_only', async () => {
    assert.deepEqual(names(await hierarchy(bob, ids['space'] as string, '?max_depth=0')), ['Space']);
    assert.deepEqual(names(await hierarchy(bob, ids['space'] as string, '?max_depth=1')), ['Space', 'Public', 'Readable', 'Sub']);
    assert.deepEqual(names(await hierarchy(bob, ids['space'] as string, '?suggested_only=true')), ['Space', 'Public']);
  });

  test('pages of one room add up to the whole walk; the parameters may not change on the way', async () => {
    const seen: string[] = [];
    let from: string | undefined;
    for (let i = 0; i < 10; i++) {
      const res = await hierarchy(bob, ids['space'] as string, `?limit=1${from ? `&from=${enc(from)}` : ''}`);
      assert.equal(res.status, 200);
      assert.equal(res.json.rooms.length, 1);
      seen.push(res.json.rooms[0].name);
      from = res.json.next_batch;
      if (from === undefined) break;
    }
    assert.deepEqual(seen, ['Space', 'Public', 'Readable', 'Sub', 'Deep']);
    const first = await hierarchy(bob, ids['space'] as string, '?limit=2');
    const changed = await hierarchy(bob, ids['space'] as string, `?limit=2&max_depth=1&from=${enc(first.json.next_batch)}`);
    assert.equal(changed.status, 400);
    assert.equal(changed.json.errcode, 'M_INVALID_PARAM');
    const suggested = await hierarchy(bob, ids['space'] as string, `?suggested_only=true&from=${enc(first.json.next_batch)}`);
    assert.equal(suggested.json.errcode, 'M_INVALID_PARAM');
    const garbage = await hierarchy(bob, ids['space'] as string, '?from=nonsense');
    assert.equal(garbage.status, 400);
    assert.equal(garbage.json.errcode, 'M_INVALID_PARAM');
  });

  test('a private room, an unknown room, a banned user: 403 M_FORBIDDEN; bad parameters: 400', async () => {
    const secret = await hierarchy(bob, ids['secret'] as string);
    assert.equal(secret.status, 403);
    assert.equal(secret.json.errcode, 'M_FORBIDDEN');
    const unknown = await hierarchy(bob, '!nowhere:localhost');
    assert.equal(unknown.status, 403);
    assert.equal(unknown.json.errcode, 'M_FORBIDDEN');
    const carol = await t.register('carol');
    const room = await r.createRoom(alice, { preset: 'public_chat', creation_content: { type: 'm.space' } });
    await r.join(carol, room);
    await t.req('POST', `/_matrix/client/v3/rooms/${enc(room)}/ban`, { token: alice.token, body: { user_id: carol.userId } });
    assert.equal((await hierarchy(carol, room)).status, 403);

    for (const q of ['?limit=0', '?limit=x', '?max_depth=-1', '?suggested_only=yes']) {
      const res = await hierarchy(bob, ids['space'] as string, q);
      assert.equal(res.status, 400, q);
      assert.equal(res.json.errcode, 'M_INVALID_PARAM', q);
    }
    const badId = await hierarchy(bob, 'not-a-room');
    assert.equal(badId.status, 400);
    const noToken = await t.req('GET', `${V1}/rooms/${enc(ids['space'] as string)}/hierarchy`);
    assert.equal(noToken.status, 401);
  });
});
