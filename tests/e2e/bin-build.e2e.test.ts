// The `hush` bin runs a compiled bundle and rebuilds it whenever a source changed (decision 0013):
// checked in a sandbox copy of the CLI package (under the repo's .tmp/, so node_modules resolve),
// whose sources a test may edit without touching the real ones.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/server.ts';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let box: string;
const bin = () => join(box, 'packages/cli/bin/hush.mjs');
const bundle = () => join(box, 'packages/cli/dist/hush.cjs');
const mainTs = () => join(box, 'packages/cli/src/main.ts');
const builtFrom = () => readFileSync(bundle(), 'utf8').split('\n', 1)[0] ?? '';

function hush(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin(), ...args], { cwd: box, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Rewrites the program description in the sandbox's main.ts (what `hush --help` prints first). */
function setDescription(text: string): void {
  const src = readFileSync(mainTs(), 'utf8').replace(/\.description\('[^']*'\)/, `.description('${text}')`);
  writeFileSync(mainTs(), src);
}

describe('the hush bin runs compiled JavaScript built from the current sources', () => {
  before(() => {
    mkdirSync(join(REPO_ROOT, '.tmp'), { recursive: true });
    box = mkdtempSync(join(REPO_ROOT, '.tmp', 'bin-build-'));
    for (const p of ['packages/cli/bin', 'packages/cli/src', 'packages/cli/package.json', 'scripts/build-cli.mjs']) cpSync(join(REPO_ROOT, p), join(box, p), { recursive: true });
  });
  after(() => rmSync(box, { recursive: true, force: true }));

  test('the first start builds the bundle (with the fingerprint of its sources) and runs it', async () => {
    assert.equal(existsSync(bundle()), false);
    const r = await hush(['--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Usage: hush /);
    assert.equal(r.stderr, '', 'nothing on stderr when not a terminal');
    assert.match(builtFrom(), /^\/\/ hush-build [0-9a-f]{16}$/);
    assert.ok(existsSync(`${bundle()}.cli.v8cache`), 'the code cache is written beside the bundle');
  });

  test('an edited source is rebuilt before the next start; an unchanged tree is not', async () => {
    const first = builtFrom();
    assert.equal((await hush(['--help'])).code, 0);
    assert.equal(builtFrom(), first, 'nothing changed: the same bundle');
    setDescription('Hush, edited one');
    const r = await hush(['--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Hush, edited one/);
    assert.notEqual(builtFrom(), first);
  });

  test('a source replaced by an older file (mtime in the past) is rebuilt too', async () => {
    const before = builtFrom();
    setDescription('Hush, edited two');
    utimesSync(mainTs(), new Date('2001-01-01'), new Date('2001-01-01'));
    const r = await hush(['--help']);
    assert.match(r.stdout, /Hush, edited two/);
    assert.notEqual(builtFrom(), before);
  });

  test('two starts at once on a stale bundle both run the new sources and leave no temp files', async () => {
    setDescription('Hush, edited three');
    const [a, b] = await Promise.all([hush(['--help']), hush(['--help'])]);
    for (const r of [a!, b!]) {
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Hush, edited three/);
    }
    assert.deepEqual(readdirSync(join(box, 'packages/cli/dist')).filter((f) => f.endsWith('.tmp')), []);
  });

  test('a source that does not compile: exit 1 and the compiler error, not a stale bundle', async () => {
    writeFileSync(mainTs(), `${readFileSync(mainTs(), 'utf8')}\nexport const broken = ;\n`);
    const r = await hush(['--help']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^hush: cannot build the hush bundle from the sources:\n/);
    assert.match(r.stderr, /main\.ts/);
  });
});
