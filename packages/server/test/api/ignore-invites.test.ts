// MSC2270 (m.ignored_room_list) and MSC3840 (m.ignored_invites, also under its unstable name, in
// both published forms): invites matching any list are hidden from /sync and kept; bad content is
// 400 M_BAD_JSON with nothing stored; an ignored server's users are ignored everywhere.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSuiteApp, type Session, type TestApp } from '../helpers.ts';
import { roomSteps, type RoomSteps } from '../room-helpers.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

let t: TestApp;
let r: RoomSteps;
let n = 0;

before(async () => {
  t = await createSuiteApp();
  r = roomSteps(t);
});
after(() => t.close());

async function people(): Promise<{ me: Session; them: Session; other: Session }> {
  n++;
  return { me: await t.register(`me${n}`), them: await t.register(`them${n}`), other: await t.register(`other${n}`) };
}

function put(s: Session, type: string, content: unknown) {
  return t.req('PUT', `${V3}/user/${enc(s.userId)}/account_data/${enc(type)}`, { token: s.token, body: content });
}

async function invitedRooms(s: Session): Promise<string[]> {
  return Object.keys((await r.sync(s)).rooms.invite);
}

describe('invite lists hide matching invites, and only those', () => {
  const cases: { name: string; type: string; content: (p: { me: Session; them: Session; other: Session }, rooms: string[]) => unknown; hidden: (rooms: string[]) => string[] }[] = [
    { name: 'MSC2270 ignored_rooms', type: 'm.ignored_room_list', content: (_p, rooms) => ({ ignored_rooms: { [rooms[0]!]: {} } }), hidden: (rooms) => [rooms[0]!] },
    { name: 'MSC3840 ignored_user_ids (array form)', type: 'm.ignored_invites', content: (p) => ({ ignored_user_ids: [p.them.userId] }), hidden: (rooms) => [rooms[0]!, rooms[1]!] },
    { name: 'MSC3840 ignored_user_ids (map form)', type: 'm.ignored_invites', content: (p) => ({ ignored_user_ids: { [p.them.userId]: { ts: 1, reason: 'spam' } } }), hidden: (rooms) => [rooms[0]!, rooms[1]!] },
    { name: 'MSC3840 ignored_room_ids (array form)', type: 'm.ignored_invites', content: (_p, rooms) => ({ ignored_room_ids: [rooms[1]!] }), hidden: (rooms) => [rooms[1]!] },
    { name: 'MSC3840 ignored_invites (one room, one inviter)', type: 'm.ignored_invites', content: (p, rooms) => ({ ignored_invites: { [rooms[2]!]: { [p.other.userId]: { ts: 2 } } } }), hidden: (rooms) => [rooms[2]!] },
    { name: 'MSC3840 under its unstable name', type: 'org.matrix.msc3840.ignored_invites', content: (_p, rooms) => ({ ignored_room_ids: { [rooms[0]!]: {} } }), hidden: (rooms) => [rooms[0]!] },
  ];
  for (const c of cases) {
    test(`${c.name}: matching invites hidden, others shown, all back after removal`, async () => {
      const p = await people();
      // rooms[0], rooms[1] from `them`; rooms[2] from `other`.
      const rooms = [await r.createRoom(p.them), await r.createRoom(p.them), await r.createRoom(p.other)];
      await r.invite(p.them, rooms[0]!, p.me.userId);
      await r.invite(p.them, rooms[1]!, p.me.userId);
      await r.invite(p.other, rooms[2]!, p.me.userId);
      assert.deepEqual((await invitedRooms(p.me)).sort(), [...rooms].sort());
      assert.equal((await put(p.me, c.type, c.content(p, rooms))).status, 200);
      const shown = await invitedRooms(p.me);
      const hidden = c.hidden(rooms);
      assert.deepEqual(shown.sort(), rooms.filter((x) => !hidden.includes(x)).sort());
      assert.equal((await put(p.me, c.type, c.type === 'm.ignored_room_list' ? { ignored_rooms: {} } : {})).status, 200);
      assert.deepEqual((await invitedRooms(p.me)).sort(), [...rooms].sort(), 'kept, and shown again once unlisted');
    });
  }
});

