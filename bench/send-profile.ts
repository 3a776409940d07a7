// `node --import tsx bench/send-profile.ts [--sends N] [--concurrency C] [--members M] [--profile FILE.cpuprofile]`
// In-process cost of `PUT /rooms/{id}/send` (issue 19 item 1): one homeserver on a SQLite file in a
// temp dir (config → services → buildApp, driven with Fastify's inject: no sockets), one room of M
// members, N sends with C in flight. Reports the process CPU per send (`process.cpuUsage`), the SQL
// statements per send (counted at better-sqlite3's statement methods, `begin`/`commit` included)
// and the transactions per send; with --profile, a CPU profile of the measured sends only.

import { performance } from 'node:perf_hooks';
import { writeFileSync } from 'node:fs';
import { Session as Inspector } from 'node:inspector/promises';
import SqliteDatabase from 'better-sqlite3';
import { inProcessRoom } from './support/in-process-room.ts';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const SENDS = arg('sends', 3000);
const CONCURRENCY = arg('concurrency', 1);
const MEMBERS = arg('members', 10);
const PROFILE = process.argv.includes('--profile') ? process.argv[process.argv.indexOf('--profile') + 1] : undefined;

// Count statements: every better-sqlite3 statement runs through one of these prototype methods.
const counts = { statements: 0, begins: 0 };
const byText = new Map<string, { n: number; ns: bigint }>();
const probe = new SqliteDatabase(':memory:');
const proto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, (...a: unknown[]) => unknown>;
probe.close();
for (const m of ['run', 'all', 'get', 'iterate'] as const) {
  const orig = proto[m]!;
  proto[m] = function (this: { source: string }, ...a: unknown[]) {
    counts.statements++;
    if (/^\s*begin/i.test(this.source)) counts.begins++;
    const t0 = process.hrtime.bigint();
    try {
      return orig.apply(this, a);
    } finally {
      const s = byText.get(this.source) ?? { n: 0, ns: 0n };
      s.n++;
      s.ns += process.hrtime.bigint() - t0;
      byText.set(this.source, s);
    }
  };
}

const { users, roomId, inject, close } = await inProcessRoom(MEMBERS, 'hush-send-profile');
try {
  let phase = 0;
  const path = (n: number) => `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/p${phase}.${n}`;
  let n = 0;
  const run = async (count: number) => {
    const worker = async () => {
      while (n < count) {
        const i = n++;
        await inject('PUT', path(i), users[i % users.length]!.token, { msgtype: 'm.text', body: `message ${i}` });
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  };
  await run(Math.min(300, SENDS)); // warm-up: JIT, statement caches
  const warm = n;
  n = 0;
  phase = 1;
  const inspector = PROFILE ? new Inspector() : undefined;
  if (inspector) {
    inspector.connect();
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.start');
  }
  byText.clear();
  const before = { cpu: process.cpuUsage(), at: performance.now(), ...counts };
  await run(SENDS);
  if (inspector && PROFILE) writeFileSync(PROFILE, JSON.stringify((await inspector.post('Profiler.stop')).profile));
  const cpu = process.cpuUsage(before.cpu);
  const wall = performance.now() - before.at;
  const per = (x: number) => x / SENDS;
  console.log(
    JSON.stringify({
      sends: SENDS,
      warmup: warm,
      concurrency: CONCURRENCY,
      members: MEMBERS,
      cpuMsPerSend: +per((cpu.user + cpu.system) / 1000).toFixed(3),
      wallMsPerSend: +per(wall).toFixed(3),
      sendsPerSecond: Math.round((SENDS / wall) * 1000),
      statementsPerSend: +per(counts.statements - before.statements).toFixed(2),
      transactionsPerSend: +per(counts.begins - before.begins).toFixed(3),
    }),
  );
  // Per statement text: runs per send and µs per send (the time inside SQLite, wall clock).
  for (const [text, s] of [...byText].sort((a, b) => Number(b[1].ns - a[1].ns)).slice(0, 25)) {
    console.log(`${per(s.n).toFixed(2).padStart(6)}× ${(Number(s.ns) / 1000 / SENDS).toFixed(1).padStart(7)} µs  ${text.replace(/\s+/g, ' ').slice(0, 150)}`);
  }
} finally {
  await close();
}
