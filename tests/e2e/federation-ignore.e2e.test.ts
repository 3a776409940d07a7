// Ignoring across federation (issue 23; the federation column of docs/ignore-semantics.md, cells
// FS…, FE…, FI…, FB…, FD…, FJ…, FR…, FL…): three `hush serve` processes over TLS on loopback. A
// hosts the rooms and the people ignored (bob, carol, the moderator of a policy room); B hosts the
// viewers; R is a B with `--ignored-user-invites reject`. Every rule is the one local users get,
// asked of the same policy on the viewer's server: events of a remote user are hidden on every read
// path of B, invites from another server are judged by every list, refusals reach the inviting
// client on A, rejections go back through A (make_leave/send_leave), and policy rooms on A apply
// on B when their rules arrive over /send.

import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { client, type ClientSession, type HttpResult } from '../support/server.ts';
import { FederationTestbed, type FederatingServer } from './support/federation.ts';
import type { Json } from './support/steps.ts';

const V3 = '/_matrix/client/v3';
const V1 = '/_matrix/client/v1';
const HIDDEN = '/_matrix/client/unstable/org.hush/hidden_invites';
const enc = encodeURIComponent;
let bed: FederationTestbed;
let a: FederatingServer;
let b: FederatingServer;
let r: FederatingServer;
let txn = 0;

before(async () => {
  bed = new FederationTestbed();
  [a, b, r] = await Promise.all([bed.start(), bed.start(), bed.start({ extra: ['--ignored-user-invites', 'reject'] })]);
});

after(async () => {
  await bed?.close();
});

type Session = ClientSession & { on: FederatingServer };
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

async function user(on: FederatingServer, name: string): Promise<Session> {
  return { ...(await client(on.proc.baseUrl).register(name)), on };
}
function req(s: Session, method: string, path: string, body?: unknown): Promise<HttpResult> {
  return client(s.on.proc.baseUrl).request(method, path, { token: s.token, ...(body !== undefined ? { body } : {}) });
}
async function ok(s: Session, method: string, path: string, body?: unknown): Promise<Json> {
  const res = await req(s, method, path, body);
  assert.equal(res.status, 200, `${method} ${path}: ${res.text}`);
  return res.json;
}
const putAccountData = (s: Session, type: string, content: unknown) => ok(s, 'PUT', `${V3}/user/${enc(s.userId)}/account_data/${type}`, content);
async function createRoom(s: Session, body: Record<string, unknown>): Promise<string> {
  return (await ok(s, 'POST', `${V3}/createRoom`, body)).room_id;
}
const join = (s: Session, roomId: string, via: FederatingServer) => ok(s, 'POST', `${V3}/join/${enc(roomId)}?via=${enc(via.name)}`, {});
const invite = (s: Session, roomId: string, target: Session) => req(s, 'POST', `${V3}/rooms/${enc(roomId)}/invite`, { user_id: target.userId });
async function send(s: Session, roomId: string, content: Record<string, unknown>, type = 'm.room.message'): Promise<string> {
  return (await ok(s, 'PUT', `${V3}/rooms/${enc(roomId)}/send/${type}/fi${++txn}`, content)).event_id;
}
const say = (s: Session, roomId: string, body: string, extra: Record<string, unknown> = {}) => send(s, roomId, { msgtype: 'm.text', body, ...extra });
async function sync(s: Session, opts: { since?: string; timeout?: number; filter?: string } = {}): Promise<Json> {
  const q = [`timeout=${opts.timeout ?? 0}`, ...(opts.since ? [`since=${enc(opts.since)}`] : []), ...(opts.filter ? [`filter=${enc(opts.filter)}`] : [])];
  return ok(s, 'GET', `${V3}/sync?${q.join('&')}`);
}
async function messages(s: Session, roomId: string): Promise<Json[]> {
  return (await ok(s, 'GET', `${V3}/rooms/${enc(roomId)}/messages?dir=b&limit=100`)).chunk;
}
const bodiesOf = (events: Json[]): string[] => events.filter((e) => e.type === 'm.room.message').map((e) => e.content?.body);
async function membershipOn(s: Session, roomId: string, userId: string): Promise<string | undefined> {
  const res = await req(s, 'GET', `${V3}/rooms/${enc(roomId)}/state/m.room.member/${enc(userId)}`);
  return res.status === 200 ? res.json.membership : undefined;
}
/** Polls until `check` holds (federation delivers through a queue), failing with `what` after `ms`. */
async function until<T>(what: string, probe: () => Promise<T>, check: (v: T) => boolean, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (check(v)) return v;
    if (Date.now() > end) assert.fail(`${what} (last: ${JSON.stringify(v)?.slice(0, 400)})`);
    await sleep(100);
  }
}
/** Waits until B (as `s`) holds the event with this body from A. */
const arrived = (s: Session, roomId: string, body: string) => until(`"${body}" reaches ${s.on.name}`, () => messages(s, roomId).then(bodiesOf), (b) => b.includes(body));
async function hiddenRules(s: Session): Promise<Record<string, string>> {
  const res = await ok(s, 'GET', HIDDEN);
  return Object.fromEntries(res.invites.map((i: Json) => [i.room_id, i.rule]));
}

