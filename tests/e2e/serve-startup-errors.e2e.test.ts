// `hush serve` that cannot start says why in ONE line on stderr and exits non-zero — 1 for the port
// or the database, 2 for a bad flag or config file — instead of a pino JSON line with a stack.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { ensureBuilt } from '../../scripts/build-cli.mjs';
import { HUSH_BIN, REPO_ROOT, startHush } from '../support/server.ts';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const dir = mkdtempSync(join(tmpdir(), 'hush-startup-errors-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** `hush serve ARGS…` expected to fail: its exit code and output (killed after 30 s if it starts). */
async function serveFails(args: string[]): Promise<Run> {
  await ensureBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HUSH_BIN, 'serve', '--server-name', 'localhost', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Exactly one line on stderr, matching `re`, with no stack trace and no JSON. */
function oneLine(r: Run, re: RegExp): void {
  const lines = r.stderr.split('\n');
  assert.equal(lines.length, 2, `one line on stderr, got:\n${r.stderr}`);
  assert.equal(lines[1], '');
  assert.match(lines[0]!, re);
  assert.doesNotMatch(r.stderr, /^\s+at |"level"|\{/m);
}

function listen(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

describe('hush serve: start-up failures are one readable line', () => {
  test('port already in use: exit 1 naming the port and --port', async () => {
    const taken = await listen();
    try {
      const port = (taken.address() as { port: number }).port;
      const r = await serveFails(['--port', String(port), '--database', join(dir, 'port.sqlite')]);
      assert.equal(r.code, 1);
      oneLine(r, new RegExp(`^hush serve: port ${port} is already in use on 127\\.0\\.0\\.1 \\(--port\\)$`));
      assert.equal(r.stdout, '', 'no fatal JSON log line either');
    } finally {
      taken.close();
    }
  });

  test('an address that is not this machine’s: exit 1 naming --bind', async () => {
    const r = await serveFails(['--port', '0', '--bind', '192.0.2.1', '--database', join(dir, 'bind.sqlite')]);
    assert.equal(r.code, 1);
    oneLine(r, /^hush serve: cannot listen on 192\.0\.2\.1: not an address of this machine \(--bind\)$/);
  });

  test('the SQLite database served by another hush: exit 1', async () => {
    const first = await startHush();
    try {
      const r = await serveFails(['--port', '0', '--database', join(first.dir, 'hush.sqlite')]);
      assert.equal(r.code, 1);
      oneLine(r, /^hush serve: another process is using the SQLite database .*hush\.sqlite: .* \(--database\)$/);
    } finally {
      await first.stop();
    }
  });

  test('the SQLite database locked by another program (an open write transaction): exit 1 after the busy wait', async () => {
    const file = join(dir, 'locked.sqlite');
    const other = new SqliteDatabase(file);
    try {
      other.exec('CREATE TABLE t (x); BEGIN EXCLUSIVE; INSERT INTO t VALUES (1)');
      const r = await serveFails(['--port', '0', '--database', file]);
      assert.equal(r.code, 1);
      oneLine(r, /^hush serve: the SQLite database .*locked\.sqlite is locked by another process \(database is locked\) \(--database\)$/);
    } finally {
      other.close();
    }
  });

  test('a file that is not a SQLite database: exit 1', async () => {
    const file = join(dir, 'not-a-db.sqlite');
    writeFileSync(file, 'this is a text file, not a database '.repeat(10));
    const r = await serveFails(['--port', '0', '--database', file]);
    assert.equal(r.code, 1);
    oneLine(r, /^hush serve: .*not-a-db\.sqlite is not a SQLite database \(--database\)$/);
  });

  test('PostgreSQL out of reach: exit 1, and the password in the URL is not printed', async () => {
    const closed = await listen();
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r)); // a port nothing listens on
    const r = await serveFails(['--port', '0', '--database', `postgres://hush:s3cret@127.0.0.1:${port}/hush`]);
    assert.equal(r.code, 1);
    oneLine(r, new RegExp(`^hush serve: cannot reach PostgreSQL at 127\\.0\\.0\\.1:${port}/hush: connection refused \\(--database\\)$`));
    assert.doesNotMatch(r.stderr + r.stdout, /s3cret/);
  });

  test('a config file that is not YAML: exit 2 with the parser’s first line', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'port: [8008\nbind: 127.0.0.1\n');
    const r = await serveFails(['--config', file, '--database', join(dir, 'yaml.sqlite')]);
    assert.equal(r.code, 2);
    oneLine(r, /^hush serve: config file .*bad\.yaml is not valid YAML: \S/);
  });

  test('a bad flag value: exit 2 (an unknown --log-level is refused before the logger is made)', async () => {
    const level = await serveFails(['--log-level', 'loud', '--database', join(dir, 'flag.sqlite')]);
    assert.equal(level.code, 2);
    oneLine(level, /^hush serve: log-level must be one of fatal, error, warn, info, debug, trace, silent, not "loud"$/);
    const port = await serveFails(['--port', 'eighty', '--database', join(dir, 'flag.sqlite')]);
    assert.equal(port.code, 2);
    oneLine(port, /^hush serve: port must be 0-65535, not eighty$/);
  });
});
