// For the CLI's end-to-end tests: runs `hush` as a real child process with its own config dir, a
// real `hush serve` per test file, and a stand-in "homeserver" that only counts requests.

import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { client, startHush, type ClientSession, type HushProcess } from '../../../tests/support/server.ts';
import { steps } from '../../../tests/e2e/support/steps.ts';

const HUSH_BIN = fileURLToPath(new URL('../bin/hush.mjs', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as one JSON document, or undefined when it is not one. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export interface CliOptions {
  /** HUSH_CONFIG_DIR (default: a fresh empty temp dir, i.e. not logged in). */
  configDir?: string;
  stdin?: string;
  env?: Record<string, string>;
  /** Close the reading end of stdout at once, as `| head -0` would: the command's writes fail with EPIPE. */
  closeStdout?: boolean;
}

export const tempConfigDir = (): string => mkdtempSync(join(tmpdir(), 'hush-cli-'));

/** `hush ARGS…` as a child process; the caller's HUSH_* variables are not passed on. */
export function hushCli(args: string[], opts: CliOptions = {}): Promise<CliRun> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HUSH_') && k !== 'XDG_CONFIG_HOME'));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HUSH_BIN, ...args], {
      env: { ...env, HUSH_CONFIG_DIR: opts.configDir ?? tempConfigDir(), ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    if (opts.closeStdout) child.stdout.destroy();
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code, stdout, stderr, json });
    });
    child.stdin.end(opts.stdin ?? '');
  });
}

/** A local HTTP server that answers every request with a 500 and counts them. */
export async function countingServer(): Promise<{ url: string; count: () => number; close: () => Promise<void> }> {
  let n = 0;
  const server: Server = createServer((_req, res) => {
    n++;
    res.writeHead(500, { 'content-type': 'application/json' }).end('{"errcode":"M_UNKNOWN","error":"counting server"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, count: () => n, close: () => new Promise((r) => server.close(() => r())) };
}

/** A loopback URL nothing listens on (a port that was just free). */
export async function closedUrl(): Promise<string> {
  const s = await countingServer();
  await s.close();
  return s.url;
}

/** `hush login --password-stdin` into a fresh config dir, which is returned; throws if it fails. */
export async function cliLogin(homeserver: string, user: string, password = 'correct horse'): Promise<string> {
  const dir = tempConfigDir();
  const r = await hushCli(['login', '--homeserver', homeserver, '--user', user, '--password-stdin'], { configDir: dir, stdin: `${password}\n` });
  if (r.code !== 0) throw new Error(`hush login ${user}: exit ${r.code}: ${r.stderr}`);
  return dir;
}

/** One `hush serve` for a test file (started before its tests, stopped after), the e2e steps over
 *  it, and users registered there with a `hush login` session each. */
export function hushForTests() {
  const fx = {} as { hush: HushProcess; w: ReturnType<typeof steps> };
  before(async () => {
    fx.hush = await startHush();
    fx.w = steps(client(fx.hush.baseUrl));
  });
  after(() => fx.hush?.stop());
  return {
    get baseUrl(): string {
      return fx.hush.baseUrl;
    },
    get w(): ReturnType<typeof steps> {
      return fx.w;
    },
    loggedIn: async (name: string): Promise<{ s: ClientSession; dir: string }> => ({ s: await fx.w.user(name), dir: await cliLogin(fx.hush.baseUrl, name) }),
  };
}
