// In-process tests of rooms, events, state, pagination and history visibility.

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
let carol: Session;

before(async () => {
  t = await createSuiteApp();
  r = roomSteps(t);
  alice = await t.register('alice');
  bob = await t.register('bob');
  carol = await t.register('carol');
});
after(() => t.close());

describe('createRoom', () => {
  test('private_chat by default: invite-only, creator at 100, name and topic set', async () => {
    const roomId = await r.createRoom(alice, { name: 'Secret', topic: 'shh' });
    assert.match(roomId, /^![A-Za-z0-9_-]+:localhost$/);
    const state = await t.req('GET', `${V3}/rooms/${enc(roomId)}/state`, { token: alice.token });
    assert.equal(state.status, 200);
    const byType = new Map<string, { content: Record<string, unknown> }>(state.json.map((e: { type: string; state_key: string }) => [`${e.type}|${e.state_key}`, e]));
    assert.equal(byType.get('m.room.join_rules|')?.content['join_rule'], 'invite');
    assert.equal(byType.get('m.room.create|')?.content['room_version'], '11');
    assert.deepEqual((byType.get('m.room.power_levels|')?.content['users'] as Record<string, number>)[alice.userId], 100);
    assert.equal(byType.get('m.room.name|')?.content['name'], 'Secret');
    assert.equal(byType.get('m.room.topic|')?.content['topic'], 'shh');
    const name = await t.req('GET', `${V3}/rooms/${enc(roomId)}/state/m.room.name/`, { token: alice.token });
    assert.deepEqual(name.json, { name: 'Secret' });
    const name2 = await t.req('GET', `${V3}/rooms/${enc(roomId)}/state/m.room.name`, { token: alice.token });
    assert.deepEqual(name2.json, { name: 'Secret' });
  });

  test('public_chat with an alias; the alias resolves; a second claim is M_ROOM_IN_USE', async () => {
    const roomId = await r.createRoom(alice, { preset: 'public_chat', room_alias_name: 'lobby' });
    const res = await t.req('GET', `${V3}/directory/room/${enc('#lobby:localhost')}`);
    assert.equal(res.status, 200);
    assert.equal(res.json.room_id, roomId);
    const again = await t.req('POST', `${V3}/createRoom`, { token: bob.token, body: { room_alias_name: 'lobby' } });
    assert.equal(again.status, 400);
    assert.equal(again.json.errcode, 'M_ROOM_IN_USE');
    await r.join(bob, '#lobby:localhost');
    const joined = await t.req('GET', `${V3}/joined_rooms`, { token: bob.token });
    assert.ok(joined.json.joined_rooms.includes(roomId));
  });

  test('unsupported room version, bad invite ids and unknown invitees are rejected', async () => {
    const v = await t.req('POST', `${V3}/createRoom`, { token: alice.token, body: { room_version: '12' } });
    assert.equal(v.json.errcode, 'M_UNSUPPORTED_ROOM_VERSION');
    const bad = await t.req('POST', `${V3}/createRoom`, { token: alice.token, body: { invite: ['not-a-user'] } });
    assert.equal(bad.status, 400);
    const unknown = await t.req('POST', `${V3}/createRoom`, { token: alice.token, body: { invite: ['@nobody:localhost'] } });
    assert.equal(unknown.status, 404);
    const wrongType = await t.req('POST', `${V3}/createRoom`, { token: alice.token, body: { name: 5 } });
    assert.equal(wrongType.json.errcode, 'M_BAD_JSON');
  });
});

