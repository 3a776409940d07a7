// Previews of rooms held by another server (issue 22's remote hierarchy, issue 23's last bullet;
// decision 0039; cells FP1–FP5 of docs/ignore-semantics.md): two `hush serve` over TLS on loopback.
// A hosts a space tree; B holds none of it, and answers its clients' GET /hierarchy and
// /room_summary by asking A's /federation/v1/hierarchy — and the ignore lists of B's users hide
// rooms there exactly as in rooms B holds: listed rooms, rooms of an ignored server, rooms banned by
// a policy room's rule (here a policy room hosted on A).

import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { client, type ClientSession, type HttpResult } from '../support/server.ts';
import { FederationTestbed, type FederatingServer } from './support/federation.ts';
import type { Json } from './support/steps.ts';

const V3 = '/_matrix/client/v3';
const V1 = '/_matrix/client/v1';
const enc = encodeURIComponent;
let bed: FederationTestbed;
let a: FederatingServer;
let b: FederatingServer;

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
const createRoom = async (s: Session, body: Record<string, unknown>): Promise<string> => (await ok(s, 'POST', `${V3}/createRoom`, body)).room_id;
const addChild = (s: Session, space: string, child: string, via: FederatingServer, extra: Record<string, unknown> = {}) =>
  ok(s, 'PUT', `${V3}/rooms/${enc(space)}/state/m.space.child/${enc(child)}`, { via: [via.name], ...extra });
const hierarchy = (s: Session, roomId: string, query = '') => req(s, 'GET', `${V1}/rooms/${enc(roomId)}/hierarchy${query}`);
const summary = (s: Session, roomId: string, via?: FederatingServer | string[]) =>
  req(s, 'GET', `${V1}/room_summary/${enc(roomId)}${via === undefined ? '' : `?${(Array.isArray(via) ? via : [via.name]).map((v) => `via=${enc(v)}`).join('&')}`}`);
const names = (res: HttpResult): string[] => res.json.rooms.map((r: Json) => r.name);
async function until<T>(what: string, probe: () => Promise<T>, check: (v: T) => boolean, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (check(v)) return v;
    if (Date.now() > end) assert.fail(`${what} (last: ${JSON.stringify(v)?.slice(0, 400)})`);
    await sleep(100);
  }
}

const ids: Record<string, string> = {};
let frank: Session;
let bob: Session;

before(async () => {
  bed = new FederationTestbed();
  [a, b] = await Promise.all([bed.start(), bed.start()]);
  [frank, bob] = await Promise.all([user(a, 'fp_frank'), user(b, 'fp_bob')]);
  const space = { preset: 'public_chat', creation_content: { type: 'm.space' } };
  // On A: space → public (suggested), private, sub → deep, listed.
  ids['space'] = await createRoom(frank, { ...space, name: 'fp space' });
  ids['public'] = await createRoom(frank, { preset: 'public_chat', name: 'fp public', room_alias_name: 'fp_public' });
  ids['private'] = await createRoom(frank, { preset: 'private_chat', name: 'fp private' });
  ids['sub'] = await createRoom(frank, { ...space, name: 'fp sub' });
  ids['deep'] = await createRoom(frank, { preset: 'public_chat', name: 'fp deep', topic: 'at the bottom' });
  ids['listed'] = await createRoom(frank, { preset: 'public_chat', name: 'fp listed' });
  await addChild(frank, ids['space'], ids['public'], a, { order: 'a', suggested: true });
  await addChild(frank, ids['space'], ids['private'], a, { order: 'b' });
  await addChild(frank, ids['space'], ids['sub'], a, { order: 'c' });
  await addChild(frank, ids['space'], ids['listed'], a, { order: 'd' });
  await addChild(frank, ids['sub'], ids['deep'], a);
  // On B: a space of bob's whose one child is A's space.
  ids['local'] = await createRoom(bob, { ...space, name: 'fp local space' });
  await addChild(bob, ids['local'], ids['space'], a);
});

