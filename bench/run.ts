// `npm run bench -- [--target URL[,URL…]] [--target2 URL[,URL…]] [--quick] [--only NAMES]`
// A black-box benchmark over the Matrix client-server API only: it measures any homeserver whose
// registration is open (m.login.dummy) and whose rate limits are off. Without --target it starts
// its own `hush serve` (SQLite in a temp dir, --rate-limits off). A comma list (or --target-alt)
// names several processes of one homeserver sharing a database: senders go to the first, waiting
// /sync requests to the last. With --target2 every scenario also runs there and the table shows
// the ratio target / target2. With its own server it also times start-up (bench/startup.ts: `hush
// serve` to the first /versions, `hush --help`). Prints a table; writes bench/results/<iso-time>.json.

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startOwnHush, type OwnServer } from './own-server.ts';
import { measureStartup } from './startup.ts';
import { BenchClient, pool, round, type Json } from './http.ts';
import { createRoom, registerUsers, sendText, sync, type Figure, type Scenario, type Target } from './target.ts';
import { idleSync } from './scenarios/idle-sync.ts';
import { sendWake } from './scenarios/send-wake.ts';
import { ignoreWake } from './scenarios/ignore-wake.ts';
import { initialSync } from './scenarios/initial-sync.ts';
import { messagesIgnored } from './scenarios/messages-ignored.ts';
import { loginLoad } from './scenarios/login-load.ts';

const SCENARIOS: [string, Scenario][] = [
  ['idle-sync', idleSync],
  ['send-wake', sendWake],
  ['ignore-wake', ignoreWake],
  ['initial-sync', initialSync],
  ['messages-ignored', messagesIgnored],
  ['login-load', loginLoad],
];

/** Not a scenario over a running server: it starts `hush` itself (only without --target). */
const STARTUP = 'startup';

const USAGE = `usage: npm run bench -- [--target URL[,URL…]] [--target-alt URL] [--target2 URL[,URL…]] [--target2-alt URL] [--target-pids PID[,PID…]] [--quick] [--only ${[...SCENARIOS.map(([n]) => n), STARTUP].join(',')}]`;

