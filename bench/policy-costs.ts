// Costs of the newest policy rules (issue 9), in-process on SQLite through the real HTTP handlers
// (Fastify inject, no sockets): one MSC4494 `deny_public` decision for a user in 1,000 rooms, and
// /sync and /messages of a user subscribed (MSC4365) to a policy room holding 10,000 rules, against
// the same user not subscribed.
// Run: node --import tsx bench/policy-costs.ts [--quick]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { resolveConfig } from '../packages/server/src/config/config.ts';
import { openDatabase } from '../packages/server/src/storage/db.ts';
import { createServices } from '../packages/server/src/services/index.ts';
import { buildApp } from '../packages/server/src/app.ts';
import { stateStore } from '../packages/server/src/storage/state.store.ts';

const quick = process.argv.includes('--quick');
const ROOMS = quick ? 200 : 1_000;
const RULES = quick ? 2_000 : 10_000;

const dir = mkdtempSync(join(tmpdir(), 'hush-policy-bench-'));
const config = resolveConfig({ 'server-name': 'localhost', 'rate-limits': false, 'log-level': 'silent', database: join(dir, 'hush.sqlite') });
const database = await openDatabase(config.database);
const services = await createServices(config, database);
const app = await buildApp({ services, logger: pino({ level: 'silent' }) });
await app.ready();

interface Session {
  userId: string;
  token: string;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function req(method: 'GET' | 'POST' | 'PUT', url: string, token?: string, body?: unknown): Promise<Json> {
  const res = await app.inject({
    method,
    url,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  });
  if (res.statusCode !== 200) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
  return JSON.parse(res.body);
}
const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

async function register(name: string): Promise<Session> {
  const r = await req('POST', `${V3}/register`, undefined, { username: name, password: 'bench password', auth: { type: 'm.login.dummy' } }).catch(async () => {
    const first = await app.inject({ method: 'POST', url: `${V3}/register`, payload: { username: name, password: 'bench password' } });
    const session = (JSON.parse(first.body) as { session: string }).session;
    return req('POST', `${V3}/register`, undefined, { username: name, password: 'bench password', auth: { type: 'm.login.dummy', session } });
  });
  return { userId: r.user_id, token: r.access_token };
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round((s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0) * 1000) / 1000;
}
async function timeIt(n: number, fn: () => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < Math.min(50, n); i++) await fn(); // warm-up
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    xs.push(performance.now() - t0);
  }
  return { p50: percentile(xs, 50), p99: percentile(xs, 99) };
}

const figures: Record<string, number> = {};

// 1. deny_public: inviter and invitee both joined to ROOMS public rooms and no other room (the worst
// case: every shared room is examined and none qualifies).
const [alice, bob] = [await register('dp_alice'), await register('dp_bob')];
for (let i = 0; i < ROOMS; i++) {
  const room = (await req('POST', `${V3}/createRoom`, bob.token, { preset: 'public_chat' })).room_id as string;
  await req('POST', `${V3}/join/${enc(room)}`, alice.token, {});
}
const db = database.db;
const query = await timeIt(2_000, () => stateStore.sharesNonPublicRoom(db, bob.userId, alice.userId));
figures['deny_public_query_ms_p50'] = query.p50;
figures['deny_public_query_ms_p99'] = query.p99;
const target = (await req('POST', `${V3}/createRoom`, bob.token, { preset: 'private_chat' })).room_id as string;
const inviteOnce = async (expectBlocked: boolean) => {
  const res = await app.inject({ method: 'POST', url: `${V3}/rooms/${enc(target)}/invite`, headers: { authorization: `Bearer ${bob.token}`, 'content-type': 'application/json' }, payload: JSON.stringify({ user_id: alice.userId }) });
  if ((res.statusCode === 403) !== expectBlocked) throw new Error(`invite: ${res.statusCode} ${res.body}`);
};
await req('PUT', `${V3}/user/${enc(alice.userId)}/account_data/m.invite_permission_config`, alice.token, { default_action: 'deny_public' });
const blocked = await timeIt(500, () => inviteOnce(true));
figures['invite_refused_deny_public_ms_p50'] = blocked.p50;

