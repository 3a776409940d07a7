// `node --import tsx bench/send-cpu.ts [--connections 1,10] [--seconds 10] [--members 10] [--cpu-prof DIR] [--postgres]`
// The server's CPU per send (issue 19 item 1's figure): a fresh `hush serve` (SQLite, temp dir),
// one room of M members, then for each connection count a 5 s wrk warm-up and a measured wrk run of
// bench/send.lua; the server's CPU comes from /proc, so the figure holds on a busy machine better
// than the rate does. Prints one JSON line per connection count, with the load average. With
// --cpu-prof the server writes a V8 CPU profile of its whole run into DIR when it stops. With
// --postgres the server runs on a fresh database of a throw-away PostgreSQL 15 cluster
// (scripts/pg-cluster.mjs, durability off), and PostgreSQL's own CPU per send (every process named
// `postgres` on the machine) is printed beside the server's.

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { BenchClient, V3, enc } from './http.ts';
import { startOwnHush } from './own-server.ts';
import { startBenchCluster } from './support/pg-cluster.ts';

function option(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? process.argv[i + 1] : undefined) ?? dflt;
}
const CONNECTIONS = option('connections', '1,10').split(',').map(Number);
const SECONDS = Number(option('seconds', '10'));
const MEMBERS = Number(option('members', '10'));
const SEND_LUA = fileURLToPath(new URL('./send.lua', import.meta.url));

const PROFILE_DIR = process.argv.includes('--cpu-prof') ? option('cpu-prof', '') : undefined;
const cluster = process.argv.includes('--postgres') ? await startBenchCluster() : undefined;
const database = await cluster?.freshDatabase('send_cpu');
const server = await startOwnHush({ database, nodeArgs: PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR] : [] });
/** A process's user and system CPU seconds (utime, stime) and its name. */
const procTimes = (pid: number | string) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  return { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(') ')), user: Number(f[11]) / 100, system: Number(f[12]) / 100 };
};
const cpuTimes = () => procTimes(server.pid);
/** CPU seconds of every PostgreSQL process (0 without --postgres). */
const postgresCpu = () => {
  if (!cluster) return 0;
  let sum = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const t = procTimes(pid);
      if (t.name === 'postgres') sum += t.user + t.system;
    } catch {
      // the process ended meanwhile
    }
  }
  return sum;
};
const c = new BenchClient(server.url, 4);
try {
  const users = [];
  for (let i = 0; i < MEMBERS; i++) users.push(await c.register(`cpu${i}`));
  const room = String((await c.ok('POST', `${V3}/createRoom`, { preset: 'public_chat' }, users[0]!.token)).room_id);
  for (const u of users.slice(1)) await c.ok('POST', `${V3}/join/${enc(room)}`, {}, u.token);
  const env = { ...process.env, HUSH_TOKEN: users[0]!.token, HUSH_ROOM: enc(room) };
  const wrk = (connections: number, seconds: number) => execFileSync('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '-s', SEND_LUA, server.url], { env, encoding: 'utf8' });
  for (const connections of CONNECTIONS) {
    wrk(connections, 5);
    const before = cpuTimes();
    const pgBefore = postgresCpu();
    const load = loadavg()[0]!;
    const out = wrk(connections, SECONDS);
    const after = cpuTimes();
    const pgUsed = postgresCpu() - pgBefore;
    const used = after.user - before.user + (after.system - before.system);
    const system = after.system - before.system;
    if (/Non-2xx/.test(out)) throw new Error(`wrk saw errors:\n${out}`);
    const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
    console.log(
      JSON.stringify({
        connections,
        members: MEMBERS,
        sendsPerSecond: Math.round(requests / SECONDS),
        serverCpuMsPerSend: Math.round((used * 1e6) / requests) / 1000,
        ofWhichSystemMs: Math.round((system * 1e6) / requests) / 1000,
        ...(cluster ? { postgresCpuMsPerSend: Math.round((pgUsed * 1e6) / requests) / 1000 } : {}),
        load1: [Math.round(load * 100) / 100, Math.round(loadavg()[0]! * 100) / 100],
      }),
    );
  }
} finally {
  c.close();
  await server.stop();
  cluster?.stop();
}