describe('MSC3840 ignored_servers', () => {
  test('hides invites from that server and, like an ignored user, its users messages; state stays', async () => {
    const p = await people();
    const roomId = await r.createRoom(p.them, { preset: 'public_chat' });
    await r.join(p.me, roomId);
    const invited = await r.createRoom(p.them);
    await r.invite(p.them, invited, p.me.userId);
    // Everyone here is on `localhost`: ignoring it hides every other local user, never oneself.
    assert.equal((await put(p.me, 'm.ignored_invites', { ignored_servers: ['localhost'] })).status, 200);
    const msg = await r.send(p.them, roomId, 'from an ignored server');
    const mine = await r.send(p.me, roomId, 'my own');
    const named = await r.setState(p.them, roomId, 'm.room.name', { name: 'Still shown' });
    const s = await r.sync(p.me);
    assert.equal(s.rooms.invite[invited], undefined);
    const ids = s.rooms.join[roomId].timeline.events.map((e: { event_id: string }) => e.event_id);
    assert.ok(!ids.includes(msg));
    assert.ok(ids.includes(mine));
    assert.ok(ids.includes(named));
    const ev = await t.req('GET', `${V3}/rooms/${enc(roomId)}/event/${enc(msg)}`, { token: p.me.token });
    assert.equal(ev.json.errcode, 'M_SENDER_IGNORED');
  });
});

describe('bad content is rejected when written, and nothing is stored', () => {
  const bad: [string, unknown][] = [
    ['m.ignored_room_list', { ignored_rooms: ['!a:b'] }],
    ['m.ignored_room_list', { ignored_rooms: { 'not-a-room': {} } }],
    ['m.ignored_room_list', { ignored_rooms: { '!a:localhost': 5 } }],
    ['m.ignored_invites', { ignored_user_ids: ['not-a-user'] }],
    ['m.ignored_invites', { ignored_user_ids: { '@a:localhost': { ts: 'yesterday' } } }],
    ['m.ignored_invites', { ignored_servers: ['bad server!'] }],
    ['m.ignored_invites', { ignored_room_ids: 7 }],
    ['m.ignored_invites', { ignored_invites: { '!r:localhost': ['@a:localhost'] } }],
    ['m.ignored_invites', { ignored_invites: { 'nope': {} } }],
    ['org.matrix.msc3840.ignored_invites', { ignored_servers: { 'x y': {} } }],
    ['m.ignored_invites', { ignored_user_ids: { '@a:localhost': { reason: 1 } } }],
  ];
  for (const [type, content] of bad) {
    test(`${type} ${JSON.stringify(content)}`, async () => {
      const p = await people();
      const good = type === 'm.ignored_room_list' ? { ignored_rooms: {} } : { ignored_user_ids: [] };
      assert.equal((await put(p.me, type, good)).status, 200);
      const res = await put(p.me, type, content);
      assert.equal(res.status, 400);
      assert.equal(res.json.errcode, 'M_BAD_JSON');
      const stored = await t.req('GET', `${V3}/user/${enc(p.me.userId)}/account_data/${enc(type)}`, { token: p.me.token });
      assert.deepEqual(stored.json, good);
    });
  }
});

describe('Invite permission (m.invite_permission_config, spec v1.18)', () => {
  test('block: invites are refused with 403 M_INVITE_BLOCKED on every endpoint; stored ones hidden until unblocked', async () => {
    const p = await people();
    const early = await r.createRoom(p.them);
    await r.invite(p.them, early, p.me.userId);
    assert.equal((await put(p.me, 'm.invite_permission_config', { default_action: 'block' })).status, 200);
    assert.deepEqual(await invitedRooms(p.me), [], 'an invite stored before the block is not served');

    const room = await r.createRoom(p.them);
    const invite = await t.req('POST', `${V3}/rooms/${enc(room)}/invite`, { token: p.them.token, body: { user_id: p.me.userId } });
    assert.equal(invite.status, 403);
    assert.equal(invite.json.errcode, 'M_INVITE_BLOCKED');
    const viaState = await t.req('PUT', `${V3}/rooms/${enc(room)}/state/m.room.member/${enc(p.me.userId)}`, { token: p.them.token, body: { membership: 'invite' } });
    assert.equal(viaState.status, 403);
    assert.equal(viaState.json.errcode, 'M_INVITE_BLOCKED');
    const created = await t.req('POST', `${V3}/createRoom`, { token: p.them.token, body: { invite: [p.me.userId, p.other.userId] } });
    assert.equal(created.status, 200, 'the room is still created');
    assert.ok((await invitedRooms(p.other)).includes(created.json.room_id), 'the other invitee is invited');
    const members = await t.req('GET', `${V3}/rooms/${enc(created.json.room_id)}/members`, { token: p.them.token });
    assert.ok(!members.json.chunk.some((e: { state_key: string }) => e.state_key === p.me.userId), 'the blocking invitee is not');

    // "the same event without the default_action property" lifts the block; the stored invite returns.
    assert.equal((await put(p.me, 'm.invite_permission_config', {})).status, 200);
    assert.deepEqual(await invitedRooms(p.me), [early]);
    const again = await t.req('POST', `${V3}/rooms/${enc(room)}/invite`, { token: p.them.token, body: { user_id: p.me.userId } });
    assert.equal(again.status, 200);
  });

  test('unsupported values mean "receive as normal"; a non-string default_action is 400 M_BAD_JSON', async () => {
    const p = await people();
    assert.equal((await put(p.me, 'm.invite_permission_config', { default_action: 'maybe' })).status, 200);
    const room = await r.createRoom(p.them);
    await r.invite(p.them, room, p.me.userId);
    assert.deepEqual(await invitedRooms(p.me), [room]);
    const bad = await put(p.me, 'm.invite_permission_config', { default_action: true });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.errcode, 'M_BAD_JSON');
  });

  test('/versions advertises org.matrix.msc4380.stable', async () => {
    const v = await t.req('GET', '/_matrix/client/versions');
    assert.equal(v.json.unstable_features['org.matrix.msc4380.stable'], true);
  });
});

