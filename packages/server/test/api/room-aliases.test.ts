// Room aliases as the grammar allows them (appendix "Room Aliases": any Unicode but ':'), and the
// check on PUT state m.room.canonical_alias (new aliases valid and pointing at the room).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSuiteApp, type Res, type Session, type TestApp } from '../helpers.ts';
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

function assertError(res: Res, status: number, errcode: string): void {
  assert.equal(res.status, status, res.text);
  assert.equal(res.json?.errcode, errcode, res.text);
}

const putAlias = (s: Session, alias: string, roomId: string) => t.req('PUT', `${V3}/directory/room/${enc(alias)}`, { token: s.token, body: { room_id: roomId } });
const canonical = (s: Session, roomId: string, content: Record<string, unknown>) =>
  t.req('PUT', `${V3}/rooms/${enc(roomId)}/state/m.room.canonical_alias/`, { token: s.token, body: content });
const currentCanonical = async (roomId: string) => (await t.req('GET', `${V3}/rooms/${enc(roomId)}/state/m.room.canonical_alias/`, { token: alice.token })).json;

describe('alias localparts in any Unicode', () => {
  test('#☕:localhost can be made, resolved, joined through and deleted', async () => {
    const roomId = await r.createRoom(alice, { preset: 'public_chat' });
    const made = await putAlias(alice, '#☕:localhost', roomId);
    assert.equal(made.status, 200, made.text);
    const found = await t.req('GET', `${V3}/directory/room/${enc('#☕:localhost')}`);
    assert.equal(found.status, 200, found.text);
    assert.equal(found.json.room_id, roomId);
    const joined = await t.req('POST', `${V3}/join/${enc('#☕:localhost')}`, { token: bob.token, body: {} });
    assert.equal(joined.status, 200, joined.text);
    assert.equal(joined.json.room_id, roomId);
    const aliases = await t.req('GET', `${V3}/rooms/${enc(roomId)}/aliases`, { token: alice.token });
    assert.deepEqual(aliases.json.aliases, ['#☕:localhost']);
    assert.equal((await t.req('DELETE', `${V3}/directory/room/${enc('#☕:localhost')}`, { token: alice.token })).status, 200);
    assertError(await t.req('GET', `${V3}/directory/room/${enc('#☕:localhost')}`), 404, 'M_NOT_FOUND');
  });

  test('createRoom takes a Unicode room_alias_name and sets it as the canonical alias', async () => {
    const res = await t.req('POST', `${V3}/createRoom`, { token: alice.token, body: { room_alias_name: 'café au lait' } });
    assert.equal(res.status, 200, res.text);
    assert.equal((await t.req('GET', `${V3}/directory/room/${enc('#café au lait:localhost')}`)).json.room_id, res.json.room_id);
    assert.deepEqual(await currentCanonical(res.json.room_id), { alias: '#café au lait:localhost' });
  });

  test('still refused: a colon in room_alias_name, NUL, no server, more than 255 bytes', async () => {
    const roomId = await r.createRoom(alice);
    assertError(await t.req('POST', `${V3}/createRoom`, { token: alice.token, body: { room_alias_name: 'a:b' } }), 400, 'M_INVALID_PARAM');
    assertError(await putAlias(alice, '#nul\u0000:localhost', roomId), 400, 'M_INVALID_PARAM');
    assertError(await putAlias(alice, '#☕', roomId), 400, 'M_INVALID_PARAM');
    assertError(await putAlias(alice, `#${'☕'.repeat(82)}:localhost`, roomId), 400, 'M_INVALID_PARAM'); // 1 + 246 + 10 bytes
    assert.equal((await putAlias(alice, `#${'☕'.repeat(81)}:localhost`, roomId)).status, 200); // 254 bytes
  });
});

describe('PUT state m.room.canonical_alias', () => {
  let roomId: string;
  let otherRoom: string;

  before(async () => {
    roomId = await r.createRoom(alice);
    otherRoom = await r.createRoom(alice);
    assert.equal((await putAlias(alice, '#home:localhost', roomId)).status, 200);
    assert.equal((await putAlias(alice, '#home-too:localhost', roomId)).status, 200);
    assert.equal((await putAlias(alice, '#elsewhere:localhost', otherRoom)).status, 200);
  });

  test('aliases that point at the room are accepted, Unicode ones too', async () => {
    assert.equal((await putAlias(alice, '#家:localhost', roomId)).status, 200);
    const res = await canonical(alice, roomId, { alias: '#home:localhost', alt_aliases: ['#home-too:localhost', '#家:localhost'] });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(await currentCanonical(roomId), { alias: '#home:localhost', alt_aliases: ['#home-too:localhost', '#家:localhost'] });
  });

  test('an alias that does not exist, or points at another room, is 400 M_BAD_ALIAS and nothing changes', async () => {
    const before = await currentCanonical(roomId);
    assertError(await canonical(alice, roomId, { alias: '#missing:localhost' }), 400, 'M_BAD_ALIAS');
    assertError(await canonical(alice, roomId, { alias: '#elsewhere:localhost' }), 400, 'M_BAD_ALIAS');
    assertError(await canonical(alice, roomId, { alias: '#home:localhost', alt_aliases: ['#home-too:localhost', '#missing:localhost'] }), 400, 'M_BAD_ALIAS');
    assertError(await canonical(alice, roomId, { alt_aliases: ['#elsewhere:localhost'] }), 400, 'M_BAD_ALIAS');
    assertError(await canonical(alice, roomId, { alias: '#home:remote.example' }), 400, 'M_BAD_ALIAS');
    assert.deepEqual(await currentCanonical(roomId), before);
  });

  test('invalid alias syntax is 400 M_INVALID_PARAM', async () => {
    for (const content of [{ alias: 'home' }, { alias: 42 }, { alias: '#:localhost' }, { alt_aliases: '#home:localhost' }, { alt_aliases: [null] }, { alt_aliases: ['#home:localhost', 'nope'] }]) {
      assertError(await canonical(alice, roomId, content), 400, 'M_INVALID_PARAM');
    }
  });

  test('aliases already in the event are not checked again; removing aliases is always allowed', async () => {
    assert.equal((await canonical(alice, roomId, { alias: '#home:localhost', alt_aliases: ['#home-too:localhost'] })).status, 200);
    // The directory entry goes away; the event may keep naming it, and drop it.
    assert.equal((await t.req('DELETE', `${V3}/directory/room/${enc('#home-too:localhost')}`, { token: alice.token })).status, 200);
    const keep = await canonical(alice, roomId, { alias: '#home:localhost', alt_aliases: ['#home-too:localhost'], extra: 1 });
    assert.equal(keep.status, 200, keep.text);
    assert.equal((await canonical(alice, roomId, { alias: '#home:localhost' })).status, 200);
    assertError(await canonical(alice, roomId, { alias: '#home:localhost', alt_aliases: ['#home-too:localhost'] }), 400, 'M_BAD_ALIAS');
    for (const content of [{ alias: null }, { alias: '' }, {}]) {
      const res = await canonical(alice, roomId, content);
      assert.equal(res.status, 200, `${JSON.stringify(content)}: ${res.text}`);
    }
    assert.deepEqual(await currentCanonical(roomId), {});
  });

  test('without power to send it the answer is still 403, whatever the aliases', async () => {
    await r.invite(alice, roomId, bob.userId);
    await r.join(bob, roomId);
    assertError(await canonical(bob, roomId, { alias: '#home:localhost' }), 403, 'M_FORBIDDEN');
  });
});
