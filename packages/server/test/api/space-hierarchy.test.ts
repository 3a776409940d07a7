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

// The hierarchy and the room summary ask the ignore policy (docs/ignore-semantics.md, cells SP1–SP6;
// decision 0039): dana lists rooms (MSC2270, MSC3840), ignores eve, and subscribes to a policy room
// whose room rule bans one more; bob has no list and sees everything.
describe('previews and the ignore policy', () => {
  let dana: Session;
  let eve: Session;
  let frank: Session;
  const p: Record<string, string> = {};
  const summary = (s: Session | undefined, roomId: string) => t.req('GET', `${V1}/room_summary/${enc(roomId)}`, s ? { token: s.token } : {});
  const putList = (s: Session, type: string, content: unknown) => t.req('PUT', `/_matrix/client/v3/user/${enc(s.userId)}/account_data/${type}`, { token: s.token, body: content });

  before(async () => {
    [dana, eve, frank] = [await t.register('p_dana'), await t.register('p_eve'), await t.register('p_frank')];
    const space = { preset: 'public_chat', creation_content: { type: 'm.space' } };
    // Any member may add children, so eve can add one.
    p['S'] = await r.createRoom(frank, { ...space, name: 'PS', power_level_content_override: { events: { 'm.space.child': 0 } } });
    p['Listed'] = await r.createRoom(frank, { preset: 'public_chat', name: 'PListed' });
    p['Listed3840'] = await r.createRoom(frank, { preset: 'public_chat', name: 'PListed3840' });
    p['ByEve'] = await r.createRoom(eve, { preset: 'public_chat', name: 'PByEve' });
    p['EveSub'] = await r.createRoom(eve, { ...space, name: 'PEveSub' });
    p['UnderEve'] = await r.createRoom(frank, { preset: 'public_chat', name: 'PUnderEve' });
    p['Banned'] = await r.createRoom(frank, { preset: 'public_chat', name: 'PBanned' });
    p['Joined'] = await r.createRoom(eve, { preset: 'public_chat', name: 'PJoined' });
    p['AddedByEve'] = await r.createRoom(frank, { preset: 'public_chat', name: 'PAddedByEve' });
    p['Plain'] = await r.createRoom(frank, { preset: 'public_chat', name: 'PPlain' });
    p['Policy'] = await r.createRoom(frank, { preset: 'public_chat', name: 'PPolicy' });
    const order = ['Listed', 'Listed3840', 'ByEve', 'EveSub', 'Banned', 'Joined', 'Plain'];
    for (const [i, k] of order.entries()) await child(frank, p['S'] as string, p[k] as string, { order: `o${i}` });
    await child(eve, p['EveSub'] as string, p['UnderEve'] as string);
    await r.join(eve, p['S'] as string);
    await child(eve, p['S'] as string, p['AddedByEve'] as string, { order: 'o9' });
    await r.join(dana, p['Joined'] as string);
    await r.join(dana, p['Policy'] as string);
    await r.setState(frank, p['Policy'] as string, 'm.policy.rule.room', { entity: p['Banned'], recommendation: 'm.ban', reason: 'spam' }, 'rule:banned');
    const put = async (type: string, content: unknown) => assert.equal((await putList(dana, type, content)).status, 200, type);
    await put('m.ignored_user_list', { ignored_users: { [eve.userId]: {} }, ignored_user_list_rooms: { [p['Policy'] as string]: { use_banned_rooms: true } } });
    await put('m.ignored_room_list', { ignored_rooms: { [p['Listed'] as string]: {} } });
    await put('m.ignored_invites', { ignored_room_ids: [p['Listed3840']] });
  });

  const everyone = ['PS', 'PListed', 'PListed3840', 'PByEve', 'PEveSub', 'PUnderEve', 'PBanned', 'PJoined', 'PPlain', 'PAddedByEve'];
  const danas = ['PS', 'PJoined', 'PPlain', 'PAddedByEve'];

  test('SP1–SP4 the hierarchy leaves out rooms the viewer lists, rooms made by someone ignored (with their subtree) and rooms a policy rule bans; a joined room and a child added by someone ignored stay', async () => {
    assert.deepEqual(names(await hierarchy(bob, p['S'] as string)), everyone, 'no lists: everything');
    const res = await hierarchy(dana, p['S'] as string);
    assert.equal(res.status, 200);
    assert.deepEqual(names(res), danas);
    for (const hidden of ['PListed', 'PByEve', 'PEveSub', 'PUnderEve', 'PBanned']) assert.ok(!res.text.includes(hidden), hidden);
    const named = res.json.rooms[0].children_state.map((c: { state_key: string }) => c.state_key);
    assert.deepEqual(named.sort(), [p['Joined'], p['Plain'], p['AddedByEve']].sort(), 'children_state names no ignored room');
  });

  test('SP5 a root the viewer ignores is 403 M_FORBIDDEN like a private one; its summary 404 M_NOT_FOUND like an unknown room; others still get them', async () => {
    for (const k of ['Listed', 'Listed3840', 'ByEve', 'EveSub', 'Banned']) {
      const h = await hierarchy(dana, p[k] as string);
      assert.equal(h.status, 403, k);
      assert.equal(h.json.errcode, 'M_FORBIDDEN', k);
      const s = await summary(dana, p[k] as string);
      assert.equal(s.status, 404, k);
      assert.equal(s.json.errcode, 'M_NOT_FOUND', k);
      assert.equal((await summary(bob, p[k] as string)).status, 200, k);
      assert.equal((await summary(undefined, p[k] as string)).status, 200, `${k}, unauthenticated`);
    }
    const joined = await summary(dana, p['Joined'] as string);
    assert.equal(joined.status, 200, 'a room she is joined to, made by eve');
    assert.equal(joined.json.membership, 'join');
    assert.equal((await hierarchy(dana, p['Joined'] as string)).status, 200);
  });

  test('SP6 pages of one room add up to the filtered walk', async () => {
    const seen: string[] = [];
    let from: string | undefined;
    for (let i = 0; i < 10; i++) {
      const res = await hierarchy(dana, p['S'] as string, `?limit=1${from ? `&from=${enc(from)}` : ''}`);
      assert.equal(res.json.rooms.length, 1);
      seen.push(res.json.rooms[0].name);
      from = res.json.next_batch;
      if (from === undefined) break;
    }
    assert.deepEqual(seen, danas);
  });
});