describe('hidden-invites review (GET /_matrix/client/unstable/org.hush/hidden_invites)', () => {
  test('lists each hidden invite with the rule that hid it; shown invites are not listed; only your own', async () => {
    const p = await people();
    const byUser = await r.createRoom(p.them, { name: 'From them' });
    const byRoom = await r.createRoom(p.other);
    const shown = await r.createRoom(p.other);
    await r.invite(p.them, byUser, p.me.userId);
    await r.invite(p.other, byRoom, p.me.userId);
    await r.invite(p.other, shown, p.me.userId);
    await r.ignore(p.me, [p.them.userId]);
    await put(p.me, 'm.ignored_room_list', { ignored_rooms: { [byRoom]: {} } });
    const res = await t.req('GET', '/_matrix/client/unstable/org.hush/hidden_invites', { token: p.me.token });
    assert.equal(res.status, 200);
    const rules = Object.fromEntries(res.json.invites.map((i: { room_id: string; rule: string }) => [i.room_id, i.rule]));
    assert.deepEqual(rules, { [byUser]: 'm.ignored_user_list', [byRoom]: 'm.ignored_room_list / m.ignored_invites ignored_room_ids' });
    const first = res.json.invites.find((i: { room_id: string }) => i.room_id === byUser);
    assert.equal(first.inviter, p.them.userId);
    assert.ok(first.invite_state.events.some((e: { type: string; content: { name?: string } }) => e.type === 'm.room.name' && e.content.name === 'From them'));
    const theirs = await t.req('GET', '/_matrix/client/unstable/org.hush/hidden_invites', { token: p.them.token });
    assert.deepEqual(theirs.json.invites, []);
    const anonymous = await t.req('GET', '/_matrix/client/unstable/org.hush/hidden_invites');
    assert.equal(anonymous.status, 401);
  });
});

describe('MSC4155 (org.matrix.msc4155.invite_permission_config)', () => {
  const TYPE = 'org.matrix.msc4155.invite_permission_config';

  test('allow beats ignore beats block; ignored invites are hidden, blocked ones refused with M_INVITE_BLOCKED', async () => {
    const p = await people();
    // Everyone is on localhost: block the server, ignore `other` by glob, allow `them` by name.
    const config = { allowed_users: [p.them.userId], ignored_users: ['@other*:localhost'], blocked_servers: ['local*'] };
    assert.equal((await put(p.me, TYPE, config)).status, 200);
    const fromThem = await r.createRoom(p.them);
    await r.invite(p.them, fromThem, p.me.userId);
    const fromOther = await r.createRoom(p.other);
    const ignored = await t.req('POST', `${V3}/rooms/${enc(fromOther)}/invite`, { token: p.other.token, body: { user_id: p.me.userId } });
    assert.equal(ignored.status, 200, 'an ignored invite looks like a success to the inviter');
    const third = await t.register(`third${n}`);
    const fromThird = await r.createRoom(third);
    const blocked = await t.req('POST', `${V3}/rooms/${enc(fromThird)}/invite`, { token: third.token, body: { user_id: p.me.userId } });
    assert.equal(blocked.status, 403);
    assert.equal(blocked.json.errcode, 'M_INVITE_BLOCKED');
    assert.deepEqual(await invitedRooms(p.me), [fromThem], 'allowed shown, ignored hidden');
    const review = await t.req('GET', '/_matrix/client/unstable/org.hush/hidden_invites', { token: p.me.token });
    assert.deepEqual(
      review.json.invites.map((i: { room_id: string; rule: string }) => [i.room_id, i.rule]),
      [[fromOther, 'org.matrix.msc4155.invite_permission_config ignored']],
    );
    assert.equal((await put(p.me, TYPE, {})).status, 200, 'an empty config allows everyone');
    assert.deepEqual((await invitedRooms(p.me)).sort(), [fromThem, fromOther].sort());
  });

  test('null fields are empty lists; wrong shapes are 400 M_BAD_JSON; the capability and flag are advertised', async () => {
    const p = await people();
    assert.equal((await put(p.me, TYPE, { blocked_users: null })).status, 200);
    for (const bad of [{ blocked_users: 'x' }, { allowed_servers: [1] }, { ignored_users: {} }]) {
      const res = await put(p.me, TYPE, bad);
      assert.equal(res.status, 400, JSON.stringify(bad));
      assert.equal(res.json.errcode, 'M_BAD_JSON');
    }
    const caps = await t.req('GET', `${V3}/capabilities`, { token: p.me.token });
    assert.deepEqual(caps.json.capabilities['org.matrix.msc4155.invite_permission_config_enforced'], { enabled: true });
    const v = await t.req('GET', '/_matrix/client/versions');
    assert.equal(v.json.unstable_features['org.matrix.msc4155'], true);
  });
});

