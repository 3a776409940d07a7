// The newest ignore and invite proposals against a real `hush serve`, over plain HTTP, one test per
// cell of docs/ignore-semantics.md ("Newest proposals"): MSC4494 `deny_public` (D), MSC4294 rejected
// inviters (J), MSC4365 policy-room ignores (L), MSC4380's unstable name and /versions (F).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { client, type ClientSession, type HttpResult, type HushProcess } from '../support/server.ts';
import { startSuiteHush } from '../support/postgres.ts';
import { bodies, enc, joined, LIST, steps, timelineOf, V3, type Json } from './support/steps.ts';

let hush: HushProcess;
let w: ReturnType<typeof steps>;
let serverName: string;

before(async () => {
  hush = await startSuiteHush();
  w = steps(client(hush.baseUrl));
  serverName = (await w.user('np_probe')).userId.split(':').slice(1).join(':');
});
after(() => hush?.stop());

const put = (s: ClientSession, type: string, body: unknown): Promise<HttpResult> =>
  w.http.request('PUT', `${V3}/user/${enc(s.userId)}/account_data/${enc(type)}`, { token: s.token, body });
const getData = (s: ClientSession, type: string): Promise<HttpResult> => w.get(s, `${V3}/user/${enc(s.userId)}/account_data/${enc(type)}`);
const tryInvite = (s: ClientSession, roomId: string, userId: string): Promise<HttpResult> =>
  w.http.request('POST', `${V3}/rooms/${enc(roomId)}/invite`, { token: s.token, body: { user_id: userId } });

async function putOk(s: ClientSession, type: string, body: unknown): Promise<void> {
  const r = await put(s, type, body);
  assert.equal(r.status, 200, `PUT ${type}: ${r.status} ${r.text}`);
}

function assertMatrixError(r: HttpResult, status: number, errcode: string): void {
  assert.equal(r.status, status, `expected ${status} ${errcode}, got ${r.status} ${r.text}`);
  assert.equal(r.json?.errcode, errcode);
  assert.equal(typeof r.json?.error, 'string');
}

async function membershipOf(viewer: ClientSession, roomId: string, userId: string): Promise<string | undefined> {
  const r = await w.get(viewer, `${V3}/rooms/${enc(roomId)}/state/m.room.member/${enc(userId)}`);
  return r.status === 200 ? r.json.membership : undefined;
}

const invitedRooms = (sync: Json): string[] => Object.keys(sync?.rooms?.invite ?? {});
const leftRooms = (sync: Json): string[] => Object.keys(sync?.rooms?.leave ?? {});

