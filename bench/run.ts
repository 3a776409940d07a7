// `npm run bench [-- --target URL] [--quick]`: black-box figures over the client-server API.
// Without --target it starts its own `hush serve` (SQLite in a temp dir, rate limits off).
// Prints a table and writes bench/results/<time>.json.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { cpus } from 'node:os';
import { startHush } from '../tests/support/server.ts';
import { BenchClient, round, summarize } from './http.ts';
import { inviteDecisionFigures } from './invite-decision.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const targetIdx = args.indexOf('--target');
const target = targetIdx >= 0 ? args[targetIdx + 1] : undefined;

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;
let txn = 0;

/** CPU seconds a process has used so far (Linux /proc), or NaN when it cannot be read. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

const hasWrk = spawnSync('wrk', ['--version']).error === undefined;

/** Sends with wrk (C, one thread): the load generator is not the bottleneck. */
function wrkSends(base: string, token: string, room: string, conns: number, seconds: number): { rate: number; genCpu: number } {
  const t0 = process.hrtime.bigint();
  const out = execFileSync('bash', ['-c', `/usr/bin/time -f '%U %S' wrk -t1 -c${conns} -d${seconds}s -s bench/send.lua ${base} 2>&1`], {
    env: { ...process.env, HUSH_TOKEN: token, HUSH_ROOM: enc(room) },
    encoding: 'utf8',
  });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const rate = Number(/Requests\/sec:\s+([0-9.]+)/.exec(out)?.[1] ?? NaN);
  if (/Non-2xx/.test(out)) throw new Error(`wrk saw errors:\n${out}`);
  const times = out.trim().split('\n').at(-1)?.split(' ').map(Number) ?? [NaN, NaN];
  return { rate, genCpu: ((times[0] ?? NaN) + (times[1] ?? NaN)) / secs };
}