describe('FS — a remote user ignored by a viewer on B: hidden on every read path of B', () => {
  let alice: Session;
  let bob: Session;
  let carol: Session;
  let room: string;
  let bobMsg: string;
  let root: string;
  before(async () => {
    [alice, bob, carol] = await Promise.all([user(b, 'fs_alice'), user(a, 'fs_bob'), user(a, 'fs_carol')]);
    room = await createRoom(carol, { preset: 'public_chat', name: 'fs room' });
    await join(bob, room, a);
    await join(alice, room, a);
    await putAccountData(alice, 'm.ignored_user_list', { ignored_users: { [bob.userId]: {} } });
    const mention = { 'm.mentions': { user_ids: [alice.userId] } };
    bobMsg = await say(bob, room, `fs bob hello ${alice.userId} zebra`, mention);
    root = await say(carol, room, 'fs carol root zebra');
    await send(bob, room, { msgtype: 'm.text', body: 'fs bob in thread', 'm.relates_to': { rel_type: 'm.thread', event_id: root } });
    await send(bob, room, { 'm.relates_to': { rel_type: 'm.annotation', event_id: root, key: '👎' } }, 'm.reaction');
    await send(carol, room, { msgtype: 'm.text', body: 'fs carol in thread', 'm.relates_to': { rel_type: 'm.thread', event_id: root } });
    await say(carol, room, `fs carol mentions ${alice.userId} zebra`, mention);
    await arrived(alice, room, `fs carol mentions ${alice.userId} zebra`);
  });

  test('FS1 /sync (initial) and /messages: the remote ignored user\'s messages are hidden, the other remote user\'s shown', async () => {
    const s = await sync(alice);
    const timeline = bodiesOf(s.rooms.join[room].timeline.events);
    assert.ok(timeline.includes('fs carol root zebra'), JSON.stringify(timeline));
    assert.ok(!timeline.some((t) => t.startsWith('fs bob')), JSON.stringify(timeline));
    const m = bodiesOf(await messages(alice, room));
    assert.ok(m.includes('fs carol root zebra') && !m.some((t) => t.startsWith('fs bob')), JSON.stringify(m));
  });

  test('FS2 /event and /context of the remote ignored user\'s message: 404 M_SENDER_IGNORED naming him', async () => {
    for (const path of [`${V3}/rooms/${enc(room)}/event/${enc(bobMsg)}`, `${V3}/rooms/${enc(room)}/context/${enc(bobMsg)}?limit=4`]) {
      const res = await req(alice, 'GET', path);
      assert.equal(res.status, 404, `${path}: ${res.text}`);
      assert.equal(res.json.errcode, 'M_SENDER_IGNORED');
      assert.equal(res.json.sender, bob.userId);
    }
    const asCarol = await req(carol, 'GET', `${V3}/rooms/${enc(room)}/event/${enc(bobMsg)}`);
    assert.equal(asCarol.status, 200, 'only the viewer who ignores him is refused');
  });

  test('FS3 /relations and the thread summary leave out the remote ignored user', async () => {
    const rel = await ok(alice, 'GET', `${V1}/rooms/${enc(room)}/relations/${enc(root)}`);
    assert.deepEqual(rel.chunk.map((e: Json) => e.sender), [carol.userId], JSON.stringify(rel.chunk));
    const ev = await ok(alice, 'GET', `${V3}/rooms/${enc(room)}/event/${enc(root)}`);
    const thread = ev.unsigned?.['m.relations']?.['m.thread'];
    assert.equal(thread?.count, 1, JSON.stringify(ev.unsigned));
    assert.equal(thread?.latest_event?.content?.body, 'fs carol in thread');
  });

  test('FS4 /notifications and unread counts: only the other remote user\'s mention counts', async () => {
    const n = await ok(alice, 'GET', `${V3}/notifications`);
    const bodies = n.notifications.map((x: Json) => x.event.content?.body);
    assert.ok(bodies.includes(`fs carol mentions ${alice.userId} zebra`), `carol's mention notifies: ${JSON.stringify(bodies)}`);
    assert.ok(!bodies.some((t: string) => t?.startsWith('fs bob')), JSON.stringify(bodies));
    const s = await sync(alice);
    assert.equal(s.rooms.join[room].unread_notifications?.highlight_count, 1, JSON.stringify(s.rooms.join[room].unread_notifications));
  });

  test('FS5 /search never finds the remote ignored user\'s messages', async () => {
    const res = await ok(alice, 'POST', `${V3}/search`, { search_categories: { room_events: { search_term: 'zebra' } } });
    const senders = res.search_categories.room_events.results.map((x: Json) => x.result.sender);
    assert.ok(senders.includes(carol.userId), JSON.stringify(senders));
    assert.ok(!senders.includes(bob.userId), JSON.stringify(senders));
  });

  test('FS6 no trace: a message of the remote ignored user arriving over /send neither ends a waiting /sync nor shows in it', async () => {
    const first = await sync(alice);
    const started = Date.now();
    const waiting = sync(alice, { since: first.next_batch, timeout: 20_000 });
    await say(bob, room, 'fs bob while waiting');
    await sleep(1500);
    await say(carol, room, 'fs carol wakes');
    const woke = await waiting;
    assert.ok(Date.now() - started >= 1400, 'bob\'s message did not end the long-poll');
    assert.deepEqual(bodiesOf(woke.rooms?.join?.[room]?.timeline?.events ?? []), ['fs carol wakes']);
  });
});