// 2. MSC4365: carol in one busy room, subscribed to a policy room holding RULES user rules.
const [carol, mod, talker] = [await register('pr_carol'), await register('pr_mod'), await register('pr_talker')];
const room = (await req('POST', `${V3}/createRoom`, talker.token, { preset: 'public_chat' })).room_id as string;
await req('POST', `${V3}/join/${enc(room)}`, carol.token, {});
for (let i = 0; i < 50; i++) await req('PUT', `${V3}/rooms/${enc(room)}/send/m.room.message/t${i}`, talker.token, { msgtype: 'm.text', body: `hello ${i}` });
const policy = (await req('POST', `${V3}/createRoom`, mod.token, { preset: 'public_chat' })).room_id as string;
await req('POST', `${V3}/join/${enc(policy)}`, carol.token, {});

// Carol is joined to the policy room either way (its 10,000 rule events are room state that an
// initial sync of that room carries); the figures compare subscribing to it (MSC4365) with not.
for (let i = 0; i < RULES; i++) {
  const entity = i % 10 === 0 ? `@*spam${i}:*.example` : `@troll${i}:bad.example`;
  await req('PUT', `${V3}/rooms/${enc(policy)}/state/m.policy.rule.user/${enc(`rule:${entity}`)}`, mod.token, { recommendation: 'm.ban', entity, reason: 'spam' });
}
const otherRooms = enc(JSON.stringify({ room: { not_rooms: [policy] } }));
async function syncFigures(label: string): Promise<void> {
  const first = await req('GET', `${V3}/sync?timeout=0`, carol.token);
  const since = first.next_batch as string;
  const inc = await timeIt(2_000, () => req('GET', `${V3}/sync?timeout=0&since=${enc(since)}`, carol.token));
  const initial = await timeIt(200, () => req('GET', `${V3}/sync?timeout=0&filter=${otherRooms}`, carol.token));
  const page = await timeIt(1_000, () => req('GET', `${V3}/rooms/${enc(room)}/messages?dir=b&limit=50`, carol.token));
  figures[`sync_incremental_ms_p50_${label}`] = inc.p50;
  figures[`sync_initial_busy_room_ms_p50_${label}`] = initial.p50;
  figures[`messages_50_ms_p50_${label}`] = page.p50;
}
await req('PUT', `${V3}/user/${enc(carol.userId)}/account_data/m.ignored_user_list`, carol.token, { ignored_users: {} });
await syncFigures('unsubscribed');
// Subscribing compiles the rules once (the write itself builds the new view); then every request
// reuses it until a rule or the list changes.
const t0 = performance.now();
await req('PUT', `${V3}/user/${enc(carol.userId)}/account_data/m.ignored_user_list`, carol.token, { ignored_users: {}, ignored_user_list_rooms: { [policy]: {} } });
await req('GET', `${V3}/sync?timeout=0&filter=${otherRooms}`, carol.token);
figures[`subscribe_and_first_sync_ms_${RULES}_rules`] = Math.round((performance.now() - t0) * 100) / 100;
await syncFigures('subscribed');
for (const k of ['sync_incremental_ms_p50', 'sync_initial_busy_room_ms_p50', 'messages_50_ms_p50']) {
  figures[`${k.replace('_ms_p50', '')}_ratio`] = Math.round((figures[`${k}_subscribed`]! / figures[`${k}_unsubscribed`]!) * 100) / 100;
}

console.log(`policy costs (SQLite, in-process, ${ROOMS} shared public rooms, ${RULES} policy rules)`);
for (const [k, v] of Object.entries(figures)) console.log(`  ${k.padEnd(44)} ${v}`);
await app.close();
await services.stop();
await database.close();
rmSync(dir, { recursive: true, force: true });