describe('D — MSC4494 deny_public (m.invite_permission_config)', () => {
  test('D1 an inviter who shares only public rooms is refused with 403 M_INVITE_BLOCKED, and nothing is stored', async () => {
    const [alice, bob] = await Promise.all([w.user('d1_alice'), w.user('d1_bob')]);
    const lobby = await w.createRoom(alice, { preset: 'public_chat' });
    await w.join(bob, lobby);
    await putOk(alice, 'm.invite_permission_config', { default_action: 'deny_public' });
    const bobRoom = await w.createRoom(bob, {});
    assertMatrixError(await tryInvite(bob, bobRoom, alice.userId), 403, 'M_INVITE_BLOCKED');
    assert.equal(await membershipOf(bob, bobRoom, alice.userId), undefined, 'no invite event was stored');
    assert.deepEqual(invitedRooms(await w.sync(alice)), [], 'alice is shown no invite');
  });

  test('D2 an inviter who shares a non-public room with the invitee may invite (stable and unstable values)', async () => {
    for (const value of ['deny_public', 'uk.timedout.msc4494.deny_public']) {
      const [alice, bob, carol] = await Promise.all([w.user(`d2_alice_${value.length}`), w.user(`d2_bob_${value.length}`), w.user(`d2_carol_${value.length}`)]);
      const privateRoom = await w.createRoom(alice, { preset: 'private_chat', invite: [bob.userId] });
      await w.join(bob, privateRoom);
      await putOk(alice, 'm.invite_permission_config', { default_action: value });
      const bobRoom = await w.createRoom(bob, {});
      const ok = await tryInvite(bob, bobRoom, alice.userId);
      assert.equal(ok.status, 200, `${value}: bob shares a private room with alice: ${ok.text}`);
      assert.equal(await membershipOf(bob, bobRoom, alice.userId), 'invite');
      const carolRoom = await w.createRoom(carol, {});
      assertMatrixError(await tryInvite(carol, carolRoom, alice.userId), 403, 'M_INVITE_BLOCKED');
    }
  });

  test('D3 decided from membership at the moment of the invite: a room made public, or left, no longer counts', async () => {
    const [alice, bob] = await Promise.all([w.user('d3_alice'), w.user('d3_bob')]);
    const shared = await w.createRoom(alice, { preset: 'private_chat', invite: [bob.userId] });
    await w.join(bob, shared);
    await putOk(alice, 'm.invite_permission_config', { default_action: 'deny_public' });
    const first = await w.createRoom(bob, {});
    assert.equal((await tryInvite(bob, first, alice.userId)).status, 200, 'allowed while the shared room is private');

    await w.setState(alice, shared, 'm.room.join_rules', { join_rule: 'public' });
    const second = await w.createRoom(bob, {});
    assertMatrixError(await tryInvite(bob, second, alice.userId), 403, 'M_INVITE_BLOCKED');

    await w.setState(alice, shared, 'm.room.join_rules', { join_rule: 'knock' });
    assert.equal((await tryInvite(bob, second, alice.userId)).status, 200, 'a knock room counts as not public');

    const third = await w.createRoom(bob, {});
    const leave = await w.http.request('POST', `${V3}/rooms/${enc(shared)}/leave`, { token: bob.token, body: {} });
    assert.equal(leave.status, 200);
    assertMatrixError(await tryInvite(bob, third, alice.userId), 403, 'M_INVITE_BLOCKED');
  });

  test('D4 deny_public also applies to invites sent as m.room.member state events', async () => {
    const [alice, bob] = await Promise.all([w.user('d4_alice'), w.user('d4_bob')]);
    await putOk(alice, 'm.invite_permission_config', { default_action: 'deny_public' });
    const bobRoom = await w.createRoom(bob, {});
    const r = await w.http.request('PUT', `${V3}/rooms/${enc(bobRoom)}/state/m.room.member/${enc(alice.userId)}`, { token: bob.token, body: { membership: 'invite' } });
    assertMatrixError(r, 403, 'M_INVITE_BLOCKED');
  });
});