describe('membership', () => {
  test('joining an invite-only room without an invite is 403; with one it works', async () => {
    const roomId = await r.createRoom(alice);
    const denied = await t.req('POST', `${V3}/join/${enc(roomId)}`, { token: bob.token, body: {} });
    assert.equal(denied.status, 403);
    assert.equal(denied.json.errcode, 'M_FORBIDDEN');
    await r.invite(alice, roomId, bob.userId);
    await r.join(bob, roomId);
    const members = await t.req('GET', `${V3}/rooms/${enc(roomId)}/joined_members`, { token: bob.token });
    assert.deepEqual(Object.keys(members.json.joined).sort(), [alice.userId, bob.userId].sort());
  });

  test('kick needs power; ban keeps a user out until unbanned', async () => {
    const roomId = await r.createRoom(alice, { preset: 'public_chat' });
    await r.join(bob, roomId);
    await r.join(carol, roomId);
    const weak = await t.req('POST', `${V3}/rooms/${enc(roomId)}/kick`, { token: bob.token, body: { user_id: carol.userId } });
    assert.equal(weak.status, 403);
    const ban = await t.req('POST', `${V3}/rooms/${enc(roomId)}/ban`, { token: alice.token, body: { user_id: carol.userId, reason: 'spam' } });
    assert.equal(ban.status, 200);
    const rejoin = await t.req('POST', `${V3}/join/${enc(roomId)}`, { token: carol.token, body: {} });
    assert.equal(rejoin.status, 403);
    await t.req('POST', `${V3}/rooms/${enc(roomId)}/unban`, { token: alice.token, body: { user_id: carol.userId } });
    await r.join(carol, roomId);
    const kick = await t.req('POST', `${V3}/rooms/${enc(roomId)}/kick`, { token: alice.token, body: { user_id: carol.userId } });
    assert.equal(kick.status, 200);
  });

  test('leave then forget; forgetting a joined room is refused', async () => {
    const roomId = await r.createRoom(alice, { preset: 'public_chat' });
    await r.join(bob, roomId);
    const early = await t.req('POST', `${V3}/rooms/${enc(roomId)}/forget`, { token: bob.token, body: {} });
    assert.equal(early.status, 400);
    await r.leave(bob, roomId);
    const ok = await t.req('POST', `${V3}/rooms/${enc(roomId)}/forget`, { token: bob.token, body: {} });
    assert.equal(ok.status, 200);
    const s = await r.sync(bob);
    assert.equal(s.rooms.leave[roomId], undefined);
  });

  test('unknown rooms and malformed ids', async () => {
    const unknown = await t.req('POST', `${V3}/join/${enc('!nope:localhost')}`, { token: bob.token, body: {} });
    assert.equal(unknown.status, 404);
    const bad = await t.req('POST', `${V3}/rooms/${enc('nope')}/leave`, { token: bob.token, body: {} });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.errcode, 'M_INVALID_PARAM');
    const huge = await t.req('PUT', `${V3}/rooms/${enc('!' + 'a'.repeat(10_000) + ':localhost')}/send/m.room.message/1`, { token: bob.token, body: {} });
    assert.equal(huge.status, 400);
  });
});