after(async () => {
  await bed?.close();
});

const tree = ['fp space', 'fp public', 'fp sub', 'fp deep', 'fp listed'];

describe('FP — previews of rooms another server holds', () => {
  test('FP1 /hierarchy on B of a space only A holds: the whole tree from A\'s answers, private rooms left out; a local space splices it in; suggested_only, max_depth and pages hold', async () => {
    const res = await hierarchy(bob, ids['space'] as string);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(names(res), tree);
    assert.ok(!res.text.includes('fp private'), 'the private room is never described');
    const root = res.json.rooms[0];
    assert.equal(root.room_type, 'm.space');
    assert.equal(root.join_rule, 'public');
    assert.equal(root.children_state.length, 4, 'every child is named, the private one too');
    for (const c of root.children_state) assert.deepEqual([c.type, c.sender, c.content.via], ['m.space.child', frank.userId, [a.name]]);
    assert.equal(res.json.rooms.find((r: Json) => r.name === 'fp deep').topic, 'at the bottom');

    assert.deepEqual(names(await hierarchy(bob, ids['local'] as string)), ['fp local space', ...tree], 'the remote space spliced under the local one');
    assert.deepEqual(names(await hierarchy(bob, ids['space'] as string, '?suggested_only=true')), ['fp space', 'fp public']);
    assert.deepEqual(names(await hierarchy(bob, ids['space'] as string, '?max_depth=1')), ['fp space', 'fp public', 'fp sub', 'fp listed']);
    const seen: string[] = [];
    let from: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await hierarchy(bob, ids['local'] as string, `?limit=2${from ? `&from=${enc(from)}` : ''}`);
      assert.equal(page.status, 200, page.text);
      seen.push(...names(page));
      from = page.json.next_batch;
      if (from === undefined) break;
    }
    assert.deepEqual(seen, ['fp local space', ...tree], 'pages add up to the walk');
    const unknown = await hierarchy(bob, `!nothing:${a.name}`);
    assert.equal(unknown.status, 403, 'a room nobody describes is 403 like a private one');
  });

  test('FP2 /room_summary on B of a room only A holds (via A, or by A\'s alias): served; the private room 404 M_NOT_FOUND', async () => {
    const res = await summary(bob, ids['public'] as string, a);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.name, 'fp public');
    assert.equal(res.json.join_rule, 'public');
    assert.equal(res.json.membership, undefined);
    const byAlias = await summary(bob, `#fp_public:${a.name}`);
    assert.equal(byAlias.status, 200, `by A's alias, resolved over federation: ${byAlias.text}`);
    assert.equal(byAlias.json.room_id, ids['public']);
    const noVia = await summary(bob, ids['deep'] as string);
    assert.equal(noVia.status, 200, 'the server in the room id is asked too');
    const priv = await summary(bob, ids['private'] as string, a);
    assert.equal(priv.status, 404);
    assert.equal(priv.json.errcode, 'M_NOT_FOUND');
  });

  test('FP6 /room_summary of a room B left (its copy stale) reads every via: A, listed before an unreachable server, is asked and its current name served', async () => {
    const room = await createRoom(bob, { preset: 'public_chat', name: 'fp6 before', power_level_content_override: { users: { [bob.userId]: 100, [frank.userId]: 100 } } });
    await ok(frank, 'POST', `${V3}/join/${enc(room)}?via=${enc(b.name)}`, {});
    await ok(bob, 'POST', `${V3}/rooms/${enc(room)}/leave`, {});
    await until('A sees bob leave', async () => (await ok(frank, 'GET', `${V3}/rooms/${enc(room)}/state/m.room.member/${enc(bob.userId)}`)).membership, (m) => m === 'leave');
    await ok(frank, 'PUT', `${V3}/rooms/${enc(room)}/state/m.room.name/`, { name: 'fp6 renamed on A' });
    const res = await summary(bob, room, [a.name, 'localhost:1']);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.name, 'fp6 renamed on A', 'from A, not B\'s stale copy');
  });

  test('FP3 MSC2270 ignored_rooms and MSC3840 ignored_room_ids on B hide A\'s rooms: left out of the walk (subtree too) and of children_state, summary 404', async () => {
    const [alice, carol] = await Promise.all([user(b, 'fp3_alice'), user(b, 'fp3_carol')]);
    await putAccountData(alice, 'm.ignored_room_list', { ignored_rooms: { [ids['listed'] as string]: {} } });
    await putAccountData(carol, 'm.ignored_invites', { ignored_room_ids: [ids['sub']] });
    const h = await hierarchy(alice, ids['space'] as string);
    assert.deepEqual(names(h), ['fp space', 'fp public', 'fp sub', 'fp deep']);
    assert.ok(!h.json.rooms[0].children_state.some((c: Json) => c.state_key === ids['listed']), 'children_state does not name it');
    assert.deepEqual(names(await hierarchy(carol, ids['space'] as string)), ['fp space', 'fp public', 'fp listed'], 'the sub-space and what is under it');
    const s = await summary(alice, ids['listed'] as string, a);
    assert.equal(s.status, 404);
    assert.equal(s.json.errcode, 'M_NOT_FOUND');
    assert.equal((await hierarchy(alice, ids['listed'] as string)).status, 403);
    assert.equal((await summary(bob, ids['listed'] as string, a)).status, 200, 'bob lists nothing');
  });

  test('FP4 MSC3840 ignored_servers naming A: every room of A is hidden from the viewer on B (403 / 404); B\'s own space stays, without its child', async () => {
    const dana = await user(b, 'fp4_dana');
    assert.deepEqual(names(await hierarchy(dana, ids['space'] as string)), tree, 'before the list: everything');
    await putAccountData(dana, 'm.ignored_invites', { ignored_servers: [a.name] });
    const h = await hierarchy(dana, ids['space'] as string);
    assert.equal(h.status, 403);
    assert.equal(h.json.errcode, 'M_FORBIDDEN');
    assert.equal((await summary(dana, ids['public'] as string, a)).status, 404);
    const local = await hierarchy(dana, ids['local'] as string);
    assert.deepEqual(names(local), ['fp local space']);
    assert.deepEqual(local.json.rooms[0].children_state, []);
  });

  test('FP5 MSC4365: a room rule (use_banned_rooms) of a policy room hosted on A hides that room of A on B once the rule arrives; removing it shows the room again', async () => {
    const [erin, mod] = await Promise.all([user(b, 'fp5_erin'), user(a, 'fp5_mod')]);
    const policy = await createRoom(mod, { preset: 'public_chat', name: 'fp ban list' });
    await ok(erin, 'POST', `${V3}/join/${enc(policy)}?via=${enc(a.name)}`, {});
    await putAccountData(erin, 'm.ignored_user_list', { ignored_users: {}, ignored_user_list_rooms: { [policy]: { use_banned_rooms: true } } });
    assert.deepEqual(names(await hierarchy(erin, ids['space'] as string)), tree, 'no rule yet');
    const rule = (content: Record<string, unknown>) => ok(mod, 'PUT', `${V3}/rooms/${enc(policy)}/state/m.policy.rule.room/${enc('rule:public')}`, content);
    await rule({ recommendation: 'm.ban', entity: ids['public'], reason: 'spam' });
    await until('the rule from A hides the room on B', async () => names(await hierarchy(erin, ids['space'] as string)), (n) => !n.includes('fp public'));
    assert.equal((await summary(erin, ids['public'] as string, a)).status, 404);
    await rule({});
    await until('removing the rule shows it again', async () => names(await hierarchy(erin, ids['space'] as string)), (n) => n.includes('fp public'));
  });
});