async function main(): Promise<void> {
  const server = target ? undefined : await startHush();
  const base = target ?? server!.baseUrl;
  const c = new BenchClient(base, 20);
  const results: Record<string, unknown> = { target: base, machine: `${cpus().length} cores, ${cpus()[0]?.model ?? ''}`, when: new Date().toISOString() };
  try {
    results['versions'] = await c.ok('GET', '/_matrix/client/versions');
    const run = Date.now().toString(36);
    const alice = await c.register(`alice_${run}`);
    const bob = await c.register(`bob_${run}`);
    const room = String((await c.ok('POST', `${V3}/createRoom`, { preset: 'public_chat' }, alice.token))['room_id']);
    await c.ok('POST', `${V3}/join/${enc(room)}`, {}, bob.token);
    // Warm-up: V8 needs some thousands of requests before the server runs at its steady speed
    // (first seconds measured ~3x slower than later ones); figures are for a warm server.
    if (hasWrk) wrkSends(base, bob.token, room, 10, quick ? 3 : 8);
    else for (let i = 0; i < 2000; i++) await c.ok('PUT', `${V3}/rooms/${enc(room)}/send/m.room.message/w${txn++}`, { msgtype: 'm.text', body: `warm ${i}` }, bob.token);
    results['warmup'] = hasWrk ? `wrk ${quick ? 3 : 8} s of sends on 10 connections` : '2000 sends';

    // 1. Incremental /sync with nothing new.
    let since = String((await c.ok('GET', `${V3}/sync?timeout=0`, undefined, alice.token))['next_batch']);
    const n1 = quick ? 300 : 2000;
    const idle: number[] = [];
    for (let i = 0; i < n1; i++) {
      const t = performance.now();
      const j = await c.ok('GET', `${V3}/sync?timeout=0&since=${enc(since)}`, undefined, alice.token);
      idle.push(performance.now() - t);
      since = String(j['next_batch']);
    }
    results['sync_incremental_idle_ms'] = summarize(idle);

    // 2. Send → waiting /sync wake-up.
    const n2 = quick ? 100 : 500;
    const wake: number[] = [];
    for (let i = 0; i < n2; i++) {
      const waiting = c.ok('GET', `${V3}/sync?timeout=30000&since=${enc(since)}`, undefined, alice.token);
      await new Promise((r) => setTimeout(r, 2));
      const t = performance.now();
      void c.ok('PUT', `${V3}/rooms/${enc(room)}/send/m.room.message/k${txn++}`, { msgtype: 'm.text', body: `ping ${i}` }, bob.token);
      const j = await waiting;
      wake.push(performance.now() - t);
      since = String(j['next_batch']);
    }
    results['send_to_sync_wakeup_ms'] = summarize(wake);

    // 2b. Ignore-list write → waiting /sync of that user wakes with the new list applied.
    const ignoreWake: number[] = [];
    const listPath = `${V3}/user/${enc(alice.userId)}/account_data/m.ignored_user_list`;
    for (let i = 0; i < (quick ? 50 : 200); i++) {
      const waiting = c.ok('GET', `${V3}/sync?timeout=30000&since=${enc(since)}`, undefined, alice.token);
      await new Promise((r) => setTimeout(r, 2));
      const t = performance.now();
      void c.ok('PUT', listPath, { ignored_users: i % 2 === 0 ? { [bob.userId]: {} } : {} }, alice.token);
      const j = await waiting;
      ignoreWake.push(performance.now() - t);
      since = String(j['next_batch']);
    }
    await c.ok('PUT', listPath, { ignored_users: {} }, alice.token);
    results['ignore_write_to_sync_wakeup_ms'] = summarize(ignoreWake);

    // 3. Throughput: sends to one room on 1 and on 10 connections.
    for (const conns of [1, 10]) {
      if (hasWrk) {
        const cpu0 = cpuSeconds(server?.pid);
        const t0 = performance.now();
        const { rate, genCpu } = wrkSends(base, bob.token, room, conns, quick ? 3 : 10);
        const secs = (performance.now() - t0) / 1000;
        results[`send_throughput_${conns}conn_events_per_s`] = round(rate);
        results[`load_generator_cpu_share_${conns}conn`] = round(genCpu);
        results[`server_cpu_share_${conns}conn`] = round((cpuSeconds(server?.pid) - cpu0) / secs);
        continue;
      }
      const total = quick ? 1000 : 5000;
      const cc = new BenchClient(base, conns);
      let next = 0;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: conns }, async () => {
          while (next < total) {
            next++;
            await cc.ok('PUT', `${V3}/rooms/${enc(room)}/send/m.room.message/t${txn++}`, { msgtype: 'm.text', body: 'load' }, bob.token);
          }
        }),
      );
      const secs = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      results[`send_throughput_${conns}conn_events_per_s`] = round(total / secs);
      results[`load_generator_cpu_share_${conns}conn`] = round((cpu.user + cpu.system) / 1e6 / secs);
      results['load_generator'] = 'node:http (install wrk for figures the generator does not limit)';
      cc.close();
    }

    // 4. Ignore filtering: initial and incremental /sync of a user in R rooms × E events with
    //    ignore lists of 0, 1,000 and 10,000 users (none of whom sent anything: the output is the
    //    same, so the ratio is the cost of the filter alone).
    const R = quick ? 10 : 50;
    const E = quick ? 100 : 1000;
    const viewer = await c.register(`viewer_${run}`);
    const senders = await Promise.all([0, 1, 2].map((i) => c.register(`sender${i}_${run}`)));
    const rooms: string[] = [];
    for (let i = 0; i < R; i++) {
      const id = String((await c.ok('POST', `${V3}/createRoom`, { preset: 'public_chat' }, viewer.token))['room_id']);
      for (const s of senders) await c.ok('POST', `${V3}/join/${enc(id)}`, {}, s.token);
      rooms.push(id);
    }
    let k = 0;
    const jobs = rooms.flatMap((id) => Array.from({ length: E }, (_, j) => ({ id, s: senders[j % senders.length]! })));
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (k < jobs.length) {
          const job = jobs[k++]!;
          await c.ok('PUT', `${V3}/rooms/${enc(job.id)}/send/m.room.message/i${txn++}`, { msgtype: 'm.text', body: 'filler' }, job.s.token);
        }
      }),
    );
    const ignorePath = `${V3}/user/${enc(viewer.userId)}/account_data/m.ignored_user_list`;
    const serverName = viewer.userId.slice(viewer.userId.indexOf(':') + 1);
    const filter = enc(JSON.stringify({ room: { timeline: { limit: 20 } } }));
    const ignoreFigures: Record<string, unknown> = {};
    let baseInitial = NaN;
    let baseIncr = NaN;
    for (const size of [0, 1000, 10000]) {
      const ignored_users: Record<string, object> = {};
      for (let i = 0; i < size; i++) ignored_users[`@nobody${i}:${serverName}`] = {};
      await c.ok('PUT', ignorePath, { ignored_users }, viewer.token);
      const initial: number[] = [];
      for (let i = 0; i < (quick ? 5 : 15); i++) {
        const t = performance.now();
        await c.ok('GET', `${V3}/sync?timeout=0&filter=${filter}`, undefined, viewer.token);
        initial.push(performance.now() - t);
      }
      let tok = String((await c.ok('GET', `${V3}/sync?timeout=0&filter=${filter}`, undefined, viewer.token))['next_batch']);
      const incr: number[] = [];
      for (let i = 0; i < (quick ? 30 : 100); i++) {
        await c.ok('PUT', `${V3}/rooms/${enc(rooms[i % R]!)}/send/m.room.message/n${txn++}`, { msgtype: 'm.text', body: 'new' }, senders[0]!.token);
        const t = performance.now();
        const j = await c.ok('GET', `${V3}/sync?timeout=0&filter=${filter}&since=${enc(tok)}`, undefined, viewer.token);
        incr.push(performance.now() - t);
        tok = String(j['next_batch']);
      }
      const si = summarize(initial);
      const sn = summarize(incr);
      if (size === 0) {
        baseInitial = si.p50;
        baseIncr = sn.p50;
      }
      ignoreFigures[`ignore_${size}`] = { initial_sync_ms: si, incremental_sync_ms: sn, ratio_initial: round(si.p50 / baseInitial), ratio_incremental: round(sn.p50 / baseIncr) };
    }
    results[`ignore_filter_${R}rooms_x_${E}events`] = ignoreFigures;

    // 5. /messages page of 50 where 90% of the room's events come from an ignored user.
    const troll = await c.register(`troll_${run}`);
    const mroom = String((await c.ok('POST', `${V3}/createRoom`, { preset: 'public_chat' }, viewer.token))['room_id']);
    await c.ok('POST', `${V3}/join/${enc(mroom)}`, {}, troll.token);
    const M = quick ? 1000 : 5000;
    for (let i = 0; i < M; i++) {
      const who = i % 10 === 0 ? viewer : troll;
      await c.ok('PUT', `${V3}/rooms/${enc(mroom)}/send/m.room.message/m${txn++}`, { msgtype: 'm.text', body: 'm' }, who.token);
    }
    await c.ok('PUT', ignorePath, { ignored_users: { [troll.userId]: {} } }, viewer.token);
    const pages: number[] = [];
    let got = 0;
    for (let i = 0; i < (quick ? 20 : 50); i++) {
      const t = performance.now();
      const j = await c.ok('GET', `${V3}/rooms/${enc(mroom)}/messages?dir=b&limit=50`, undefined, viewer.token);
      pages.push(performance.now() - t);
      got = (j['chunk'] as unknown[]).length;
    }
    results['messages_page50_90pct_ignored_ms'] = { ...summarize(pages), events_in_page: got };

    // 6. One invite decision against large lists (in-process), and /sync of a user with many
    //    hidden invites against one with none.
    results['invite_decision'] = inviteDecisionFigures();
    const H = quick ? 100 : 1000;
    const invitee = await c.register(`invitee_${run}`);
    const plain = await c.register(`plain_${run}`);
    const spammer = await c.register(`spammer_${run}`);
    for (let i = 0; i < H; i++) {
      const id = String((await c.ok('POST', `${V3}/createRoom`, { invite: [invitee.userId] }, spammer.token))['room_id']);
      if (i === 0) await c.ok('POST', `${V3}/rooms/${enc(id)}/invite`, { user_id: plain.userId }, spammer.token);
    }
    await c.ok('PUT', `${V3}/user/${enc(invitee.userId)}/account_data/m.ignored_user_list`, { ignored_users: { [spammer.userId]: {} } }, invitee.token);
    await c.ok('PUT', `${V3}/user/${enc(plain.userId)}/account_data/m.ignored_user_list`, { ignored_users: { [spammer.userId]: {} } }, plain.token);
    const syncCost = async (who: { token: string }) => {
      const initial: number[] = [];
      for (let i = 0; i < (quick ? 10 : 30); i++) {
        const t = performance.now();
        await c.ok('GET', `${V3}/sync?timeout=0`, undefined, who.token);
        initial.push(performance.now() - t);
      }
      return summarize(initial);
    };
    const withHidden = await syncCost(invitee);
    const without = await syncCost(plain);
    results[`initial_sync_${H}_hidden_invites_ms`] = { with: withHidden, one_hidden: without, ratio: round(withHidden.p50 / without.p50) };
  } finally {
    c.close();
    await server?.stop();
  }
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, JSON.stringify(results, null, 2));
  for (const [k, v] of Object.entries(results)) if (k !== 'versions') console.log(`${k.padEnd(44)} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  console.log(`written: ${file}`);
}

await main();