describe('FE — typing, receipts, presence and to-device of a remote ignored user (federation EDUs)', () => {
  let alice: Session;
  let bob: Session;
  let carol: Session;
  let room: string;
  before(async () => {
    [alice, bob, carol] = await Promise.all([user(b, 'fe_alice'), user(a, 'fe_bob'), user(a, 'fe_carol')]);
    room = await createRoom(carol, { preset: 'public_chat' });
    await join(bob, room, a);
    await join(alice, room, a);
    await putAccountData(alice, 'm.ignored_user_list', { ignored_users: { [bob.userId]: {} } });
    await say(carol, room, 'fe hello');
    await arrived(alice, room, 'fe hello');
  });
  const ephemeral = async (type: string) => ((await sync(alice)).rooms?.join?.[room]?.ephemeral?.events ?? []).filter((e: Json) => e.type === type);

  test('FE1 m.typing: the remote ignored user typing is left out; the other remote user typing is served', async () => {
    await ok(bob, 'PUT', `${V3}/rooms/${enc(room)}/typing/${enc(bob.userId)}`, { typing: true, timeout: 30_000 });
    await ok(carol, 'PUT', `${V3}/rooms/${enc(room)}/typing/${enc(carol.userId)}`, { typing: true, timeout: 30_000 });
    const typing = await until('carol\'s typing reaches B (needs outbound typing EDUs)', () => ephemeral('m.typing'), (t) => t[0]?.content?.user_ids?.includes(carol.userId));
    assert.deepEqual(typing[0].content.user_ids, [carol.userId]);
  });

  test('FE2 m.receipt: the remote ignored user\'s receipts are left out; the other remote user\'s are served', async () => {
    const ev = await say(carol, room, 'fe read me');
    await arrived(alice, room, 'fe read me');
    await ok(bob, 'POST', `${V3}/rooms/${enc(room)}/receipt/m.read/${enc(ev)}`, {});
    await ok(carol, 'POST', `${V3}/rooms/${enc(room)}/receipt/m.read/${enc(ev)}`, {});
    const receipts = await until('carol\'s receipt reaches B (needs outbound receipt EDUs)', () => ephemeral('m.receipt'), (rs) => rs.some((x: Json) => x.content?.[ev]?.['m.read']?.[carol.userId]));
    for (const x of receipts) assert.equal(x.content?.[ev]?.['m.read']?.[bob.userId], undefined, JSON.stringify(x));
  });

  test('FE3 presence: the remote ignored user\'s presence never reaches the viewer; the other\'s does', async () => {
    await ok(bob, 'PUT', `${V3}/presence/${enc(bob.userId)}/status`, { presence: 'online', status_msg: 'fe bob here' });
    await ok(carol, 'PUT', `${V3}/presence/${enc(carol.userId)}/status`, { presence: 'online', status_msg: 'fe carol here' });
    const got = await until('carol\'s presence reaches B (needs outbound presence EDUs)', async () => (await sync(alice)).presence?.events ?? [], (ev: Json[]) => ev.some((e) => e.sender === carol.userId));
    assert.ok(!got.some((e: Json) => e.sender === bob.userId), JSON.stringify(got));
    const status = await ok(alice, 'GET', `${V3}/presence/${enc(bob.userId)}/status`);
    assert.deepEqual(status, { presence: 'offline' });
  });

  test('FE4 to-device: messages of the remote ignored user are never delivered; the other remote user\'s are', async () => {
    const msg = (who: string) => ({ messages: { [alice.userId]: { [alice.deviceId]: { who } } } });
    await ok(bob, 'PUT', `${V3}/sendToDevice/m.fe.test/fe${++txn}`, msg('bob'));
    await ok(carol, 'PUT', `${V3}/sendToDevice/m.fe.test/fe${++txn}`, msg('carol'));
    const got = await until('carol\'s to-device reaches B (needs outbound to-device EDUs)', async () => (await sync(alice)).to_device?.events ?? [], (ev: Json[]) => ev.some((e) => e.sender === carol.userId));
    assert.ok(!got.some((e: Json) => e.sender === bob.userId), JSON.stringify(got));
  });
});

