// Search cost when most of a room is from an ignored user (issue 25): one room of 100,000 messages,
// 90% from bob, whom alice ignores; POST /search through the real HTTP handlers (Fastify inject,
// in-process) for a word every message holds, ordered by recent and by rank, with and without the
// ignore, and with event_context. Reports p50/p95 per case and the `count` returned.
// Run: node --import tsx bench/search.ts [--quick] [--database postgres://…]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { resolveConfig } from '../packages/server/src/config/config.ts';
import { openDatabase } from '../packages/server/src/storage/db.ts';
import { createServices } from '../packages/server/src/services/index.ts';
import { buildApp } from '../packages/server/src/app.ts';

const quick = process.argv.includes('--quick');
const dbArg = process.argv.indexOf('--database');
const EVENTS = quick ? 10_000 : 100_000;
const RUNS = quick ? 10 : 25;
const BATCH = 1_000;

const dir = mkdtempSync(join(tmpdir(), 'hush-search-bench-'));
const location = dbArg > 0 ? (process.argv[dbArg + 1] as string) : join(dir, 'hush.sqlite');
const config = resolveConfig({ 'server-name': 'localhost', 'rate-limits': false, 'log-level': 'silent', database: location });
const database = await openDatabase(config.database);
const services = await createServices(config, database);
const app = await buildApp({ services, logger: pino({ level: 'silent' }) });
await app.ready();

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
async function req(method: 'GET' | 'POST' | 'PUT', url: string, token?: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const res = await app.inject({
    method,
    url,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  });
  return { status: res.statusCode, json: res.body ? JSON.parse(res.body) : undefined };
}

async function register(name: string): Promise<{ userId: string; token: string }> {
  const first = await req('POST', '/_matrix/client/v3/register', undefined, { username: name, password: 'correct horse' });
  const res = await req('POST', '/_matrix/client/v3/register', undefined, { username: name, password: 'correct horse', auth: { type: 'm.login.dummy', session: first.json.session } });
  return { userId: res.json.user_id, token: res.json.access_token };
}

const alice = await register('alice');
const bob = await register('bob');
const carol = await register('carol');
const roomId: string = (await req('POST', '/_matrix/client/v3/createRoom', alice.token, { preset: 'public_chat' })).json.room_id;
await req('POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, bob.token, {});
await req('POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, carol.token, {});

const words = ['meeting', 'lunch', 'release', 'review', 'deploy', 'coffee', 'bug', 'design'];
const t0 = performance.now();
for (let i = 0; i < EVENTS; i += BATCH) {
  await services.rooms.writer.write(roomId, async (rt) => {
    for (let k = i; k < Math.min(i + BATCH, EVENTS); k++) {
      const sender = k % 10 === 0 ? carol.userId : bob.userId;
      await rt.persist({ type: 'm.room.message', sender, content: { msgtype: 'm.text', body: `status report ${k}: ${words[k % words.length]} ${words[(k * 7) % words.length]}` } });
    }
  });
}
const fillSeconds = (performance.now() - t0) / 1000;
await req('PUT', `/_matrix/client/v3/user/${encodeURIComponent(alice.userId)}/account_data/m.ignored_user_list`, alice.token, { ignored_users: { [bob.userId]: {} } });

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}

async function measure(label: string, who: { token: string }, criteria: Record<string, unknown>): Promise<void> {
  const times: number[] = [];
  let last: Json;
  for (let i = 0; i < RUNS + 2; i++) {
    const t = performance.now();
    const res = await req('POST', '/_matrix/client/v3/search', who.token, { search_categories: { room_events: criteria } });
    const ms = performance.now() - t;
    if (res.status !== 200) throw new Error(`${label}: ${res.status} ${JSON.stringify(res.json)}`);
    if (i >= 2) times.push(ms); // two warm-up runs
    last = res.json.search_categories.room_events;
  }
  const senders = new Set(last.results.map((x: Json) => x.result.sender));
  console.log(
    `${label.padEnd(58)} p50 ${pct(times, 50).toFixed(1).padStart(7)} ms  p95 ${pct(times, 95).toFixed(1).padStart(7)} ms  results ${last.results.length}  count ${last.count}  senders ${[...senders].join(',')}`,
  );
}

console.log(`${database.dialect}: ${EVENTS} messages (90% from bob) stored in ${fillSeconds.toFixed(1)} s; ${RUNS} runs per case`);
await measure('alice (ignores bob), "report", recent, limit 10', alice, { search_term: 'report', order_by: 'recent' });
await measure('alice (ignores bob), "report", rank, limit 10', alice, { search_term: 'report', order_by: 'rank' });
await measure('alice (ignores bob), "lunch review", recent, limit 10', alice, { search_term: 'lunch review', order_by: 'recent' });
await measure('alice (ignores bob), "report", recent, context 5/5', alice, { search_term: 'report', order_by: 'recent', event_context: { before_limit: 5, after_limit: 5 } });
await measure('carol (ignores nobody), "report", recent, limit 10', carol, { search_term: 'report', order_by: 'recent' });
await measure('carol (ignores nobody), "report", rank, limit 10', carol, { search_term: 'report', order_by: 'rank' });

await app.close();
await services.stop();
await database.close();
rmSync(dir, { recursive: true, force: true });