describe('sending', () => {
  test('send is idempotent per device and transaction id', async () => {
    const roomId = await r.createRoom(alice);
    const path = `${V3}/rooms/${enc(roomId)}/send/m.room.message/same-txn`;
    const a = await t.req('PUT', path, { token: alice.token, body: { msgtype: 'm.text', body: 'once' } });
    const b = await t.req('PUT', path, { token: alice.token, body: { msgtype: 'm.text', body: 'once' } });
    assert.equal(a.status, 200);
    assert.equal(a.json.event_id, b.json.event_id);
    assert.match(a.json.event_id, /^\$[A-Za-z0-9_-]{43}$/);
    const other = await t.login('alice');
    const c = await t.req('PUT', path, { token: other.token, body: { msgtype: 'm.text', body: 'once' } });
    assert.notEqual(c.json.event_id, a.json.event_id, 'another device is another transaction');
  });

  test('sending without being joined, or without power, is 403 M_FORBIDDEN', async () => {
    const roomId = await r.createRoom(alice, { preset: 'public_chat', power_level_content_override: { events_default: 50 } });
    const outsider = await t.req('PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/x1`, { token: bob.token, body: { body: 'hi' } });
    assert.equal(outsider.status, 403);
    await r.join(bob, roomId);
    const weak = await t.req('PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/x2`, { token: bob.token, body: { body: 'hi' } });
    assert.equal(weak.status, 403);
    assert.equal(weak.json.errcode, 'M_FORBIDDEN');
    const state = await t.req('PUT', `${V3}/rooms/${enc(roomId)}/state/m.room.name/`, { token: bob.token, body: { name: 'mine' } });
    assert.equal(state.status, 403);
  });

  test('malformed events: floats, arrays, oversize', async () => {
    const roomId = await r.createRoom(alice);
    const float = await t.req('PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/f1`, { token: alice.token, body: { n: 1.5 } });
    assert.equal(float.status, 400);
    assert.equal(float.json.errcode, 'M_BAD_JSON');
    const arr = await t.req('PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/f2`, { token: alice.token, rawBody: '[1,2]' });
    assert.equal(arr.json.errcode, 'M_BAD_JSON');
    const big = await t.req('PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/f3`, { token: alice.token, body: { body: 'x'.repeat(70_000) } });
    assert.equal(big.status, 413);
    assert.equal(big.json.errcode, 'M_TOO_LARGE');
  });

  test('redaction: own events and by moderators; others are refused; content is stripped', async () => {
    const roomId = await r.createRoom(alice, { preset: 'public_chat' });
    await r.join(bob, roomId);
    const mine = await r.send(bob, roomId, 'oops');
    const alices = await r.send(alice, roomId, 'mine');
    const refused = await t.req('PUT', `${V3}/rooms/${enc(roomId)}/redact/${enc(alices)}/r1`, { token: bob.token, body: {} });
    assert.equal(refused.status, 403);
    const ok = await t.req('PUT', `${V3}/rooms/${enc(roomId)}/redact/${enc(mine)}/r2`, { token: bob.token, body: { reason: 'typo' } });
    assert.equal(ok.status, 200);
    const ev = await t.req('GET', `${V3}/rooms/${enc(roomId)}/event/${enc(mine)}`, { token: alice.token });
    assert.deepEqual(ev.json.content, {});
    assert.equal(ev.json.unsigned.redacted_because.event_id, ok.json.event_id);
    const mod = await t.req('PUT', `${V3}/rooms/${enc(roomId)}/redact/${enc(mine)}/r3`, { token: alice.token, body: {} });
    assert.equal(mod.status, 200);
  });

  test('redaction retries racing each other (one transaction id) agree on one redaction event', async () => {
    const roomId = await r.createRoom(alice);
    const target = await r.send(alice, roomId, 'to redact');
    const answers = await Promise.all(Array.from({ length: 6 }, () => t.req('PUT', `${V3}/rooms/${enc(roomId)}/redact/${enc(target)}/race1`, { token: alice.token, body: {} })));
    assert.deepEqual(answers.map((a) => a.status), Array(6).fill(200));
    assert.equal(new Set(answers.map((a) => a.json.event_id)).size, 1, 'every retry answers the same event id');
    const page = await t.req('GET', `${V3}/rooms/${enc(roomId)}/messages?dir=b&limit=50`, { token: alice.token });
    assert.equal(page.json.chunk.filter((e: { type: string }) => e.type === 'm.room.redaction').length, 1, 'one redaction stored');
  });
});

describe('reading', () => {
  test('/messages pages backwards and forwards with tokens; no overlap, nothing lost', async () => {
    const roomId = await r.createRoom(alice);
    const sent: string[] = [];
    for (let i = 0; i < 25; i++) sent.push(await r.send(alice, roomId, `m${i}`));
    const seen: string[] = [];
    const sizes: number[] = [];
    let from: string | undefined;
    for (;;) {
      const q = new URLSearchParams({ dir: 'b', limit: '7', filter: JSON.stringify({ types: ['m.room.message'] }) });
      if (from) q.set('from', from);
      const page = await t.req('GET', `${V3}/rooms/${enc(roomId)}/messages?${q}`, { token: alice.token });
      assert.equal(page.status, 200);
      sizes.push(page.json.chunk.length);
      seen.push(...page.json.chunk.map((e: { event_id: string }) => e.event_id));
      if (!page.json.end) break;
      from = page.json.end;
    }
    assert.deepEqual(seen, [...sent].reverse());
    assert.deepEqual(sizes, [7, 7, 7, 4, 0], 'pages are full until the last; every page with events has an end, the empty one after it none');
    const fwd = await t.req('GET', `${V3}/rooms/${enc(roomId)}/messages?dir=f&limit=1000`, { token: alice.token });
    const fwdMessages = fwd.json.chunk.filter((e: { type: string }) => e.type === 'm.room.message').map((e: { event_id: string }) => e.event_id);
    assert.deepEqual(fwdMessages, sent);
    assert.equal(fwd.json.chunk[0].type, 'm.room.create');
  });

  test('/messages validates its query', async () => {
    const roomId = await r.createRoom(alice);
    for (const q of ['dir=x', 'dir=b&limit=abc', 'dir=b&limit=-1', 'dir=b&from=garbage', 'dir=b&filter={bad']) {
      const res = await t.req('GET', `${V3}/rooms/${enc(roomId)}/messages?${q}`, { token: alice.token });
      assert.equal(res.status, 400, q);
      assert.equal(typeof res.json.errcode, 'string');
    }
  });

  test('/context returns neighbours and state; /event returns one event', async () => {
    const roomId = await r.createRoom(alice);
    const ids: string[] = [];
    for (let i = 0; i < 9; i++) ids.push(await r.send(alice, roomId, `c${i}`));
    const mid = ids[4] as string;
    const ctx = await t.req('GET', `${V3}/rooms/${enc(roomId)}/context/${enc(mid)}?limit=4`, { token: alice.token });
    assert.equal(ctx.status, 200);
    assert.equal(ctx.json.event.event_id, mid);
    assert.deepEqual(ctx.json.events_before.map((e: { event_id: string }) => e.event_id), [ids[3], ids[2]]);
    assert.deepEqual(ctx.json.events_after.map((e: { event_id: string }) => e.event_id), [ids[5], ids[6]]);
    assert.ok(ctx.json.state.some((e: { type: string }) => e.type === 'm.room.create'));
    const missing = await t.req('GET', `${V3}/rooms/${enc(roomId)}/event/${enc('$nope')}`, { token: alice.token });
    assert.equal(missing.status, 404);
  });

  test('history visibility: joined hides what came before the join; shared shows it', async () => {
    const joinedOnly = await r.createRoom(alice, { preset: 'public_chat', initial_state: [{ type: 'm.room.history_visibility', content: { history_visibility: 'joined' } }] });
    const early = await r.send(alice, joinedOnly, 'before bob');
    await r.join(bob, joinedOnly);
    const late = await r.send(alice, joinedOnly, 'after bob');
    const page = await t.req('GET', `${V3}/rooms/${enc(joinedOnly)}/messages?dir=b&limit=100`, { token: bob.token });
    const ids = page.json.chunk.map((e: { event_id: string }) => e.event_id);
    assert.ok(ids.includes(late));
    assert.ok(!ids.includes(early));
    const direct = await t.req('GET', `${V3}/rooms/${enc(joinedOnly)}/event/${enc(early)}`, { token: bob.token });
    assert.equal(direct.status, 404);

    const shared = await r.createRoom(alice, { preset: 'public_chat' });
    const before = await r.send(alice, shared, 'history');
    await r.join(bob, shared);
    const page2 = await t.req('GET', `${V3}/rooms/${enc(shared)}/messages?dir=b&limit=100`, { token: bob.token });
    assert.ok(page2.json.chunk.some((e: { event_id: string }) => e.event_id === before));
    // Carol never joined: nothing, not even the state.
    const outsider = await t.req('GET', `${V3}/rooms/${enc(shared)}/state`, { token: carol.token });
    assert.equal(outsider.status, 403);
    const outsiderMsgs = await t.req('GET', `${V3}/rooms/${enc(shared)}/messages?dir=b`, { token: carol.token });
    assert.equal(outsiderMsgs.status, 403, 'not even an empty page (decision 0016)');
  });

  test('after leaving, a user sees nothing sent later', async () => {
    const roomId = await r.createRoom(alice, { preset: 'public_chat' });
    await r.join(bob, roomId);
    const seen = await r.send(alice, roomId, 'while bob is here');
    await r.leave(bob, roomId);
    const unseen = await r.send(alice, roomId, 'after bob left');
    const page = await t.req('GET', `${V3}/rooms/${enc(roomId)}/messages?dir=b&limit=100`, { token: bob.token });
    const ids = page.json.chunk.map((e: { event_id: string }) => e.event_id);
    assert.ok(ids.includes(seen));
    assert.ok(!ids.includes(unseen));
    const ev = await t.req('GET', `${V3}/rooms/${enc(roomId)}/event/${enc(unseen)}`, { token: bob.token });
    assert.equal(ev.status, 404);
  });
});

describe('account data', () => {
  test('global and per room; other users are 403; unset is 404', async () => {
    const path = `${V3}/user/${enc(alice.userId)}/account_data/org.example.test`;
    assert.equal((await t.req('GET', path, { token: alice.token })).json.errcode, 'M_NOT_FOUND');
    assert.equal((await t.req('PUT', path, { token: alice.token, body: { a: 1 } })).status, 200);
    assert.deepEqual((await t.req('GET', path, { token: alice.token })).json, { a: 1 });
    const other = await t.req('GET', path, { token: bob.token });
    assert.equal(other.status, 403);
    const otherPut = await t.req('PUT', path, { token: bob.token, body: { a: 2 } });
    assert.equal(otherPut.status, 403);
    assert.deepEqual((await t.req('GET', path, { token: alice.token })).json, { a: 1 });
    const roomId = await r.createRoom(alice);
    const rpath = `${V3}/user/${enc(alice.userId)}/rooms/${enc(roomId)}/account_data/org.example.tag`;
    assert.equal((await t.req('PUT', rpath, { token: alice.token, body: { b: true } })).status, 200);
    const s = await r.sync(alice);
    assert.ok(s.account_data.events.some((e: { type: string }) => e.type === 'org.example.test'));
    assert.ok(s.rooms.join[roomId].account_data.events.some((e: { type: string }) => e.type === 'org.example.tag'));
    const managed = await t.req('PUT', `${V3}/user/${enc(alice.userId)}/account_data/m.push_rules`, { token: alice.token, body: {} });
    assert.equal(managed.status, 405);
  });

  test('m.ignored_user_list is validated: bad shapes are 400 M_BAD_JSON and nothing is stored', async () => {
    const path = `${V3}/user/${enc(carol.userId)}/account_data/m.ignored_user_list`;
    await t.req('PUT', path, { token: carol.token, body: { ignored_users: { [bob.userId]: {} } } });
    for (const body of [{ ignored_users: [] }, { ignored_users: { 'not-a-user': {} } }, { ignored_users: { [alice.userId]: 1 } }, {}]) {
      const res = await t.req('PUT', path, { token: carol.token, body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.json.errcode, 'M_BAD_JSON');
    }
    const self = await t.req('PUT', path, { token: carol.token, body: { ignored_users: { [carol.userId]: {} } } });
    assert.equal(self.json.errcode, 'M_INVALID_PARAM');
    assert.deepEqual((await t.req('GET', path, { token: carol.token })).json, { ignored_users: { [bob.userId]: {} } });
  });
});
