// @hush/client against a real `hush serve`: two users in real rooms. The store hides at once what it
// holds from a newly ignored user (messages, typing, receipts), un-ignoring brings their earlier
// messages back by re-paginating, concurrent writes lose nothing, invite lists discard pending
// invites at once, M_INVITE_BLOCKED and M_SENDER_IGNORED are typed — and the same scenario with
// matrix-js-sdk on the other side shows the library interoperates.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HushClient, InviteBlockedError, login, register, SenderIgnoredError, type Session } from '@hush/client';
import { api } from '@hush/protocol';
import { startHush, type HushProcess } from '../support/server.ts';
import { sdk, startedClient, type MatrixClient } from './support/sdk.ts';

let hush: HushProcess;
const running: HushClient[] = [];
const sdkRunning: MatrixClient[] = [];

before(async () => {
  hush = await startHush();
});
after(async () => {
  for (const c of running) c.stop();
  for (const c of sdkRunning) c.stopClient();
  await hush?.stop();
});

async function user(name: string): Promise<Session> {
  return register({ homeserver: hush.baseUrl, username: name, password: 'secret words' });
}
async function started(s: Session): Promise<HushClient> {
  const c = new HushClient(s, { syncTimeoutMs: 10_000 });
  running.push(c);
  await c.start();
  return c;
}
function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = setInterval(() => {
      if (check()) {
        clearInterval(tick);
        resolve();
      } else if (Date.now() - t0 > ms) {
        clearInterval(tick);
        reject(new Error(`timed out waiting for ${what}`));
      }
    }, 20);
  });
}
const bodies = (c: HushClient, room: string) => (c.store.room(room)?.timeline() ?? []).filter((e) => e.type === 'm.room.message').map((e) => String(e.content['body']));

