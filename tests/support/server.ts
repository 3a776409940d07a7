// End-to-end support: a real `hush serve` process on a random port (SQLite in a temp dir by
// default), stopped with SIGTERM; and a tiny fetch-based client for black-box tests.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuilt } from '../../scripts/build-cli.mjs';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The `hush` bin: it runs the compiled bundle, rebuilt first when a source changed (decision 0013). */
export const HUSH_BIN = join(REPO_ROOT, 'packages/cli/bin/hush.mjs');

const START_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;

export interface StartOptions {
  /** Extra `hush serve` arguments. A flag given here replaces the default for that flag. */
  args?: string[];
  /** A SQLite path or postgres:// URL (default: `hush.sqlite` in a fresh temp dir). */
  database?: string;
  env?: Record<string, string>;
  /**
   * false: pass only `--port 0` (unless `args` has a `--port`) and `args` — no default database,
   * server name or rate limits — so a `--config` file can supply them.
   */
  defaults?: boolean;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface HushProcess {
  /** The URL from the `listening` log line, e.g. `http://127.0.0.1:PORT`. */
  url: string;
  /** Where clients send requests (the same origin as `url`, no trailing slash). */
  baseUrl: string;
  /** The temp dir holding the default database; removed by stop(). */
  dir: string;
  pid: number;
  /** SIGTERM, then SIGKILL after 5 s; resolves with how the process ended. Idempotent. */
  stop(): Promise<ExitInfo>;
  /** Everything the process wrote to stdout so far (pino JSON lines). */
  logs(): string;
  stderr(): string;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function flagName(arg: string): string | undefined {
  return arg.startsWith('--') ? arg.split('=')[0] : undefined;
}

export async function startHush(opts: StartOptions = {}): Promise<HushProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'hush-e2e-'));
  const args = opts.args ?? [];
  const given = new Set(args.map(flagName).filter((f): f is string => f !== undefined));
  const defaults: [string, string][] =
    opts.defaults === false
      ? [['--port', '0'], ...(opts.database !== undefined ? ([['--database', opts.database]] as [string, string][]) : [])]
      : [
          ['--port', '0'],
          ['--database', opts.database ?? join(dir, 'hush.sqlite')],
          ['--rate-limits', 'off'],
          ['--server-name', 'localhost'],
        ];
  const argv = [HUSH_BIN, 'serve', ...defaults.filter(([f]) => !given.has(f)).flat(), ...args];
  // The bin would rebuild a stale bundle itself; building here keeps that out of the start-up
  // timeout, and servers started together do not each build it.
  await ensureBuilt();

  const child = spawn(process.execPath, argv, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (err += chunk));

  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });

  const cleanup = () => rmSync(dir, { recursive: true, force: true });

  let url: string;
  try {
    url = await new Promise<string>((resolve, reject) => {
      let scanned = 0;
      const timer = setTimeout(() => {
        reject(new Error(`hush serve did not log "listening" within ${START_TIMEOUT_MS} ms\nargs: ${argv.slice(1).join(' ')}\nstderr:\n${err}\nstdout:\n${out}`));
      }, START_TIMEOUT_MS);
      let listening = false;
      child.stdout.on('data', (chunk: string) => {
        out += chunk;
        // Once listening, only keep the output: scanning a growing string on every chunk is
        // quadratic, and a benchmark writes tens of thousands of lines.
        if (listening) return;
        let nl: number;
        while ((nl = out.indexOf('\n', scanned)) !== -1) {
          const line = out.slice(scanned, nl);
          scanned = nl + 1;
          try {
            const rec = JSON.parse(line) as { msg?: unknown; url?: unknown };
            if (rec.msg === 'listening' && typeof rec.url === 'string') {
              listening = true;
              clearTimeout(timer);
              resolve(rec.url);
              return;
            }
          } catch {
            // not a JSON line: keep scanning
          }
        }
      });
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`hush serve exited (code ${code}, signal ${signal}) before listening\nargs: ${argv.slice(1).join(' ')}\nstderr:\n${err}\nstdout:\n${out}`));
      });
    });
  } catch (e) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    cleanup();
    throw e;
  }

  let stopping: Promise<ExitInfo> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      const info = await exited;
      clearTimeout(timer);
      cleanup();
      return info;
    })());

  const baseUrl = url.replace(/\/+$/, '');
  return { url, baseUrl, dir, pid: child.pid ?? -1, stop, logs: () => out, stderr: () => err };
}

// ---------------------------------------------------------------------------------------------
// A tiny client over global fetch: no typed descriptors, just enough for black-box tests.

export interface HttpResult {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
  text: string;
  headers: Headers;
}

export interface ClientSession {
  userId: string;
  token: string;
  deviceId: string;
}

export interface RequestOptions {
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
}

export function client(baseUrl: string) {
  const base = baseUrl.replace(/\/+$/, '');

  async function request(method: string, path: string, opts: RequestOptions = {}): Promise<HttpResult> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.body !== undefined) headers['content-type'] ??= 'application/json';
    if (opts.token !== undefined) headers['authorization'] = `Bearer ${opts.token}`;
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text, headers: res.headers };
  }

  const fail = (what: string, r: HttpResult): never => {
    throw new Error(`${what}: ${r.status} ${r.text}`);
  };

  /** Two-step registration: the UIA challenge, then m.login.dummy with its session. */
  async function register(localpart: string, password = 'correct horse'): Promise<ClientSession> {
    const body = { username: localpart, password };
    const first = await request('POST', '/_matrix/client/v3/register', { body });
    if (first.status !== 401 || typeof first.json?.session !== 'string') fail(`register ${localpart} (challenge)`, first);
    const r = await request('POST', '/_matrix/client/v3/register', {
      body: { ...body, auth: { type: 'm.login.dummy', session: first.json.session } },
    });
    if (r.status !== 200) fail(`register ${localpart}`, r);
    return { userId: r.json.user_id, token: r.json.access_token, deviceId: r.json.device_id };
  }

  async function login(user: string, password = 'correct horse'): Promise<ClientSession> {
    const r = await request('POST', '/_matrix/client/v3/login', {
      body: { type: 'm.login.password', identifier: { type: 'm.id.user', user }, password },
    });
    if (r.status !== 200) fail(`login ${user}`, r);
    return { userId: r.json.user_id, token: r.json.access_token, deviceId: r.json.device_id };
  }

  return { baseUrl: base, request, register, login };
}