describe('FSV — MSC3840 ignored_servers naming a remote server', () => {
  test('FSV1 every user of the ignored server is hidden on /sync and /messages; the viewer\'s own messages stay', async () => {
    const [alice, bob, carol] = await Promise.all([user(b, 'fsv_alice'), user(a, 'fsv_bob'), user(a, 'fsv_carol')]);
    const room = await createRoom(carol, { preset: 'public_chat' });
    await join(bob, room, a);
    await join(alice, room, a);
    await say(carol, room, 'fsv carol before');
    await arrived(alice, room, 'fsv carol before');
    await putAccountData(alice, 'm.ignored_invites', { ignored_servers: [a.name] });
    await say(bob, room, 'fsv bob after');
    await say(alice, room, 'fsv alice own');
    await say(carol, room, 'fsv carol after');
    await until('carol\'s last message reaches B', async () => (await ok(carol, 'GET', `${V3}/rooms/${enc(room)}/messages?dir=b&limit=5`)).chunk.map((e: Json) => e.content?.body), (x: string[]) => x.includes('fsv alice own'));
    await sleep(1000);
    const m = bodiesOf(await messages(alice, room));
    assert.deepEqual(m, ['fsv alice own'], 'only alice\'s own message: every user of A is hidden, earlier messages too');
    const s = bodiesOf((await sync(alice)).rooms.join[room].timeline.events);
    assert.deepEqual(s, ['fsv alice own']);
  });
});

