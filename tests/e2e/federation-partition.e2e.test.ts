// Three `hush serve` processes, each reached by the others only through its own TCP proxy
// (support/proxy.ts), in one room made on A (issue 22, decision 0040). B is cut off — nobody reaches
// B (its proxy refuses everything) and B reaches nobody (A's and C's proxies refuse B's process) —
// so B's outbound queue holds while both sides make concurrent, conflicting state changes: A
// demotes B's user, sets the topic, bans a user of B and makes the room invite-only while B's user
// sets the topic and the name and another user of B joins (the room is still public on B's side);
// messages on both sides. After the partition heals, all three servers hold the same room state
// (event for event: resolution v2's, where A's power events win and B's topic, name and late join
// lose — the join leaving B's current state too) and every message from both sides, in /messages.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { client, type ClientSession } from '../support/server.ts';
import { FederationTestbed, type FederatingServer } from './support/federation.ts';
import { TcpProxy } from './support/proxy.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
let bed: FederationTestbed;
let a: FederatingServer;
let b: FederatingServer;
let c: FederatingServer;
let alice: ClientSession;
let bob: ClientSession;
let eve: ClientSession;
let frank: ClientSession;
let carol: ClientSession;
let roomId: string;

const on = (s: FederatingServer) => client(s.proc.baseUrl);

before(async () => {
  bed = new FederationTestbed();
  const [pa, pb, pc] = await Promise.all([TcpProxy.start(), TcpProxy.start(), TcpProxy.start()]);
  [a, b, c] = await Promise.all([bed.start({ proxy: pa }), bed.start({ proxy: pb }), bed.start({ proxy: pc })]);
  [alice, bob, eve, frank, carol] = await Promise.all([
    on(a).register('alice'),
    on(b).register('bob'),
    on(b).register('eve'),
    on(b).register('frank'),
    on(c).register('carol'),
  ]);
});

after(async () => {
  if (process.env['HUSH_TEST_KEEP_LOGS']) for (const [n, s] of [['a', a], ['b', b], ['c', c]] as const) writeFileSync(`${process.env['HUSH_TEST_KEEP_LOGS']}.${n}.log`, s?.proc.logs() ?? '');
  await bed?.close();
  await Promise.all([a, b, c].map((s) => s?.proxy?.close()));
});

async function put(s: FederatingServer, who: ClientSession, path: string, body: unknown): Promise<Json> {
  const res = await on(s).request('PUT', `${V3}/rooms/${enc(roomId)}/${path}`, { token: who.token, body });
  assert.equal(res.status, 200, `${path}: ${res.text}`);
  return res.json;
}

let seq = 0;
const say = (s: FederatingServer, who: ClientSession, body: string) => put(s, who, `send/m.room.message/m${Date.now()}.${seq++}`, { msgtype: 'm.text', body });

async function getState(s: FederatingServer, who: ClientSession, type: string): Promise<Json | undefined> {
  const res = await on(s).request('GET', `${V3}/rooms/${enc(roomId)}/state/${type}/`, { token: who.token });
  return res.status === 200 ? res.json : undefined;
}

/** The room's current state as `who` reads it on `s`: (type, state_key) → event id and content, sorted. */
async function roomState(s: FederatingServer, who: ClientSession): Promise<string[]> {
  const res = await on(s).request('GET', `${V3}/rooms/${enc(roomId)}/state`, { token: who.token });
  assert.equal(res.status, 200, res.text);
  return (res.json as Json[]).map((e) => `${e.type}|${e.state_key}|${e.event_id}|${canonical(e.content)}`).sort();
}

/** JSON with sorted keys: servers may hand out one event's content with its keys in another order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'object' && v !== null) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Json)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/** Every message body of the room on `s`, paging /messages back to the start. */
async function messages(s: FederatingServer, who: ClientSession): Promise<string[]> {
  const out: string[] = [];
  let from: string | undefined;
  for (let page = 0; page < 50; page++) {
    const res = await on(s).request('GET', `${V3}/rooms/${enc(roomId)}/messages?dir=b&limit=50${from ? `&from=${enc(from)}` : ''}`, { token: who.token });
    assert.equal(res.status, 200, res.text);
    for (const e of res.json.chunk as Json[]) if (e.type === 'm.room.message') out.push(e.content.body);
    if (!res.json.end || res.json.chunk.length === 0) break;
    from = res.json.end;
  }
  return out.reverse();
}

