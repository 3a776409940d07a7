// Another server's /federation/v1/hierarchy answer is untrusted input (decision 0039):
// checkHierarchyAnswer keeps only well-formed rooms and children, rebuilds each m.space.child
// from checked fields, and drops what does not belong to the room asked for.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHierarchyAnswer, remoteHierarchy } from '../../src/federation/outbound/directory.ts';

const child = (roomId: string, extra: Record<string, unknown> = {}) => ({
  type: 'm.space.child',
  state_key: roomId,
  sender: '@mod:remote.example',
  origin_server_ts: 5,
  content: { via: ['remote.example'] },
  ...extra,
});
const room = (roomId: string, extra: Record<string, unknown> = {}) => ({
  room_id: roomId,
  num_joined_members: 3,
  world_readable: false,
  guest_can_join: false,
  join_rule: 'public',
  children_state: [],
  ...extra,
});

test('a well-formed answer is kept: the room, its children named in children_state, checked content only', () => {
  const got = checkHierarchyAnswer('!space:remote.example', {
    room: room('!space:remote.example', {
      room_type: 'm.space',
      name: 'Space',
      children_state: [child('!a:remote.example', { content: { via: ['remote.example', 42, 'bad server!'], order: 'x', suggested: true, evil: { deep: 1 } } }), child('!b:remote.example')],
    }),
    children: [room('!a:remote.example', { name: 'A' }), room('!other:remote.example', { name: 'not a child' })],
    inaccessible_children: ['!b:remote.example'],
  });
  assert.ok(got);
  assert.equal(got.room.name, 'Space');
  assert.deepEqual(got.room.children_state[0]?.content, { via: ['remote.example'], order: 'x', suggested: true });
  assert.deepEqual(got.children.map((c) => c.name), ['A'], 'a room the space does not name is dropped');
});

test('anything malformed is dropped, never thrown', () => {
  assert.equal(checkHierarchyAnswer('!space:remote.example', null), undefined);
  assert.equal(checkHierarchyAnswer('!space:remote.example', { room: room('!other:remote.example') }), undefined, 'another room than the one asked for');
  assert.equal(checkHierarchyAnswer('!space:remote.example', { room: room('!space:remote.example', { num_joined_members: -1 }) }), undefined);
  assert.equal(checkHierarchyAnswer('!space:remote.example', { room: { room_id: 'nonsense' } }), undefined);
  const got = checkHierarchyAnswer('!space:remote.example', {
    room: room('!space:remote.example', {
      name: 'x'.repeat(5000),
      allowed_room_ids: ['!ok:remote.example', 'nope', 7],
      children_state: [
        child('not-a-room'),
        child('!nosender:remote.example', { sender: 'nobody' }),
        child('!novia:remote.example', { content: { via: [] } }),
        child('!type:remote.example', { type: 'm.room.name' }),
        child('!ts:remote.example', { origin_server_ts: 'soon' }),
        child('!good:remote.example'),
        child('!good:remote.example'),
        'a string',
      ],
    }),
    children: 'not a list',
  });
  assert.ok(got);
  assert.equal(got.room.name, undefined, 'an over-long name is left out');
  assert.deepEqual(got.room.allowed_room_ids, ['!ok:remote.example']);
  assert.deepEqual(got.room.children_state.map((c) => c.state_key), ['!good:remote.example'], 'one valid child, once');
  assert.deepEqual(got.children, []);
});

test('at most 200 children are read', () => {
  const many = Array.from({ length: 1000 }, (_, i) => child(`!c${i}:remote.example`));
  const got = checkHierarchyAnswer('!space:remote.example', { room: room('!space:remote.example', { children_state: many }), children: [] });
  assert.equal(got?.room.children_state.length, 200);
});

test('remoteHierarchy: servers asked in turn within the caller\'s deadline; an answer is cached, a cut-short look-up is not', async () => {
  const asked: string[] = [];
  let hang = true;
  const f = {
    serverName: 'us.example',
    signedRequest: (server: string) => {
      asked.push(server);
      if (hang) return new Promise(() => undefined);
      return Promise.resolve({ status: 200, json: { room: room('!space:remote.example', { name: 'S' }), children: [] } });
    },
  } as unknown as Parameters<typeof remoteHierarchy>[0];
  const remote = remoteHierarchy(f);
  const t0 = Date.now();
  assert.equal(await remote.space('!space:remote.example', ['a.example', 'us.example', 'b.example'], false, Date.now() + 150), undefined);
  assert.ok(Date.now() - t0 < 1000, 'the deadline bounds the wait');
  assert.deepEqual(asked, ['a.example'], 'ourselves never asked; the deadline spent on the first');
  hang = false;
  const got = await remote.space('!space:remote.example', ['a.example', 'b.example'], false, Date.now() + 1000);
  assert.equal(got?.room.name, 'S', 'not remembered as a failure: asked again');
  assert.equal((await remote.space('!space:remote.example', ['a.example'], false))?.room.name, 'S');
  assert.equal(asked.length, 2, 'the answer is cached');
});