describe('MSC3847 policy rooms (m.policies → m.ignore.invites)', () => {
  test('m.ban rules in the user\'s policy rooms hide matching invites; changing a rule changes the next sync', async () => {
    const p = await people();
    const policyRoom = await r.createRoom(p.me, { name: 'My policies' });
    assert.equal((await put(p.me, 'm.policies', { 'm.ignore.invites': { target: policyRoom, sources: [policyRoom] } })).status, 200);
    const fromThem = await r.createRoom(p.them);
    const fromOther = await r.createRoom(p.other);
    await r.invite(p.them, fromThem, p.me.userId);
    await r.invite(p.other, fromOther, p.me.userId);
    assert.deepEqual((await invitedRooms(p.me)).sort(), [fromThem, fromOther].sort());

    // A user rule with an anchored glob: `@them…` only.
    await r.setState(p.me, policyRoom, 'm.policy.rule.user', { entity: '@them*:localhost', recommendation: 'm.ban', reason: 'spam' }, 'rule1');
    const s1 = await r.sync(p.me);
    assert.deepEqual(Object.keys(s1.rooms.invite), [fromOther]);
    const review = await t.req('GET', '/_matrix/client/unstable/org.hush/hidden_invites', { token: p.me.token });
    assert.deepEqual(review.json.invites.map((i: { rule: string }) => i.rule), ['m.policies m.ignore.invites m.policy.rule.user']);

    // A room rule, under the unstable names.
    assert.equal((await put(p.me, 'org.matrix.msc3847.policies', { 'org.matrix.msc3847.ignore.invites': { sources: [policyRoom] } })).status, 200);
    await r.setState(p.me, policyRoom, 'm.policy.rule.room', { entity: fromOther, recommendation: 'm.ban' }, 'rule2');
    assert.deepEqual(await invitedRooms(p.me), []);

    // Lifting the rules (an empty rule) shows the invites again, on an incremental sync too.
    await r.setState(p.me, policyRoom, 'm.policy.rule.user', {}, 'rule1');
    await r.setState(p.me, policyRoom, 'm.policy.rule.room', {}, 'rule2');
    const s2 = await r.sync(p.me, { since: s1.next_batch });
    assert.deepEqual(Object.keys(s2.rooms.invite).sort(), [fromThem, fromOther].sort());
  });

  test('server rules; recommendations other than m.ban do nothing; rooms the user is not in do not apply', async () => {
    const p = await people();
    const mine = await r.createRoom(p.me);
    const notMine = await r.createRoom(p.other);
    await r.setState(p.other, notMine, 'm.policy.rule.server', { entity: '*', recommendation: 'm.ban' }, 'all');
    await put(p.me, 'm.policies', { 'm.ignore.invites': { sources: [mine, notMine] } });
    await r.setState(p.me, mine, 'm.policy.rule.server', { entity: 'local?ost', recommendation: 'org.example.watch' }, 'w');
    const fromThem = await r.createRoom(p.them);
    await r.invite(p.them, fromThem, p.me.userId);
    assert.deepEqual(await invitedRooms(p.me), [fromThem], 'a foreign policy room and a non-ban rule hide nothing');
    await r.setState(p.me, mine, 'm.policy.rule.server', { entity: 'local?ost', recommendation: 'm.ban' }, 'w');
    assert.deepEqual(await invitedRooms(p.me), []);
  });

  test('bad m.policies content is 400 M_BAD_JSON', async () => {
    const p = await people();
    for (const bad of [{ 'm.ignore.invites': [] }, { 'm.ignore.invites': { sources: ['not-a-room'] } }, { 'm.ignore.invites': { target: 5 } }]) {
      const res = await put(p.me, 'm.policies', bad);
      assert.equal(res.status, 400, JSON.stringify(bad));
      assert.equal(res.json.errcode, 'M_BAD_JSON');
    }
  });
});