async function eventually<T>(what: string, get: () => Promise<T>, check: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (check(v)) return v;
    if (Date.now() > end) assert.fail(`${what}: still ${JSON.stringify(v).slice(0, 3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('A makes a room; users of B and C join through A; B is given power', async () => {
  const created = await on(a).request('POST', `${V3}/createRoom`, {
    token: alice.token,
    body: { preset: 'public_chat', name: 'Before', initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'shared' } }] },
  });
  assert.equal(created.status, 200, created.text);
  roomId = created.json.room_id;
  for (const [s, who] of [[b, bob], [b, eve], [c, carol]] as const) {
    const res = await on(s).request('POST', `${V3}/join/${enc(roomId)}?via=${enc(a.name)}`, { token: who.token, body: {} });
    assert.equal(res.status, 200, res.text);
  }
  const pl = (await getState(a, alice, 'm.room.power_levels')) as Json;
  await put(a, alice, 'state/m.room.power_levels/', { ...pl, users: { ...pl.users, [bob.userId]: 50 } });
  await eventually('B knows bob has power 50', async () => (await getState(b, bob, 'm.room.power_levels'))?.users?.[bob.userId], (v) => v === 50);
  await eventually('C knows eve joined', async () => (await roomState(c, carol)).some((k) => k.startsWith(`m.room.member|${eve.userId}|`) && k.includes('"join"')), (v) => v);
  await say(a, alice, 'before the partition');
});

test('partitioned, both sides change the state; healed, all three agree on it and hold every message', async () => {
  const proxyOf = (s: FederatingServer) => s.proxy as TcpProxy;
  proxyOf(b).cut();
  await Promise.all([proxyOf(a).block([b.proc.pid]), proxyOf(c).block([b.proc.pid])]);

  // A's side (C sees it): bob demoted, a topic, eve banned, the room made invite-only.
  const pl = (await getState(a, alice, 'm.room.power_levels')) as Json;
  await put(a, alice, 'state/m.room.power_levels/', { ...pl, users: { ...pl.users, [bob.userId]: 0 } });
  await put(a, alice, 'state/m.room.topic/', { topic: 'topic from A' });
  const ban = await on(a).request('POST', `${V3}/rooms/${enc(roomId)}/ban`, { token: alice.token, body: { user_id: eve.userId, reason: 'partition' } });
  assert.equal(ban.status, 200, ban.text);
  await put(a, alice, 'state/m.room.join_rules/', { join_rule: 'invite' });
  await say(a, alice, 'A during the partition');
  await say(c, carol, 'C during the partition');

  // B's side, at the same time: B does not know any of that.
  await put(b, bob, 'state/m.room.topic/', { topic: 'topic from B' });
  await put(b, bob, 'state/m.room.name/', { name: 'name from B' });
  const joined = await on(b).request('POST', `${V3}/join/${enc(roomId)}`, { token: frank.token, body: {} });
  assert.equal(joined.status, 200, `frank joins on B's side (still public there): ${joined.text}`);
  await say(b, bob, 'B during the partition');
  await say(b, frank, 'frank during the partition');

  // Nothing crossed: B still has the old state, A never heard of B's changes.
  assert.equal((await getState(b, bob, 'm.room.topic'))?.topic, 'topic from B');
  assert.equal((await getState(b, bob, 'm.room.join_rules'))?.join_rule, 'public');
  assert.equal((await getState(a, alice, 'm.room.name'))?.name, 'Before');
  assert.ok(!(await messages(a, alice)).includes('B during the partition'));
  assert.ok(!(await messages(b, bob)).includes('A during the partition'));
  assert.ok(proxyOf(b).stats.refused + proxyOf(a).stats.refused + proxyOf(c).stats.refused > 0, 'the proxies refused connections');

  for (const s of [a, b, c]) proxyOf(s).heal();
  // A talks to B first after the heal: B's catch-up (any request from a server wakes its queue).
  await say(a, alice, 'A after the heal');

  const want = ['before the partition', 'A during the partition', 'C during the partition', 'B during the partition', 'A after the heal'];
  for (const [s, who] of [[a, alice], [b, bob], [c, carol]] as const) {
    await eventually(`every message on ${s.name}`, () => messages(s, who), (m) => want.every((w) => m.includes(w)), 60_000);
  }
  const states = await eventually(
    'one state on all three (what B and C hold that A does not, and the reverse)',
    async () => {
      const [x, y, z] = await Promise.all([roomState(a, alice), roomState(b, bob), roomState(c, carol)]);
      const diff = (p: string[], q: string[]) => p.filter((k) => !q.includes(k)).map((k) => k.slice(0, 200));
      return { x, onlyB: diff(y, x), notB: diff(x, y), onlyC: diff(z, x), notC: diff(x, z) };
    },
    (d) => d.onlyB.length + d.notB.length + d.onlyC.length + d.notC.length === 0,
    60_000,
  );
  const state = states.x;
  const content = (type: string, key = '') => JSON.parse(state.find((k) => k.startsWith(`${type}|${key}|`))?.split('|').slice(3).join('|') ?? 'null');
  // State resolution v2 applies power events first: bob's demotion, the ban and the join rule win,
  // so bob's topic and name (authorised by the power A took away) and frank's join lose.
  assert.equal(content('m.room.power_levels').users[bob.userId], 0);
  assert.equal(content('m.room.topic').topic, 'topic from A');
  assert.equal(content('m.room.name').name, 'Before');
  assert.equal(content('m.room.join_rules').join_rule, 'invite');
  assert.equal(content('m.room.member', eve.userId).membership, 'ban');
  assert.notEqual(content('m.room.member', frank.userId)?.membership, 'join');
  for (const type of ['m.room.power_levels', 'm.room.topic', 'm.room.name', 'm.room.join_rules']) {
    const each = await Promise.all([getState(a, alice, type), getState(b, bob, type), getState(c, carol, type)]);
    assert.deepEqual(each[1], each[0], `${type} on B`);
    assert.deepEqual(each[2], each[0], `${type} on C`);
  }
});
