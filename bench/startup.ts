// Start-up figures of the real `hush` binary: `hush serve` from spawn to the first 200 from
// GET /_matrix/client/versions on an existing (already migrated) SQLite database, and `hush --help`
// from spawn to exit. Medians of --runs runs (default 10) with min/max and the load average; and
// what the bin's is-the-bundle-stale check costs at every start.
// Run alone: node --import tsx bench/startup.ts [--runs N] [--bin path/to/hush.mjs] [--json]
// `npm run bench` runs it too (measureStartup) and puts its figures in the table.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { isStale } from '../scripts/build-cli.mjs';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
export const DEFAULT_BIN = join(REPO_ROOT, 'packages/cli/bin/hush.mjs');

export interface StartupFigures {
  runs: number;
  /** spawn → first 200 from /versions, seconds: median, min, max. */
  serve: [number, number, number];
  /** CPU (user + system) the server used until that first 200, seconds, median. */
  serve_cpu: number;
  /** spawn → exit of `hush --help`, seconds: median, min, max. */
  help: [number, number, number];
  /** The bin's staleness check (stat of every source), milliseconds: median of 50. */
  check_ms: number;
  load_average: [number, number];
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
function stats(xs: number[]): [number, number, number] {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return [round3(median), round3(s[0]!), round3(s[s.length - 1]!)];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** One GET /versions without keep-alive: the status, or 0 when nothing answers yet. */
function versions(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/_matrix/client/versions', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
  });
}

/** utime + stime of a live process from /proc (Linux), seconds; NaN elsewhere. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks; 100 per second on Linux
  } catch {
    return NaN;
  }
}

/** Spawns `hush serve` on `database` and polls /versions every 5 ms until it answers 200. */
async function serveOnce(bin: string, database: string): Promise<{ seconds: number; cpu: number }> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, [bin, 'serve', '--port', String(port), '--database', database, '--rate-limits', 'off', '--server-name', 'localhost', '--log-level', 'warn'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`hush serve exited with code ${child.exitCode}:\n${stderr}`);
      if (performance.now() - t0 > 60_000) throw new Error(`hush serve did not answer within 60 s:\n${stderr}`);
      if ((await versions(port)) === 200) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, cpu: cpuSeconds(child.pid ?? -1) };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

function helpOnce(bin: string): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, '--help'], { cwd: REPO_ROOT, encoding: 'utf8' });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0 || !r.stdout.includes('Usage: hush')) throw new Error(`hush --help failed (${r.status}): ${r.stderr}`);
  return seconds;
}

export async function measureStartup(opts: { runs?: number; bin?: string } = {}): Promise<StartupFigures> {
  const runs = opts.runs ?? 10;
  const bin = opts.bin ?? DEFAULT_BIN;
  const load0 = loadavg()[0]!;
  const dir = mkdtempSync(join(tmpdir(), 'hush-startup-'));
  try {
    const database = join(dir, 'hush.sqlite');
    // The first start creates and migrates the database (and builds the bundle when stale): not timed.
    await serveOnce(bin, database);
    helpOnce(bin);
    const serve: number[] = [];
    const cpu: number[] = [];
    const help: number[] = [];
    for (let i = 0; i < runs; i++) {
      const s = await serveOnce(bin, database);
      serve.push(s.seconds);
      cpu.push(s.cpu);
      help.push(helpOnce(bin));
    }
    const checks: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      isStale();
      checks.push(performance.now() - t0);
    }
    return { runs, serve: stats(serve), serve_cpu: stats(cpu)[0], help: stats(help), check_ms: stats(checks)[0], load_average: [round3(load0), round3(loadavg()[0]!)] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argv = process.argv.slice(2);
  const opt = (name: string) => {
    const i = argv.indexOf(name);
    return i === -1 ? undefined : argv[i + 1];
  };
  const f = await measureStartup({ runs: Number(opt('--runs') ?? 10), bin: opt('--bin') ?? DEFAULT_BIN });
  if (argv.includes('--json')) console.log(JSON.stringify(f));
  else {
    const s = (x: [number, number, number]) => `${x[0].toFixed(3)} s (min ${x[1].toFixed(3)}, max ${x[2].toFixed(3)})`;
    console.log(`hush serve → first 200 /versions, existing SQLite: ${s(f.serve)}; server CPU ${f.serve_cpu.toFixed(2)} s`);
    console.log(`hush --help: ${s(f.help)}`);
    console.log(`staleness check at each start: ${f.check_ms.toFixed(2)} ms`);
    console.log(`${f.runs} runs each; load average ${f.load_average.join(' → ')}`);
  }
}
