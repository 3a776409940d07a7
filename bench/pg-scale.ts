// `node --import tsx bench/pg-scale.ts [--processes 1,2,4] [--quick]`
// Issue 19 item 2's curve: send throughput against the number of `hush serve` processes sharing one
// PostgreSQL database, next to one process on SQLite; then item 3's figure, the initial /sync of a
// user in 500 rooms on PostgreSQL against SQLite (`bench/run.ts --only initial-sync` with the two
// servers as --target and --target2, side by side). Starts a throw-away PostgreSQL 15 cluster
// (scripts/pg-cluster.mjs: durability off, so the figure is CPU and locking, not the disk), then per
// row a fresh database, N servers (the compiled bin, rate limits off, --log-level warn) and
// `bench/run.ts --only send-wake` against all N with their pids (so the table has every process's
// CPU). Prints one JSON line per row; the full reports stay in bench/results/.

import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startBenchCluster } from './support/pg-cluster.ts';
import { startOwnHush, type OwnServer } from './own-server.ts';

function option(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? process.argv[i + 1] : undefined) ?? dflt;
}
const PROCESSES = option('processes', '1,2,4').split(',').map(Number);
const QUICK = process.argv.includes('--quick');
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const RUN = fileURLToPath(new URL('./run.ts', import.meta.url));

interface Report {
  targets: { figures: Record<string, number>; generator_cpu_cores: number; load_average: [number, number]; errors: string[] }[];
}

function runBench(servers: OwnServer[], scenario = 'send-wake', second?: OwnServer): Report {
  const before = new Set(readdirSync(RESULTS, { withFileTypes: false }).map(String));
  const args = ['--import', 'tsx', RUN, '--only', scenario, '--target', servers.map((s) => s.url).join(','), '--target-pids', servers.map((s) => s.pid).join(',')];
  if (second) args.push('--target2', second.url);
  const r = spawnSync(process.execPath, [...args, ...(QUICK ? ['--quick'] : [])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`bench/run.ts failed (${r.status}):\n${r.stdout}`);
  const file = readdirSync(RESULTS).map(String).filter((f) => !before.has(f) && f.endsWith('.json')).sort().at(-1);
  if (!file) throw new Error('bench/run.ts wrote no results file');
  return JSON.parse(readFileSync(RESULTS + file, 'utf8')) as Report;
}

function row(setup: string, processes: number, report: Report): void {
  const t = report.targets[0]!;
  if (t.errors.length > 0) throw new Error(`${setup}: ${t.errors.join('; ')}`);
  const f = t.figures;
  console.log(
    JSON.stringify({
      setup,
      processes,
      sendsPerSecond: f['send_throughput_events_per_s'],
      serverCpuMsPerSend: f['send_throughput_server_cpu_ms_per_send'],
      wakeP50Ms: f['send_wake_p50_ms'],
      sendAloneP50Ms: f['send_alone_p50_ms'],
      wrkOneRoom: { c10PerS: f['send_throughput_one_room_wrk_events_per_s'], c10CpuMs: f['send_throughput_one_room_wrk_server_cpu_ms_per_send'], c1PerS: f['send_throughput_one_room_wrk_c1_events_per_s'], c1CpuMs: f['send_throughput_one_room_wrk_c1_server_cpu_ms_per_send'] },
      cpuCores: { generator: f['send_throughput_generator_cpu_cores'], hush: f['send_throughput_server_cpu_cores'], machine: f['send_throughput_machine_cpu_cores'] },
      load1: t.load_average,
    }),
  );
}

const sqlite = await startOwnHush();
try {
  row('sqlite', 1, runBench([sqlite]));
} finally {
  await sqlite.stop();
}

const cluster = await startBenchCluster();
const freshDatabase = (name: string) => cluster.freshDatabase(name);

try {
  for (const n of PROCESSES) {
    const database = await freshDatabase(`scale_${n}_${Date.now().toString(36)}`);
    // One at a time: the first one migrates the fresh database.
    const servers: OwnServer[] = [];
    try {
      for (let i = 0; i < n; i++) servers.push(await startOwnHush({ database }));
      row('postgresql', n, runBench(servers));
    } finally {
      for (const s of servers) await s.stop();
    }
  }
  // Initial /sync of 500 rooms: SQLite as target A, PostgreSQL (one process) as B.
  const database = await freshDatabase(`initial_${Date.now().toString(36)}`);
  const lite = await startOwnHush();
  const post = await startOwnHush({ database }).catch(async (e: unknown) => {
    await lite.stop();
    throw e;
  });
  try {
    const r = runBench([lite], 'initial-sync', post);
    const [a, b] = [r.targets[0]!.figures['initial_sync_500_rooms_p50_ms']!, r.targets[1]!.figures['initial_sync_500_rooms_p50_ms']!];
    console.log(JSON.stringify({ setup: 'initial /sync of 500 rooms, p50 ms', sqlite: a, postgresql: b, ratio: Math.round((b / a) * 100) / 100, load1: r.targets[1]!.load_average }));
  } finally {
    await lite.stop();
    await post.stop();
  }
} finally {
  cluster.stop();
  console.error(`load average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}