describe('J — MSC4294 ignored inviters (m.ignored_inviters_list)', () => {
  test('J1 every pending invite from a listed user is rejected at once; the inviter sees a leave, the invitee nothing', async () => {
    const [erin, dave, frank] = await Promise.all([w.user('j1_erin'), w.user('j1_dave'), w.user('j1_frank')]);
    const daveRooms = [await w.createRoom(dave, {}), await w.createRoom(dave, {})];
    for (const r of daveRooms) await w.invite(dave, r, erin.userId);
    const frankRoom = await w.createRoom(frank, {});
    await w.invite(frank, frankRoom, erin.userId);
    const before = await w.sync(erin);
    assert.deepEqual(invitedRooms(before).sort(), [...daveRooms, frankRoom].sort(), 'three pending invites');
    const td = (await w.sync(dave)).next_batch;

    await putOk(erin, 'm.ignored_inviters_list', { ignored_inviters: { [dave.userId]: {} } });
    for (const r of daveRooms) assert.equal(await membershipOf(dave, r, erin.userId), 'leave', `invite to ${r} was rejected`);
    assert.equal(await membershipOf(frank, frankRoom, erin.userId), 'invite', "frank's invite stands (control)");
    const ds = await w.sync(dave, { since: td });
    for (const r of daveRooms) {
      const leave = timelineOf(ds, r).find((e) => e.type === 'm.room.member' && e.state_key === erin.userId && e.content.membership === 'leave');
      assert.ok(leave, `dave's sync shows erin's rejection in ${r}`);
      assert.equal(leave.sender, erin.userId, 'the leave is sent as erin, like a decline');
      assert.equal(leave.content.reason, undefined, 'no boilerplate reason (indistinguishable from a manual decline)');
    }
    const es = await w.sync(erin, { since: before.next_batch });
    assert.deepEqual(leftRooms(es), [], 'erin is not notified of the rejections');
    assert.deepEqual(invitedRooms(await w.sync(erin)), [frankRoom], "a fresh sync shows only frank's invite");
  });

  test('J2 a later invite from a listed user is rejected on arrival, and the invitee is not notified', async () => {
    const [erin, dave, frank] = await Promise.all([w.user('j2_erin'), w.user('j2_dave'), w.user('j2_frank')]);
    await putOk(erin, 'm.ignored_inviters_list', { ignored_inviters: { [dave.userId]: {} } });
    const t = (await w.sync(erin)).next_batch;
    const daveRoom = await w.createRoom(dave, {});
    await w.invite(dave, daveRoom, erin.userId);
    assert.equal(await membershipOf(dave, daveRoom, erin.userId), 'leave');
    const frankRoom = await w.createRoom(frank, {});
    await w.invite(frank, frankRoom, erin.userId);
    const es = await w.sync(erin, { since: t });
    assert.deepEqual(invitedRooms(es), [frankRoom]);
    assert.deepEqual(leftRooms(es), []);

    await putOk(erin, 'm.ignored_inviters_list', { ignored_inviters: {} });
    const again = await w.createRoom(dave, {});
    await w.invite(dave, again, erin.userId);
    assert.equal(await membershipOf(dave, again, erin.userId), 'invite', 'after un-listing, invites arrive normally');
  });

  test('J3 `ignored_inviters` inside m.ignored_user_list works the same (the proposal extends that list)', async () => {
    const [erin, dave] = await Promise.all([w.user('j3_erin'), w.user('j3_dave')]);
    const pending = await w.createRoom(dave, {});
    await w.invite(dave, pending, erin.userId);
    await putOk(erin, LIST, { ignored_users: {}, ignored_inviters: { [dave.userId]: {} } });
    assert.equal(await membershipOf(dave, pending, erin.userId), 'leave');
    const room = await w.createRoom(dave, { preset: 'public_chat' });
    await w.join(erin, room);
    await w.send(dave, room, 'j3 dave talks');
    assert.ok(bodies(timelineOf(await w.sync(erin), room)).includes('j3 dave talks'), "only invites are refused: dave's messages are shown");
  });

  test('J4 bad content is 400 M_BAD_JSON and listing yourself 400 M_INVALID_PARAM; nothing is stored', async () => {
    const erin = await w.user('j4_erin');
    for (const body of [{ ignored_inviters: [] }, { ignored_inviters: { 'not-a-user': {} } }, { ignored_inviters: { '@x:y': 1 } }, []]) {
      assertMatrixError(await put(erin, 'm.ignored_inviters_list', body), 400, 'M_BAD_JSON');
    }
    assertMatrixError(await put(erin, 'm.ignored_inviters_list', { ignored_inviters: { [erin.userId]: {} } }), 400, 'M_INVALID_PARAM');
    assertMatrixError(await put(erin, LIST, { ignored_users: {}, ignored_inviters: 'x' }), 400, 'M_BAD_JSON');
    assert.equal((await getData(erin, 'm.ignored_inviters_list')).status, 404, 'nothing was stored');
    assert.equal((await getData(erin, LIST)).status, 404, 'nothing was stored');
  });
});

