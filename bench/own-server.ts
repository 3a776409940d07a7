// The server `npm run bench` starts when no --target is given: `hush serve` on SQLite in a temp
// dir, rate limits off, registration open, logging only warnings (a log line per request would
// cost the server, and this process reading it, a share of the cores being measured).

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchClient, sleep } from './http.ts';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

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

export interface OwnServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** With `database` (a SQLite file or postgres:// URL, e.g. the scale data set of bench/generate.ts)
 *  it serves that database and leaves it in place when stopped; else a fresh one in a temp dir.
 *  `nodeArgs` go to the server's node (e.g. `--cpu-prof`). */
export async function startOwnHush(opts: { database?: string; nodeArgs?: readonly string[] } = {}): Promise<OwnServer> {
  const dir = mkdtempSync(join(tmpdir(), 'hush-bench-'));
  const port = await freePort();
  const args = ['serve', '--port', String(port), '--database', opts.database ?? join(dir, 'hush.sqlite'), '--rate-limits', 'off', '--registration', 'open', '--server-name', 'localhost', '--log-level', 'warn'];
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), join(REPO_ROOT, 'packages/cli/bin/hush.mjs'), ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => (stderr = (stderr + s).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  const probe = new BenchClient(url, 1);
  try {
    for (let waited = 0; ; waited += 100) {
      if (child.exitCode !== null) throw new Error(`hush serve exited with code ${child.exitCode}:\n${stderr}`);
      if (waited > 30_000) throw new Error(`hush serve did not answer within 30 s:\n${stderr}`);
      const up = await probe.request('GET', '/_matrix/client/versions').then((r) => r.status === 200, () => false);
      if (up) break;
      await sleep(100);
    }
  } catch (e) {
    await stop();
    throw e;
  } finally {
    probe.close();
  }
  return { url, pid: child.pid ?? -1, stop };
}
