// Scenario 2 — with 100 users in 10 rooms (10 members each):
// - send → long-poll wake-up: a member waits in /sync (timeout 30 s, on the last process); another
//   member sends (on the first process). Measured from just before the PUT /send until the waiting
//   /sync returns containing that event (p50/p99). Target: ≤ 2 ms p50.
// - throughput: all 100 users send concurrently on keep-alive connections (spread over every
//   process); events/s, with this generator's own CPU share (process.cpuUsage) so that the reader
//   sees it is not the bottleneck, and the server's CPU when we started it.
// - one-room throughput with `wrk` and bench/send.lua (10 connections, then 1), with the server's CPU
//   per send, when wrk is on the PATH (else skipped).

import { execFileSync, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { enc, pool, round, sleep, summarize } from '../http.ts';
import { createRoom, join, machineCpuSeconds, registerUsers, sendText, serverCpuSeconds, sync, timelineOf, type Figure, type ScenarioResult, type Target } from '../target.ts';

const USERS = 100;
const ROOMS = 10;
const CONCURRENCY = 32;
const SEND_LUA = fileURLToPath(new URL('../send.lua', import.meta.url));

export async function sendWake(t: Target): Promise<ScenarioResult> {
  const c = t.main;
  const notes: string[] = [];
  const r0 = performance.now();
  const users = await registerUsers(t, 'chat', USERS);
  notes.push(`registering ${USERS} users took ${((performance.now() - r0) / 1000).toFixed(1)} s`);
  const rooms = await pool(ROOMS, 4, (r) => createRoom(c, users[r]!));
  const members = rooms.map((_, r) => users.filter((_, i) => i % ROOMS === r));
  await pool(USERS, 8, async (i) => {
    if (i >= ROOMS) await join(c, users[i]!, rooms[i % ROOMS]!);
  });
  const since = new Map<string, string>();
  await pool(USERS, 4, async (i) => {
    since.set(users[i]!.userId, String((await sync(t.waiters, users[i]!, undefined, 0)).next_batch));
  });

  // Wake-up latency, one send at a time.
  const n = t.quick ? 100 : 500;
  const wake: number[] = [];
  const sendMs: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = i % ROOMS;
    const k = Math.floor(i / ROOMS);
    const sender = members[r]![k % 10]!;
    const waiter = members[r]![(k + 1) % 10]!;
    const room = rooms[r]!;
    let tok = String((await sync(t.waiters, waiter, since.get(waiter.userId), 0)).next_batch); // catch up, untimed
    const marker = `wake ${t.prefix} ${i}`;
    const woken = (async () => {
      for (;;) {
        const j = await sync(t.waiters, waiter, tok, 30_000);
        tok = String(j.next_batch);
        if (timelineOf(j, room).some((e) => e?.content?.body === marker)) return performance.now();
      }
    })();
    await sleep(5); // let the /sync park on the server
    const t0 = performance.now();
    const sent = sendText(c, sender, room, marker).then(() => performance.now());
    const t1 = await woken;
    sendMs.push((await sent) - t0);
    wake.push(t1 - t0);
    since.set(waiter.userId, tok);
  }
  const w = summarize(wake);
  const figures: Figure[] = [
    { key: 'send_wake_p50_ms', label: 'send → waiting /sync of another member returns it (p50)', value: w.p50, unit: 'ms' },
    { key: 'send_wake_p99_ms', label: 'send → waiting /sync of another member returns it (p99)', value: w.p99, unit: 'ms' },
    { key: 'send_alone_p50_ms', label: '  … the PUT /send alone, until its response (p50)', value: summarize(sendMs).p50, unit: 'ms' },
  ];
  notes.push(`wake-up: ${n} samples${t.urls.length > 1 ? ', sender on the first process, waiter on the last' : ''}`);

  // Throughput: every user sends to its own room, CONCURRENCY requests in flight, for a fixed time.
  const duration = (t.quick ? 3 : 10) * 1000;
  let total = 0;
  const cpu0 = process.cpuUsage();
  const srv0 = serverCpuSeconds(t);
  const all0 = machineCpuSeconds();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, wkr) => {
      const client = t.all[wkr % t.all.length]!;
      while (performance.now() - t0 < duration) {
        const i = total++;
        await sendText(client, users[i % USERS]!, rooms[i % ROOMS]!, 'load');
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const srv = serverCpuSeconds(t) - srv0;
  const machine = machineCpuSeconds() - all0;
  figures.push({ key: 'send_throughput_events_per_s', label: `sends, 100 users in 10 rooms, ${CONCURRENCY} in flight`, value: round(total / secs), unit: 'events/s' });
  figures.push({ key: 'send_throughput_generator_cpu_cores', label: '  … CPU used by this load generator', value: round((cpu.user + cpu.system) / 1e6 / secs), unit: 'cores' });
  if (!Number.isNaN(srv)) figures.push({ key: 'send_throughput_server_cpu_cores', label: '  … CPU used by the server process(es)', value: round(srv / secs), unit: 'cores' });
  if (!Number.isNaN(srv)) figures.push({ key: 'send_throughput_server_cpu_ms_per_send', label: '  … server CPU per send', value: round((srv * 1000) / total), unit: 'ms' });
  if (!Number.isNaN(machine)) figures.push({ key: 'send_throughput_machine_cpu_cores', label: '  … CPU used by the whole machine (database included)', value: round(machine / secs), unit: 'cores' });
  notes.push(`throughput: ${total} sends over ${secs.toFixed(1)} s${t.urls.length > 1 ? `, spread over ${t.urls.length} processes` : ''}`);

  // One room with wrk, when installed.
  if (spawnSync('wrk', ['--version']).error === undefined) {
    const seconds = t.quick ? 3 : 10;
    const wrk = (secs: number, connections: number) =>
      execFileSync('bash', ['-c', 'wrk -t1 -c"$4" -d"$1"s -s "$2" "$3"; times', 'wrk', String(secs), SEND_LUA, t.urls[0]!, String(connections)], {
        env: { ...process.env, HUSH_TOKEN: users[0]!.token, HUSH_ROOM: enc(rooms[0]!) },
        encoding: 'utf8',
      });
    // A warm-up, not measured: the first seconds after the throughput phase above still carry its
    // tail (a first measured run cost 0.5 ms per send against 0.2 ms for the same run repeated).
    wrk(t.quick ? 1 : 5, 10);
    // Ten connections, then one (issue 19's figures: sends/s and the server's CPU per send).
    for (const connections of [10, 1]) {
      const srvBefore = serverCpuSeconds(t);
      const out = wrk(seconds, connections);
      const srvUsed = serverCpuSeconds(t) - srvBefore;
      if (/Non-2xx/.test(out)) throw new Error(`wrk saw errors:\n${out}`);
      const rate = Number(/Requests\/sec:\s+([0-9.]+)/.exec(out)?.[1] ?? NaN);
      const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
      // `times` prints the shell's and then its children's user/system times, e.g. "0m1.234s 0m0.5s".
      const child = out.trim().split('\n').at(-1)?.match(/(\d+)m([\d.]+)s/g) ?? [];
      const childCpu = child.reduce((sum, x) => sum + Number(/(\d+)m/.exec(x)?.[1]) * 60 + Number(/m([\d.]+)s/.exec(x)?.[1]), 0);
      const key = connections === 10 ? 'send_throughput_one_room_wrk' : `send_throughput_one_room_wrk_c${connections}`;
      const conns = `${connections} connection${connections === 1 ? '' : 's'}`;
      figures.push({ key: `${key}_events_per_s`, label: `sends to one room, wrk, ${conns}`, value: round(rate), unit: 'events/s' });
      figures.push({ key: `${key}_cpu_cores`, label: '  … CPU used by wrk', value: round(childCpu / seconds), unit: 'cores' });
      if (!Number.isNaN(srvUsed)) figures.push({ key: `${key}_server_cpu_ms_per_send`, label: '  … server CPU per send', value: round((srvUsed * 1000) / requests), unit: 'ms' });
    }
  } else {
    notes.push('wrk is not on the PATH: the one-room wrk throughput figure was skipped (apt-get install wrk)');
  }
  return { figures, notes };
}