describe('L — MSC4365 policy-list ignores (ignored_user_list_rooms)', () => {
  /** A policy room run by `mod` that alice joins, and a public room where bob, carol and alice talk. */
  async function cast(prefix: string) {
    const [alice, bob, carol, mod] = await Promise.all([w.user(`${prefix}_alice`), w.user(`${prefix}_bob`), w.user(`${prefix}_carol`), w.user(`${prefix}_mod`)]);
    const policy = await w.createRoom(mod, { preset: 'public_chat', name: 'ban list' });
    await w.join(alice, policy);
    const room = await w.createRoom(carol, { preset: 'public_chat' });
    await w.join(alice, room);
    await w.join(bob, room);
    return { alice, bob, carol, mod, policy, room };
  }
  const addRule = (s: ClientSession, policy: string, kind: 'user' | 'server' | 'room', entity: string) =>
    w.setState(s, policy, `m.policy.rule.${kind}`, { recommendation: 'm.ban', entity, reason: 'spam' }, `rule:${entity}`);
  const subscribe = (s: ClientSession, rooms: Record<string, Record<string, unknown>>) => putOk(s, LIST, { ignored_users: {}, ignored_user_list_rooms: rooms });
  const messages = async (s: ClientSession, room: string): Promise<string[]> => {
    const r = await w.get(s, `${V3}/rooms/${enc(room)}/messages?dir=b&limit=50`);
    assert.equal(r.status, 200);
    return bodies(r.json.chunk);
  };

  test('L1 a rule added to the policy room ignores the user on the next sync and on /messages, earlier events included, without the user doing anything', async () => {
    const { alice, bob, carol, mod, policy, room } = await cast('l1');
    await subscribe(alice, { [policy]: {} });
    await w.send(bob, room, 'l1 bob before');
    await w.send(carol, room, 'l1 carol before');
    const s = await w.sync(alice);
    assert.ok(bodies(timelineOf(s, room)).includes('l1 bob before'), 'no rule yet: bob is shown');

    const waiting = w.sync(alice, { since: s.next_batch, timeout: 20_000 });
    await addRule(mod, policy, 'user', `@l1_bob*:${serverName}`);
    const woke = await waiting;
    assert.ok(joined(woke, policy), 'the rule change woke the waiting sync');
    await w.send(bob, room, 'l1 bob after');
    await w.send(carol, room, 'l1 carol after');
    const inc = await w.sync(alice, { since: woke.next_batch });
    assert.deepEqual(bodies(timelineOf(inc, room)), ['l1 carol after'], "bob's new message is hidden");
    const fresh = bodies(timelineOf(await w.sync(alice), room));
    assert.ok(!fresh.some((b) => b.startsWith('l1 bob')), 'a fresh sync hides bob, earlier messages included');
    assert.ok(fresh.includes('l1 carol before'));
    assert.deepEqual((await messages(alice, room)).filter((b) => b.startsWith('l1 bob')), [], '/messages hides bob');
    assert.ok((await messages(carol, room)).includes('l1 bob after'), 'other users still see bob (the rule only acts for subscribers)');
  });

  test('L2 removing the rule shows the user again on the next sync and on /messages', async () => {
    const { alice, bob, mod, policy, room } = await cast('l2');
    await subscribe(alice, { [policy]: {} });
    await addRule(mod, policy, 'user', bob.userId);
    await w.send(bob, room, 'l2 bob');
    assert.ok(!(await messages(alice, room)).includes('l2 bob'));
    await w.setState(mod, policy, 'm.policy.rule.user', {}, `rule:${bob.userId}`);
    assert.ok((await messages(alice, room)).includes('l2 bob'), 'shown again once the rule is gone');
  });

  test('L3 server rules apply only with use_server_bans; glob rules only with use_globs', async () => {
    const { alice, bob, carol, mod, policy, room } = await cast('l3');
    await addRule(mod, policy, 'server', `${serverName.split(':')[0]}*`);
    await w.send(bob, room, 'l3 bob');
    await subscribe(alice, { [policy]: { use_server_bans: false } });
    assert.ok((await messages(alice, room)).includes('l3 bob'), 'server rule not applied without use_server_bans');
    await subscribe(alice, { [policy]: { use_server_bans: true } });
    const hidden = await messages(alice, room);
    assert.ok(!hidden.includes('l3 bob'), 'server rule applied');
    assert.ok(hidden.every((b) => !b.startsWith('l3')), 'it matches every user of the server (but never alice herself)');
    await w.setState(mod, policy, 'm.policy.rule.server', {}, `rule:${serverName.split(':')[0]}*`);

    await addRule(mod, policy, 'user', '@l3_bob*');
    await subscribe(alice, { [policy]: { use_globs: false } });
    assert.ok((await messages(alice, room)).includes('l3 bob'), 'glob rule skipped without use_globs');
    await addRule(mod, policy, 'user', carol.userId);
    await w.send(carol, room, 'l3 carol talks');
    assert.ok(!(await messages(alice, room)).includes('l3 carol talks'), 'an exact rule applies without use_globs');
  });

  test('L4 only policy rooms the user is joined to count', async () => {
    const { alice, bob, mod, room } = await cast('l4');
    const other = await w.createRoom(mod, { preset: 'public_chat' });
    await addRule(mod, other, 'user', bob.userId);
    await subscribe(alice, { [other]: {} });
    await w.send(bob, room, 'l4 bob');
    assert.ok((await messages(alice, room)).includes('l4 bob'), 'not joined: the rules do not apply');
    await w.join(alice, other);
    await w.send(bob, room, 'l4 bob again');
    assert.ok(!(await messages(alice, room)).some((b) => b.startsWith('l4 bob')), 'joined: they do');
  });

  test('L5 invites: a matched inviter is hidden with the rule named on the review page; use_banned_rooms hides invites to banned rooms', async () => {
    const { alice, bob, carol, mod, policy } = await cast('l5');
    await addRule(mod, policy, 'user', bob.userId);
    const carolRoom = await w.createRoom(carol, {});
    await addRule(mod, policy, 'room', carolRoom);
    await subscribe(alice, { [policy]: { use_banned_rooms: true } });
    const bobRoom = await w.createRoom(bob, {});
    await w.invite(bob, bobRoom, alice.userId);
    await w.invite(carol, carolRoom, alice.userId);
    assert.deepEqual(invitedRooms(await w.sync(alice)), [], 'neither invite is shown');
    const review = await w.get(alice, '/_matrix/client/unstable/org.hush/hidden_invites');
    assert.equal(review.status, 200);
    const rules = Object.fromEntries((review.json.invites as Json[]).map((i) => [i.room_id, i.rule]));
    assert.equal(rules[bobRoom], 'm.ignored_user_list ignored_user_list_rooms m.policy.rule.user');
    assert.equal(rules[carolRoom], 'm.ignored_user_list ignored_user_list_rooms m.policy.rule.room');
  });

  test('L6 bad content is 400 M_BAD_JSON and nothing is stored', async () => {
    const alice = await w.user('l6_alice');
    await putOk(alice, LIST, { ignored_users: {} });
    for (const rooms of [[], { 'not-a-room': {} }, { '!r:x': true }, { '!r:x': { use_globs: 'yes' } }]) {
      assertMatrixError(await put(alice, LIST, { ignored_users: {}, ignored_user_list_rooms: rooms }), 400, 'M_BAD_JSON');
    }
    assert.deepEqual((await getData(alice, LIST)).json, { ignored_users: {} }, 'the previous content is kept');
  });
});

describe('F — advertised features', () => {
  test('F1 /versions advertises exactly the unstable features that work end to end', async () => {
    const r = await w.http.request('GET', '/_matrix/client/versions');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.unstable_features, {
      'org.matrix.msc4380': true,
      'org.matrix.msc4380.stable': true,
      'org.matrix.msc4155': true,
      'uk.timedout.msc4494': true,
    });
  });

  test("F2 MSC4380's unstable account-data name blocks invites like the stable one", async () => {
    const [alice, bob] = await Promise.all([w.user('f2_alice'), w.user('f2_bob')]);
    await putOk(alice, 'org.matrix.msc4380.invite_permission_config', { default_action: 'block' });
    const room = await w.createRoom(bob, {});
    assertMatrixError(await tryInvite(bob, room, alice.userId), 403, 'M_INVITE_BLOCKED');
    await putOk(alice, 'org.matrix.msc4380.invite_permission_config', {});
    assert.equal((await tryInvite(bob, room, alice.userId)).status, 200);
  });
});