describe('FI/FB/FD — invites from another server judged by every list', () => {
  let bob: Session;
  let carol: Session;
  before(async () => {
    [bob, carol] = await Promise.all([user(a, 'fi_bob'), user(a, 'fi_carol')]);
  });
  const inviteFromBob = async (target: Session, tag: string) => {
    const room = await createRoom(bob, { preset: 'private_chat', name: tag });
    const res = await invite(bob, room, target);
    return { room, res };
  };

  test('FI1 each hiding list hides a remote invite (the inviter sees a success) and the review names its rule', async () => {
    const cases: [string, string, (s: Session) => Promise<unknown>][] = [
      ['m.ignored_user_list', 'fi1a', (s) => putAccountData(s, 'm.ignored_user_list', { ignored_users: { [bob.userId]: {} } })],
      ['m.ignored_invites ignored_user_ids', 'fi1b', (s) => putAccountData(s, 'm.ignored_invites', { ignored_user_ids: [bob.userId] })],
      ['m.ignored_invites ignored_servers', 'fi1c', (s) => putAccountData(s, 'm.ignored_invites', { ignored_servers: [a.name] })],
      ['org.matrix.msc4155.invite_permission_config ignored', 'fi1d', (s) => putAccountData(s, 'org.matrix.msc4155.invite_permission_config', { ignored_servers: [`*:${a.port}`] })],
      ['org.matrix.msc4155.invite_permission_config ignored', 'fi1e', (s) => putAccountData(s, 'org.matrix.msc4155.invite_permission_config', { ignored_users: [`@fi_b?b:*`] })],
    ];
    for (const [rule, tag, list] of cases) {
      const target = await user(b, `${tag}_target`);
      await list(target);
      const { room, res } = await inviteFromBob(target, tag);
      assert.equal(res.status, 200, `${tag}: ${res.text}`);
      const s = await sync(target);
      assert.equal(s.rooms?.invite?.[room], undefined, `${tag}: hidden`);
      assert.equal((await hiddenRules(target))[room], rule, tag);
    }
  });

  test('FB1 Invite permission block and MSC4155 blocked (server glob, user glob): 403 M_INVITE_BLOCKED at B and to the inviting client on A, nothing stored', async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['m.invite_permission_config', { default_action: 'block' }, 'fb1a'],
      ['org.matrix.msc4155.invite_permission_config', { blocked_servers: [`local*:${a.port}`] }, 'fb1b'],
      ['org.matrix.msc4155.invite_permission_config', { blocked_users: [`@fi_*:${a.name}`] }, 'fb1c'],
    ];
    for (const [type, content, tag] of cases) {
      const target = await user(b, `${tag}_target`);
      await putAccountData(target, type, content);
      const { room, res } = await inviteFromBob(target, tag);
      assert.equal(res.status, 403, `${tag}: ${res.text}`);
      assert.equal(res.json.errcode, 'M_INVITE_BLOCKED', tag);
      assert.equal(await membershipOn(bob, room, target.userId), undefined, `${tag}: no invite on A`);
      assert.equal((await sync(target)).rooms?.invite?.[room], undefined, `${tag}: nothing on B`);
    }
  });

  test('FB2 MSC4155 allow wins over block for a remote user: allowed_users lets one user of a blocked server through', async () => {
    const target = await user(b, 'fb2_target');
    await putAccountData(target, 'org.matrix.msc4155.invite_permission_config', { allowed_users: [carol.userId], blocked_servers: [a.name] });
    const room = await createRoom(carol, { preset: 'private_chat' });
    assert.equal((await invite(carol, room, target)).status, 200);
    assert.ok((await sync(target)).rooms?.invite?.[room], 'carol is allowed');
    assert.equal((await inviteFromBob(target, 'fb2')).res.status, 403, 'bob is blocked');
  });

  test('FD1 MSC4494 deny_public: a remote inviter sharing only a public room is refused (403 M_INVITE_BLOCKED on A); one sharing a private room, hosted on A or on B, may invite', async () => {
    const target = await user(b, 'fd1_target');
    const dave = await user(a, 'fd1_dave');
    // A public room on A shared with bob; a private room on A shared with carol; a private room on B shared with dave.
    const pub = await createRoom(bob, { preset: 'public_chat' });
    await join(target, pub, a);
    const privA = await createRoom(carol, { preset: 'private_chat' });
    assert.equal((await invite(carol, privA, target)).status, 200);
    await join(target, privA, a);
    const privB = await createRoom(target, { preset: 'private_chat' });
    assert.equal((await invite(target, privB, dave)).status, 200);
    await join(dave, privB, b);
    await putAccountData(target, 'm.invite_permission_config', { default_action: 'deny_public' });
    const refused = await inviteFromBob(target, 'fd1 bob');
    assert.equal(refused.res.status, 403, refused.res.text);
    assert.equal(refused.res.json.errcode, 'M_INVITE_BLOCKED');
    for (const inviter of [carol, dave]) {
      const room = await createRoom(inviter, { preset: 'private_chat' });
      const res = await invite(inviter, room, target);
      assert.equal(res.status, 200, `${inviter.userId} shares a private room: ${res.text}`);
    }
  });
});