describe('@hush/client e2e', () => {
  test('login with a localpart and with a full id; a wrong password is M_FORBIDDEN', async () => {
    const s = await user('cl_login');
    const a = await login({ homeserver: hush.baseUrl, user: 'cl_login', password: 'secret words' });
    const b = await login({ homeserver: hush.baseUrl, user: s.userId, password: 'secret words' });
    assert.equal(a.userId, s.userId);
    assert.notEqual(a.deviceId, b.deviceId);
    await assert.rejects(login({ homeserver: hush.baseUrl, user: 'cl_login', password: 'nope' }), (e: { errcode?: string }) => e.errcode === 'M_FORBIDDEN');
  });

  test('an ignore hides at once what the store holds; un-ignoring brings the earlier messages back through /messages', async () => {
    const [as, bs, cs] = await Promise.all([user('cl1_alice'), user('cl1_bob'), user('cl1_carol')]);
    const [alice, bob, carol] = [await started(as), new HushClient(bs), new HushClient(cs)];
    const room = await alice.createRoom({ preset: 'public_chat' });
    await bob.join(room);
    await carol.join(room);
    await bob.sendText(room, 'bob 1');
    await carol.sendText(room, 'carol 1');
    await until(() => bodies(alice, room).includes('carol 1'), 'the first messages');

    const changed: { added: string[]; removed: string[] }[] = [];
    alice.on('ignoredUsersChanged', (e) => changed.push(e));
    await alice.ignoreUser(bs.userId);
    assert.deepEqual(bodies(alice, room), ['carol 1'], 'bob 1 is hidden at once');
    assert.deepEqual(changed, [{ added: [bs.userId], removed: [] }]);

    await bob.sendText(room, 'bob while ignored');
    await carol.sendText(room, 'carol 2');
    await until(() => bodies(alice, room).includes('carol 2'), 'carol 2');
    assert.ok(!bodies(alice, room).includes('bob while ignored'));

    await alice.unignoreUser(bs.userId);
    assert.deepEqual(bodies(alice, room), ['bob 1', 'carol 1', 'bob while ignored', 'carol 2'], 'refilled, in order, by the time unignoreUser resolves');
    assert.deepEqual(changed.at(-1), { added: [], removed: [bs.userId] });
  });

  test("an ignore hides at once the ignored user's reactions, edits and thread replies, and recounts the thread", async () => {
    const [as, bs, cs] = await Promise.all([user('cl8_alice'), user('cl8_bob'), user('cl8_carol')]);
    const [bob, carol] = [new HushClient(bs), new HushClient(cs)];
    const room = await carol.createRoom({ preset: 'public_chat' });
    await bob.join(room);
    const root = await carol.sendText(room, 'root');
    const bobMsg = await bob.sendText(room, 'bob says');
    await bob.sendEvent(room, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: root, key: '👍' } });
    await carol.sendEvent(room, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: bobMsg, key: '👀' } });
    await bob.sendEvent(room, 'm.room.message', { msgtype: 'm.text', body: '* fixed', 'm.new_content': { msgtype: 'm.text', body: 'fixed' }, 'm.relates_to': { rel_type: 'm.replace', event_id: bobMsg } });
    await carol.sendEvent(room, 'm.room.message', { msgtype: 'm.text', body: 'carol in thread', 'm.relates_to': { rel_type: 'm.thread', event_id: root } });
    await bob.sendEvent(room, 'm.room.message', { msgtype: 'm.text', body: 'bob in thread', 'm.relates_to': { rel_type: 'm.thread', event_id: root } });
    const alice = await started(as);
    await alice.join(room);
    await alice.paginateBack(room); // the root comes with the server's thread summary
    const thread = () => (alice.store.room(room)?.timeline().find((e) => e.event_id === root)?.unsigned?.['m.relations'] as Record<string, { count: number; latest_event: { sender: string } }> | undefined)?.['m.thread'];
    await until(() => thread()?.count === 2, 'the thread summary');
    assert.equal(thread()?.latest_event.sender, bs.userId);

    await alice.ignoreUser(bs.userId);
    const shown = alice.store.room(room)?.timeline() ?? [];
    assert.deepEqual(shown.filter((e) => e.sender === bs.userId && e.state_key === undefined), [], 'no message, reaction, edit or thread reply of bob');
    assert.ok(shown.some((e) => e.type === 'm.reaction' && e.sender === cs.userId), "carol's reaction to bob's message stays");
    assert.deepEqual([thread()?.count, thread()?.latest_event.sender], [1, cs.userId], 'the summary no longer counts bob');
    await alice.unignoreUser(bs.userId);
    assert.deepEqual([thread()?.count, thread()?.latest_event.sender], [2, bs.userId]);
  });

  test('typing and receipts of an ignored user disappear from the store', async () => {
    const [as, bs] = await Promise.all([user('cl2_alice'), user('cl2_bob')]);
    const [alice, bob] = [await started(as), new HushClient(bs)];
    const room = await alice.createRoom({ preset: 'public_chat' });
    await bob.join(room);
    const eventId = await alice.sendText(room, 'read me');
    await bob.http.request(api.setTyping, { params: { roomId: room, userId: bs.userId }, body: { typing: true, timeout: 30_000 } });
    await bob.http.request(api.postReceipt, { params: { roomId: room, receiptType: 'm.read', eventId }, body: {} });
    await until(() => (alice.store.room(room)?.typing() ?? []).includes(bs.userId) && (alice.store.room(room)?.receipts(eventId) ?? []).includes(bs.userId), "bob's typing and receipt");
    await alice.ignoreUser(bs.userId);
    assert.deepEqual(alice.store.room(room)?.typing(), []);
    assert.deepEqual(alice.store.room(room)?.receipts(eventId), []);
  });

  test('concurrent ignore calls keep every change, each resolving once /sync echoed it; another device sees them all', async () => {
    const s = await user('cl3_alice');
    const second = await login({ homeserver: hush.baseUrl, user: s.userId, password: 'secret words' });
    const [a1, a2] = [await started(s), await started(second)];
    const ids = Array.from({ length: 8 }, (_, i) => `@cl3_target${i}:${s.userId.split(':').slice(1).join(':')}`);
    await Promise.all(ids.map((id) => a1.ignoreUser(id)));
    assert.deepEqual(a1.ignoredUsers().sort(), [...ids].sort(), 'every concurrent change was kept and is in the store');
    await until(() => a2.ignoredUsers().length === ids.length, 'the other device to hold all eight');
    await Promise.all([a1.unignoreUser(ids[0] as string), a1.unignoreUser(ids[1] as string), a1.ignoreUser(ids[0] as string)]);
    assert.deepEqual(a1.ignoredUsers().sort(), ids.filter((id) => id !== ids[1]).sort(), 'applied in call order');
  });

  test('invite lists discard matching pending invites at once; M_INVITE_BLOCKED is typed', async () => {
    const [as, bs, cs] = await Promise.all([user('cl4_alice'), user('cl4_bob'), user('cl4_carol')]);
    const [alice, bob, carol] = [await started(as), new HushClient(bs), new HushClient(cs)];
    const bobRoom = await bob.createRoom({ name: 'from bob' });
    const carolRoom = await carol.createRoom({ name: 'from carol' });
    await bob.invite(bobRoom, as.userId);
    await carol.invite(carolRoom, as.userId);
    await until(() => alice.pendingInvites().length === 2, 'both invites');
    const discarded: string[][] = [];
    alice.on('invitesDiscarded', (e) => discarded.push(e.roomIds));
    await alice.inviteRules.ignoreInvitesFrom('user', bs.userId, 'spam');
    assert.deepEqual(alice.pendingInvites().map((i) => i.roomId), [carolRoom], "bob's invite is discarded at once");
    assert.deepEqual(discarded, [[bobRoom]]);
    const hidden = await alice.inviteRules.hiddenInvites();
    assert.deepEqual(hidden.map((h) => [h.room_id, h.rule]), [[bobRoom, 'm.ignored_invites ignored_user_ids']]);

    await alice.inviteRules.setBlockAll(true);
    const another = await carol.createRoom({});
    await assert.rejects(carol.invite(another, as.userId), (e: unknown) => e instanceof InviteBlockedError && e.httpStatus === 403);
    assert.deepEqual(alice.pendingInvites(), [], 'blocking hides every pending invite');
    await alice.inviteRules.setBlockAll(false);
    await alice.inviteRules.unignoreInvitesFrom('user', bs.userId);
    assert.equal(alice.pendingInvites().length, 2, 'both come back');
  });

  test('policy-room rules, MSC4155 globs and MSC2270 rooms discard matching pending invites, and lifting them brings the invites back', async () => {
    const [as, ms, ss, gs, rs] = await Promise.all([user('cl9_alice'), user('cl9_mod'), user('cl9_spammer'), user('cl9_globbed'), user('cl9_roomer')]);
    const [alice, mod, spammer, globbed, roomer] = [await started(as), new HushClient(ms), new HushClient(ss), new HushClient(gs), new HushClient(rs)];
    const server = as.userId.split(':').slice(1).join(':');
    const rooms: string[] = [];
    for (const inviter of [spammer, globbed, roomer]) {
      const r = await inviter.createRoom({});
      await inviter.invite(r, as.userId);
      rooms.push(r);
    }
    const [spamRoom, globRoom, ignoredRoom] = rooms as [string, string, string];
    await until(() => alice.pendingInvites().length === 3, 'three invites');
    const discarded: string[] = [];
    alice.on('invitesDiscarded', (e) => discarded.push(...e.roomIds));
    const pending = () => alice.pendingInvites().map((i) => i.roomId).sort();

    // MSC3847: a policy room alice subscribes to; its moderator bans a glob of users.
    const policy = await mod.createRoom({ preset: 'public_chat', name: 'bans' });
    await alice.inviteRules.subscribePolicyRoom(policy);
    assert.deepEqual(alice.inviteRules.lists().policyRooms, [policy]);
    await mod.inviteRules.addPolicyRule(policy, 'user', `@cl9_spam*:${server}`, 'spam');
    await until(() => !pending().includes(spamRoom), 'the rule to reach alice');
    assert.deepEqual(discarded, [spamRoom]);
    // MSC4155: an ignored_users glob.
    await alice.inviteRules.setGlobs({ ignored_users: [`@cl9_glob*:${server}`] });
    assert.ok(!pending().includes(globRoom), 'discarded once setGlobs resolved');
    // MSC2270 / MSC3840: the room itself.
    await alice.inviteRules.ignoreInvitesFrom('room', ignoredRoom);
    assert.deepEqual(pending(), []);
    assert.deepEqual(discarded, [spamRoom, globRoom, ignoredRoom]);
    assert.deepEqual(Object.keys(alice.store.accountDataContent('m.ignored_room_list')?.['ignored_rooms'] as object), [ignoredRoom]);
    const rules = new Map((await alice.inviteRules.hiddenInvites()).map((h) => [h.room_id, h.rule]));
    assert.equal(rules.get(spamRoom), 'm.policies m.ignore.invites m.policy.rule.user');
    assert.equal(rules.get(globRoom), 'org.matrix.msc4155.invite_permission_config ignored');
    assert.equal(rules.get(ignoredRoom), 'm.ignored_room_list / m.ignored_invites ignored_room_ids');

    await alice.inviteRules.unignoreInvitesFrom('room', ignoredRoom);
    await alice.inviteRules.setGlobs({ ignored_users: [] });
    await mod.inviteRules.removePolicyRule(policy, 'user', `@cl9_spam*:${server}`);
    await until(() => pending().length === 3, 'every invite back');
    assert.deepEqual(pending(), [...rooms].sort());
  });

  test('M_SENDER_IGNORED is typed and names the sender', async () => {
    const [as, bs] = await Promise.all([user('cl5_alice'), user('cl5_bob')]);
    const [alice, bob] = [await started(as), new HushClient(bs)];
    const room = await alice.createRoom({ preset: 'public_chat' });
    await bob.join(room);
    const eventId = await bob.sendText(room, 'hidden soon');
    await alice.ignoreUser(bs.userId);
    await assert.rejects(alice.fetchEvent(room, eventId), (e: unknown) => e instanceof SenderIgnoredError && e.sender === bs.userId);
  });

  test('export from one account and import into another gives the same lists', async () => {
    const [as, ds] = await Promise.all([user('cl6_alice'), user('cl6_dave')]);
    const [alice, dave] = [await started(as), await started(ds)];
    const server = as.userId.split(':').slice(1).join(':');
    await alice.setIgnoredUsers(Array.from({ length: 300 }, (_, i) => `@spam${i}:${server}`));
    await alice.inviteRules.ignoreInvitesFrom('server', 'spam.example');
    const exported = alice.inviteRules.exportLists();
    const progress: number[] = [];
    await dave.inviteRules.importLists(exported, (done) => progress.push(done));
    assert.deepEqual(dave.ignoredUsers().sort(), alice.ignoredUsers().sort());
    assert.deepEqual(dave.inviteRules.lists().servers, ['spam.example']);
    assert.equal(progress.at(-1), 301);
  });

  test('interoperates with matrix-js-sdk: an SDK user talks, our client ignores and un-ignores them', async () => {
    const [as, bs] = await Promise.all([user('cl7_alice'), user('cl7_bob')]);
    const alice = await started(as);
    const bob = await startedClient(hush.baseUrl, { userId: bs.userId, token: bs.accessToken, deviceId: bs.deviceId });
    sdkRunning.push(bob);
    const room = await alice.createRoom({ preset: 'public_chat' });
    await bob.joinRoom(room);
    await bob.sendEvent(room, sdk.EventType.RoomMessage, { msgtype: 'm.text', body: 'sdk says hi' } as never);
    await until(() => bodies(alice, room).includes('sdk says hi'), "the SDK user's message");
    await alice.ignoreUser(bs.userId);
    await bob.sendEvent(room, sdk.EventType.RoomMessage, { msgtype: 'm.text', body: 'sdk while ignored' } as never);
    await alice.sendText(room, 'alice after');
    await until(() => bodies(alice, room).includes('alice after'), 'alice after');
    assert.deepEqual(bodies(alice, room), ['alice after']);
    await alice.unignoreUser(bs.userId);
    await until(() => bodies(alice, room).includes('sdk while ignored'), 'the refill');
    await until(() => (bob.getRoom(room)?.getLiveTimeline().getEvents() ?? []).some((e) => e.getContent()['body'] === 'alice after'), "alice's message to reach the SDK");
  });
});