function parseArgs(argv: string[]) {
  const out = { targets: [[], []] as string[][], pids: [] as number[], quick: false, only: undefined as string[] | undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value\n${USAGE}`);
      return v.split(',').map((u) => u.trim().replace(/\/+$/, '')).filter((u) => u !== '');
    };
    if (a === '--quick') out.quick = true;
    else if (a === '--target' || a === '--target-alt') out.targets[0]!.push(...value());
    else if (a === '--target2' || a === '--target2-alt') out.targets[1]!.push(...value());
    else if (a === '--only') out.only = value();
    else if (a === '--target-pids') out.pids = value().map(Number);
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  if (out.targets[0]!.length === 0 && out.targets[1]!.length > 0) throw new Error(`--target2 needs --target\n${USAGE}`);
  if (out.pids.some((p) => !Number.isInteger(p) || p <= 0)) throw new Error(`--target-pids takes process ids\n${USAGE}`);
  for (const u of out.targets.flat()) new URL(u); // throws on a bad URL before anything is sent
  for (const n of out.only ?? []) if (n !== STARTUP && !SCENARIOS.some(([name]) => name === n)) throw new Error(`unknown scenario ${n}\n${USAGE}`);
  return out;
}

interface TargetReport {
  label: string;
  urls: string[];
  started_by_bench: boolean;
  server_pids: number[];
  versions: Json;
  server_header: (string | null)[];
  figures: Record<string, number>;
  notes: string[];
  errors: string[];
  seconds: number;
  scenario_seconds: Record<string, number>;
  /** 1-minute load average before and after: other work on the machine skews every figure. */
  load_average: [number, number];
  generator_cpu_cores: number;
}

/** V8 needs some thousands of requests before a Node server runs at its steady speed. */
async function warmUp(t: Target): Promise<string> {
  const [u] = await registerUsers(t, 'warm', 1);
  const room = await createRoom(t.main, u!);
  const sends = t.quick ? 600 : 4_000;
  await pool(sends, 10, (i) => sendText(t.all[i % t.all.length]!, u!, room, `warm ${i}`));
  let since: string | undefined;
  for (let i = 0; i < sends / 4; i++) since = String((await sync(t.all[i % t.all.length]!, u!, since, 0)).next_batch);
  return `${sends} sends on 10 connections and ${sends / 4} incremental syncs`;
}

async function runTarget(label: string, urls: string[], pids: number[], startedByBench: boolean, quick: boolean, only: string[] | undefined): Promise<TargetReport> {
  const all = urls.map((u) => new BenchClient(u, 40));
  const t: Target = {
    label,
    urls,
    main: all[0]!,
    waiters: all[all.length - 1]!,
    all,
    quick,
    prefix: `b${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 3).toString(36)}`,
    pids,
  };
  const report: TargetReport = { label, urls, started_by_bench: startedByBench, server_pids: pids, versions: null, server_header: [], figures: {}, notes: [], errors: [], seconds: 0, scenario_seconds: {}, load_average: [round(loadavg()[0]!), NaN], generator_cpu_cores: NaN };
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  try {
    for (const c of all) {
      const r = await c.okRes('GET', '/_matrix/client/versions');
      report.versions ??= r.json;
      const h = r.headers['server'];
      report.server_header.push(h === undefined ? null : String(h));
    }
    report.notes.push(`warm-up: ${await warmUp(t)}`);
    for (const [name, scenario] of SCENARIOS) {
      if (only && !only.includes(name)) continue;
      const s0 = performance.now();
      process.stderr.write(`[${label}] ${name} …`);
      try {
        const r = await scenario(t);
        for (const f of r.figures) {
          report.figures[f.key] = f.value;
          labels.set(f.key, f);
        }
        report.notes.push(...r.notes.map((n) => `${name}: ${n}`));
        report.scenario_seconds[name] = round((performance.now() - s0) / 1000);
        process.stderr.write(` ${report.scenario_seconds[name]!.toFixed(1)} s\n`);
      } catch (e) {
        report.errors.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
        process.stderr.write(` failed: ${e instanceof Error ? e.message : String(e)}\n`);
      }
    }
  } finally {
    for (const c of all) c.close();
    const cpu = process.cpuUsage(cpu0);
    report.seconds = round((performance.now() - t0) / 1000);
    report.load_average[1] = round(loadavg()[0]!);
    report.generator_cpu_cores = round((cpu.user + cpu.system) / 1e6 / report.seconds);
  }
  return report;
}

const labels = new Map<string, Figure>();

/** Start-up of our own `hush` (medians of 10 runs, 5 with --quick), into the report of target A. */
async function runStartup(report: TargetReport, quick: boolean): Promise<void> {
  process.stderr.write(`[${report.label}] ${STARTUP} …`);
  const t0 = performance.now();
  try {
    const s = await measureStartup({ runs: quick ? 5 : 10 });
    const figures: Figure[] = [
      { key: 'startup_serve_ms', label: 'hush serve → first 200 /versions, existing SQLite (median)', value: round(s.serve[0] * 1000), unit: 'ms' },
      { key: 'startup_serve_cpu_ms', label: 'hush serve → first 200 /versions: server CPU (median)', value: round(s.serve_cpu * 1000), unit: 'ms' },
      { key: 'startup_help_ms', label: 'hush --help, spawn → exit (median)', value: round(s.help[0] * 1000), unit: 'ms' },
      { key: 'startup_check_ms', label: "the bin's is-the-bundle-stale check (median)", value: s.check_ms, unit: 'ms' },
    ];
    for (const f of figures) {
      report.figures[f.key] = f.value;
      labels.set(f.key, f);
    }
    const ms = (x: number) => Math.round(x * 1000);
    report.notes.push(`${STARTUP}: ${s.runs} runs; serve min ${ms(s.serve[1])} / max ${ms(s.serve[2])} ms, --help min ${ms(s.help[1])} / max ${ms(s.help[2])} ms; load average ${s.load_average.join(' → ')}`);
    report.scenario_seconds[STARTUP] = round((performance.now() - t0) / 1000);
    process.stderr.write(` ${report.scenario_seconds[STARTUP]!.toFixed(1)} s\n`);
  } catch (e) {
    report.errors.push(`${STARTUP}: ${e instanceof Error ? e.message : String(e)}`);
    process.stderr.write(` failed: ${e instanceof Error ? e.message : String(e)}\n`);
  }
}

function fmt(v: number | undefined, unit?: string): string {
  if (v === undefined || Number.isNaN(v)) return '—';
  const n = unit === 'bytes' || unit === 'events' || unit === 'events/s' ? Math.round(v).toLocaleString('en') : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  return unit === 'x' ? `${n}×` : unit === 'events/s' || unit === 'bytes' || unit === 'cores' ? `${n} ${unit}` : unit === 'ms' ? `${n} ms` : n;
}

function printTable(reports: TargetReport[]): Record<string, number> {
  const ratios: Record<string, number> = {};
  const keys = [...new Set(reports.flatMap((r) => Object.keys(r.figures)))];
  const header = ['figure', ...reports.map((r) => `${r.label}: ${r.urls.join(', ')}`)];
  if (reports.length === 2) header.push(`${reports[0]!.label}/${reports[1]!.label}`);
  const rows = keys.map((k) => {
    const f = labels.get(k);
    const row = [f?.label ?? k, ...reports.map((r) => fmt(r.figures[k], f?.unit))];
    if (reports.length === 2) {
      const ratio = round(reports[0]!.figures[k]! / reports[1]!.figures[k]!);
      if (Number.isFinite(ratio)) ratios[k] = ratio;
      row.push(Number.isFinite(ratio) ? `${ratio.toFixed(2)}` : '—');
    }
    return row;
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  for (const r of reports) {
    console.log(`\n${r.label}: ${r.urls.join(', ')} — Server header: ${r.server_header.map((h) => h ?? '(none)').join(', ')}; ${r.seconds.toFixed(0)} s; generator CPU over the run ${r.generator_cpu_cores.toFixed(2)} cores; load average ${r.load_average.join(' → ')}`);
    for (const n of r.notes) console.log(`  ${n}`);
    for (const e of r.errors) console.log(`  ERROR ${e}`);
  }
  return ratios;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  let own: OwnServer | undefined;
  const reports: TargetReport[] = [];
  try {
    let urls = args.targets[0]!;
    let pids = args.pids;
    if (urls.length === 0) {
      process.stderr.write('starting hush serve (SQLite in a temp dir, --rate-limits off) …\n');
      own = await startOwnHush();
      urls = [own.url];
      pids = [own.pid];
    }
    reports.push(await runTarget('A', urls, pids, own !== undefined, args.quick, args.only));
    if (args.targets[1]!.length > 0) reports.push(await runTarget('B', args.targets[1]!, [], false, args.quick, args.only));
  } finally {
    await own?.stop();
  }
  // After the scenarios and with our server stopped, so that nothing else of ours shares the cores.
  if (own && (!args.only || args.only.includes(STARTUP))) await runStartup(reports[0]!, args.quick);
  const ratios = printTable(reports);
  const cpu = cpus();
  const results = {
    when: new Date().toISOString(),
    quick: args.quick,
    machine: { cpu_model: cpu[0]?.model ?? 'unknown', cores: cpu.length, memory_gib: round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform} ${process.arch}` },
    figure_labels: Object.fromEntries([...labels].map(([k, f]) => [k, { label: f.label, unit: f.unit }])),
    targets: reports,
    ...(reports.length === 2 ? { ratios_target_over_target2: ratios } : {}),
  };
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = `${dir}${results.when.replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nmachine: ${results.machine.cpu_model}, ${results.machine.cores} cores, Node ${results.machine.node}`);
  console.log(`written: ${file}`);
  if (reports.some((r) => r.errors.length > 0)) process.exitCode = 1;
}

await main();
