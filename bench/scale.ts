// `node --import tsx bench/scale.ts --database FILE|postgres://URL [--runs N]`
// or `… --target URL --target-pids PID` (a server already running on the data set)
// Issue 19 item 5 on the scale data set of bench/generate.ts: `hush serve` on it, then as the
// measured user (@scale-0, in ~200 rooms): initial /sync, incremental /sync (idle, and after one new
// event in one of their rooms), /messages in their largest room, sends (one at a time, and ten in
// flight, from one user and from two) in a mid-sized and in their largest room — each with its p50 time, the server's CPU per
// request (Linux /proc, so only for a process whose id is known) and the server's resident memory
// after it. Prints JSON lines and a table; the load average is printed with every figure.

import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { BenchClient, V3, enc, pool, round, summarize, type Json, type Session } from './http.ts';
import { startOwnHush, type OwnServer } from './own-server.ts';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const RUNS = Number(option('runs') ?? 10);
const database = option('database');
let server: OwnServer | undefined;
let url = option('target');
let pid = Number(option('target-pids') ?? NaN);
if (database !== undefined) {
  server = await startOwnHush({ database });
  url = server.url;
  pid = server.pid;
}
if (url === undefined) throw new Error('usage: bench/scale.ts --database FILE|URL | --target URL [--target-pids PID] [--runs N]');

/** The server's CPU seconds so far and its resident memory in MiB (NaN when not known). */
function proc(): { cpu: number; rssMiB: number } {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return { cpu: (Number(fields[11]) + Number(fields[12])) / 100, rssMiB: Number(rss) / 1024 };
  } catch {
    return { cpu: NaN, rssMiB: NaN };
  }
}

const rows: { figure: string; p50Ms: number; p99Ms: number; cpuMsEach: number; rssMiB: number; load1: number; extra?: string }[] = [];
/** Runs `fn` `n` times (`concurrency` at once) and records its times, the server CPU per run and the RSS after. */
async function measure(figure: string, n: number, fn: (i: number) => Promise<string | void>, concurrency = 1): Promise<void> {
  const ms: number[] = [];
  let extra: string | undefined;
  const before = proc();
  const t0 = performance.now();
  await pool(n, concurrency, async (i) => {
    const t1 = performance.now();
    extra = (await fn(i)) || extra;
    ms.push(performance.now() - t1);
  });
  const wall = performance.now() - t0;
  const after = proc();
  const s = summarize(ms);
  const rate = concurrency > 1 ? `${Math.round((n / wall) * 1000)}/s with ${concurrency} in flight` : undefined;
  const note = [rate, extra].filter((x) => x !== undefined).join('; ');
  const row = { figure, p50Ms: round(s.p50), p99Ms: round(s.p99), cpuMsEach: round(((after.cpu - before.cpu) * 1000) / n), rssMiB: round(after.rssMiB), load1: round(loadavg()[0]!), ...(note ? { extra: note } : {}) };
  rows.push(row);
  console.log(JSON.stringify(row));
}

const c = new BenchClient(url, 10);
try {
  console.log(JSON.stringify({ figure: 'started', rssMiB: round(proc().rssMiB), load1: round(loadavg()[0]!) }));
  const login = await c.ok('POST', `${V3}/login`, { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'scale-0' }, password: 'scale-password' });
  const me: Session = { userId: String(login.user_id), token: String(login.access_token) };

  let first: Json;
  await measure(`initial /sync (no filter), ×${Math.max(3, RUNS / 2)}`, Math.max(3, RUNS / 2), async () => {
    const r = await c.okRes('GET', `${V3}/sync?timeout=0`, undefined, me.token);
    first = r.json;
    return `${Object.keys(r.json?.rooms?.join ?? {}).length} rooms, ${(r.bytes / 1e6).toFixed(1)} MB`;
  });
  const joinedRooms = Object.keys(first.rooms?.join ?? {});
  // Their rooms by member count (the summary's joined count).
  const bySize = joinedRooms
    .map((id) => ({ id, members: Number(first.rooms.join[id]?.summary?.['m.joined_member_count'] ?? 0) }))
    .sort((a, b) => b.members - a.members);
  const largest = bySize[0]!;
  const middle = bySize[Math.floor(bySize.length / 2)]!;
  // Another member of the mid-sized room (every generated user has the same password).
  const memberIds = Object.keys((await c.ok('GET', `${V3}/rooms/${enc(middle.id)}/joined_members`, undefined, me.token)).joined ?? {});
  const otherId = memberIds.find((u) => u !== me.userId)!;
  const other = await c.ok('POST', `${V3}/login`, { type: 'm.login.password', identifier: { type: 'm.id.user', user: otherId }, password: 'scale-password' });
  const them: Session = { userId: String(other.user_id), token: String(other.access_token) };
  let since = String(first.next_batch);

  await measure(`incremental /sync, nothing new, ×${RUNS * 5}`, RUNS * 5, async () => {
    const r = await c.ok('GET', `${V3}/sync?timeout=0&since=${enc(since)}`, undefined, me.token);
    since = String(r.next_batch);
  });
  let txn = 0;
  const tag = Date.now().toString(36);
  await measure(`incremental /sync after one new event in one of their rooms, ×${RUNS * 2}`, RUNS * 2, async () => {
    await c.ok('PUT', `${V3}/rooms/${enc(middle.id)}/send/m.room.message/s${tag}.${txn++}`, { msgtype: 'm.text', body: 'scale incremental' }, me.token);
    const t1 = performance.now();
    const r = await c.ok('GET', `${V3}/sync?timeout=0&since=${enc(since)}`, undefined, me.token);
    since = String(r.next_batch);
    return `the /sync alone ${round(performance.now() - t1)} ms (last)`;
  });
  await measure(`/messages dir=b limit=50, largest room (${largest.members} members), ×${RUNS * 2}`, RUNS * 2, async () => {
    const r = await c.ok('GET', `${V3}/rooms/${enc(largest.id)}/messages?dir=b&limit=50`, undefined, me.token);
    return `${r.chunk.length} events`;
  });
  let from: string | undefined;
  await measure(`/messages dir=b limit=50, paging back through the largest room, ×${RUNS * 2}`, RUNS * 2, async () => {
    const r = await c.ok('GET', `${V3}/rooms/${enc(largest.id)}/messages?dir=b&limit=50${from ? `&from=${enc(from)}` : ''}`, undefined, me.token);
    from = r.end;
  });
  const send = (room: string, s: Session) => async () => {
    await c.ok('PUT', `${V3}/rooms/${enc(room)}/send/m.room.message/s${tag}.${txn++}`, { msgtype: 'm.text', body: 'scale send' }, s.token);
  };
  await measure(`send, one at a time, mid-sized room (${middle.members} members), ×${RUNS * 20}`, RUNS * 20, send(middle.id, me));
  await measure(`send, 10 in flight, mid-sized room, ×${RUNS * 50}`, RUNS * 50, send(middle.id, me), 10);
  await measure(`send, one at a time, largest room (${largest.members} members), ×${RUNS * 5}`, RUNS * 5, send(largest.id, me));
  await measure(`send, 10 in flight, two users, mid-sized room, ×${RUNS * 50}`, RUNS * 50, async (i) => send(middle.id, i % 2 ? me : them)(), 10);
  console.log('\n| figure | p50 ms | p99 ms | server CPU ms each | RSS after, MiB | load (1 min) | |\n|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.figure} | ${r.p50Ms} | ${r.p99Ms} | ${r.cpuMsEach} | ${r.rssMiB} | ${r.load1} | ${r.extra ?? ''} |`);
} finally {
  c.close();
  await server?.stop();
}