describe('FJ/FR — rejecting remote invites through the inviting server', () => {
  let bob: Session;
  before(async () => {
    bob = await user(a, 'fj_bob');
  });
  const leaveOnA = (room: string, target: Session) => until(`the rejection of ${target.userId} reaches A`, () => membershipOn(bob, room, target.userId), (m) => m === 'leave');

  test('FJ1 MSC4294: listing a remote inviter rejects his pending invite at once; A sees the leave; the invitee sees nothing', async () => {
    const target = await user(b, 'fj1_target');
    const room = await createRoom(bob, { preset: 'private_chat' });
    assert.equal((await invite(bob, room, target)).status, 200);
    const s0 = await sync(target);
    assert.ok(s0.rooms?.invite?.[room]);
    await putAccountData(target, 'm.ignored_inviters_list', { ignored_inviters: { [bob.userId]: {} } });
    await leaveOnA(room, target);
    const s1 = await sync(target, { since: s0.next_batch });
    assert.equal(s1.rooms?.invite?.[room], undefined);
    assert.equal(s1.rooms?.leave?.[room], undefined, 'the rejection is not news to the invitee (J1)');
  });

  test('FJ2 MSC4294: a later invite from a listed remote inviter is rejected on arrival through A', async () => {
    const target = await user(b, 'fj2_target');
    await putAccountData(target, 'm.ignored_inviters_list', { ignored_inviters: { [bob.userId]: {} } });
    const room = await createRoom(bob, { preset: 'private_chat' });
    assert.equal((await invite(bob, room, target)).status, 200);
    await leaveOnA(room, target);
    assert.equal((await sync(target)).rooms?.invite?.[room], undefined);
  });

  test('FJ3 MSC4294: an invite from a listed remote inviter into a room B is already in is rejected on arrival too (an ordinary leave of B\'s)', async () => {
    const [target, friend] = await Promise.all([user(b, 'fj3_target'), user(b, 'fj3_friend')]);
    await putAccountData(target, 'm.ignored_inviters_list', { ignored_inviters: { [bob.userId]: {} } });
    const room = await createRoom(bob, { preset: 'public_chat' });
    await join(friend, room, a);
    assert.equal((await invite(bob, room, target)).status, 200);
    await leaveOnA(room, target);
    assert.equal(await membershipOn(friend, room, target.userId), 'leave', 'B holds the leave as well');
    assert.equal((await sync(target)).rooms?.invite?.[room], undefined);
  });

  test('FR1 --ignored-user-invites reject: an invite from an ignored remote user is rejected on arrival; A sees the leave', async () => {
    const target = await user(r, 'fr1_target');
    await putAccountData(target, 'm.ignored_user_list', { ignored_users: { [bob.userId]: {} } });
    const room = await createRoom(bob, { preset: 'private_chat' });
    assert.equal((await invite(bob, room, target)).status, 200);
    await leaveOnA(room, target);
    assert.equal((await sync(target)).rooms?.invite?.[room], undefined);
  });

  test('FR2 --ignored-user-invites reject: ignoring a remote user rejects his pending invite at that moment (RoomService.rejectIgnoredInvites)', async () => {
    const target = await user(r, 'fr2_target');
    const room = await createRoom(bob, { preset: 'private_chat' });
    assert.equal((await invite(bob, room, target)).status, 200);
    assert.ok((await sync(target)).rooms?.invite?.[room]);
    await putAccountData(target, 'm.ignored_user_list', { ignored_users: { [bob.userId]: {} } });
    await leaveOnA(room, target);
  });

  test('FR3 without reject (B, the default hide): the invite from an ignored remote user stays pending on A, hidden on B', async () => {
    const target = await user(b, 'fr3_target');
    await putAccountData(target, 'm.ignored_user_list', { ignored_users: { [bob.userId]: {} } });
    const room = await createRoom(bob, { preset: 'private_chat' });
    assert.equal((await invite(bob, room, target)).status, 200);
    await sleep(1500);
    assert.equal(await membershipOn(bob, room, target.userId), 'invite');
    assert.equal((await sync(target)).rooms?.invite?.[room], undefined);
  });
});

