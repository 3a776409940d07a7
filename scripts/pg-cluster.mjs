// A throw-away PostgreSQL cluster for the test run: initdb in a temp dir, pg_ctl start on a free
// port (as the `postgres` user when we are root: initdb refuses root), stop and remove afterwards.

import { execFileSync } from 'node:child_process';
import { accessSync, chmodSync, chownSync, constants, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const isRoot = process.getuid?.() === 0;

function has(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v "$1"`, 'sh', cmd], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function checkTools() {
  const missing = ['initdb', 'pg_ctl', 'postgres'].filter((c) => !has(c));
  if (missing.length > 0) {
    throw new Error(
      `PostgreSQL binaries not on the PATH: ${missing.join(', ')}. Install them (Debian: apt-get install -y postgresql-15) ` +
        'and put /usr/lib/postgresql/15/bin on the PATH.',
    );
  }
  if (!isRoot) return undefined;
  if (!has('runuser')) throw new Error('running as root needs `runuser` (util-linux) to start PostgreSQL as the postgres user');
  try {
    const id = (flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error('running as root needs a `postgres` system user (initdb refuses root): install postgresql-15 or `useradd -r postgres`');
  }
}

/** Runs a PostgreSQL tool, as the postgres user when we are root; returns stdout. */
function run(cmd, args, timeoutMs = 60_000) {
  const [file, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  return execFileSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A private directory the postgres user can use, short enough for the socket path (< 108 bytes). */
function makeDir(owner) {
  const bases = [...new Set([tmpdir(), '/tmp'])];
  for (const base of bases) {
    if (!existsSync(base)) continue;
    const dir = mkdtempSync(join(base, 'hush-pg-'));
    chmodSync(dir, 0o700);
    if (owner) chownSync(dir, owner.uid, owner.gid);
    let usable = dir.length < 80;
    if (usable && owner) {
      try {
        run('test', ['-w', dir, '-a', '-x', dir]);
      } catch {
        usable = false; // a parent directory is closed to the postgres user (e.g. TMPDIR under /root)
      }
    } else if (usable) {
      accessSync(dir, constants.W_OK);
    }
    if (usable) return dir;
    rmSync(dir, { recursive: true, force: true });
  }
  throw new Error(`no temporary directory usable by ${owner ? 'the postgres user' : 'us'} (tried ${bases.join(', ')})`);
}

function errText(err) {
  return String(err?.stderr || err?.message || err).trim();
}

function logTail(file) {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-15).join('\n');
  } catch {
    return '(no server log)';
  }
}

/**
 * Starts a fresh cluster: trust auth, user `postgres`, durability off (fsync, synchronous_commit,
 * full_page_writes), 300 connections, TCP on 127.0.0.1 only. `stop()` is synchronous and
 * idempotent, so it may run from exit and signal handlers.
 * @returns {Promise<{ url: string, port: number, dir: string, stop(): void }>}
 */
export async function startCluster() {
  const owner = checkTools();
  const dir = makeDir(owner);
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const stopServer = (mode) => {
    try {
      run('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '30', 'stop'], 40_000);
      return true;
    } catch {
      return false;
    }
  };
  try {
    run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${errText(err)}`);
  }
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`;
    try {
      run('pg_ctl', ['-D', data, '-o', opts, '-l', log, '-w', '-t', '60', 'start'], 70_000);
      break;
    } catch (err) {
      const detail = `${errText(err)}\n${logTail(log)}`;
      stopServer('immediate'); // a postmaster that came up too slowly must not outlive us
      // Another process may have taken the port between freePort() and the bind: try another.
      if (attempt < 3 && /could not bind|address already in use/i.test(detail)) continue;
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`PostgreSQL did not start (pg_ctl start, port ${port}):\n${detail}`);
    }
  }
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    stop() {
      if (stopped) return;
      stopped = true;
      if (!stopServer('fast') && !stopServer('immediate') && existsSync(join(data, 'postmaster.pid'))) {
        process.stderr.write(`warning: could not stop PostgreSQL in ${data}\n${logTail(log)}\n`);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