describe('FL — policy rooms hosted on another server (MSC4365, MSC3847)', () => {
  test('FL1 a rule arriving over /send hides the remote user\'s events and invites on B at once; removing it shows them again; glob server rules match remote servers', async () => {
    const [alice, bob, carol, mod] = await Promise.all([user(b, 'fl_alice'), user(a, 'fl_bob'), user(a, 'fl_carol'), user(a, 'fl_mod')]);
    const policy = await createRoom(mod, { preset: 'public_chat', name: 'ban list on A' });
    await join(alice, policy, a); // subscribing joins it over federation
    await putAccountData(alice, 'm.ignored_user_list', { ignored_users: {}, ignored_user_list_rooms: { [policy]: {} } });
    await putAccountData(alice, 'm.policies', { 'm.ignore.invites': { target: policy, sources: [policy] } });
    const room = await createRoom(carol, { preset: 'public_chat' });
    await join(bob, room, a);
    await join(alice, room, a);
    await say(bob, room, 'fl bob before');
    await say(carol, room, 'fl carol before');
    await arrived(alice, room, 'fl carol before');
    const inv = await createRoom(bob, { preset: 'private_chat' });
    assert.equal((await invite(bob, inv, alice)).status, 200);
    assert.ok((await sync(alice)).rooms?.invite?.[inv], 'no rule yet: the invite is shown');

    const setRule = (kind: string, entity: string, content: Record<string, unknown>) =>
      ok(mod, 'PUT', `${V3}/rooms/${enc(policy)}/state/m.policy.rule.${kind}/${enc(`rule:${entity}`)}`, content);
    const hidden = async () => !bodiesOf(await messages(alice, room)).includes('fl bob before') && (await sync(alice)).rooms?.invite?.[inv] === undefined;
    const t0 = Date.now();
    await setRule('user', `@fl_bo?:${a.name}`, { recommendation: 'm.ban', entity: `@fl_bo?:${a.name}`, reason: 'spam' });
    await until('the user rule from A hides bob on B', hidden, (h) => h);
    const arrivalMs = Date.now() - t0;
    assert.ok(bodiesOf(await messages(alice, room)).includes('fl carol before'), 'carol stays');
    assert.equal((await hiddenRules(alice))[inv], 'm.ignored_user_list ignored_user_list_rooms m.policy.rule.user');
    console.log(`# FL1 user rule PUT on A → bob hidden on B: ${arrivalMs} ms`);

    await setRule('user', `@fl_bo?:${a.name}`, {});
    await until('removing the rule shows bob again', hidden, (h) => !h);
    await setRule('server', `local*:${a.port}`, { recommendation: 'm.ban', entity: `local*:${a.port}`, reason: 'spam' });
    await until('the server glob rule hides every user of A on B', async () => bodiesOf(await messages(alice, room)), (m) => m.length === 0);
    await setRule('server', `local*:${a.port}`, {});
    await until('removing the server rule shows them again', async () => bodiesOf(await messages(alice, room)), (m) => m.includes('fl carol before'));
  });
});
