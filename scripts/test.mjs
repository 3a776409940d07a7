// `npm test`: typecheck and lint, start one PostgreSQL cluster for the run, then every test file
// (unit, storage on SQLite and PostgreSQL, in-process API, end-to-end) under node's test runner.
// `npm test -- WORD…` runs only files whose path contains a WORD; `--no-lint` skips tsc/eslint.

import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCluster } from './pg-cluster.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const noLint = args.includes('--no-lint');
const words = args.filter((a) => !a.startsWith('--'));

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

const files = [...walk(join(root, 'packages')), ...walk(join(root, 'tests'))]
  .filter((f) => words.length === 0 || words.some((w) => f.includes(w)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${words.join(' ')}`);
  process.exit(1);
}

if (!noLint) {
  for (const [what, cmd, cargs] of [
    ['typecheck', 'npx', ['tsc', '-p', 'tsconfig.json']],
    ['lint', 'npx', ['eslint', '.']],
  ]) {
    const r = spawnSync(cmd, cargs, { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) {
      console.error(`${what} failed`);
      process.exit(1);
    }
    console.log(`${what}: ok`);
  }
}

let cluster;
if (!process.env.HUSH_TEST_PG_URL) {
  try {
    cluster = await startCluster();
  } catch (err) {
    console.error(`${err.message}\nThe storage tests need PostgreSQL; the run fails rather than skip them.`);
    process.exit(1);
  }
}
const env = { ...process.env, HUSH_TEST_PG_URL: process.env.HUSH_TEST_PG_URL ?? cluster.url };

const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files], {
  cwd: root,
  env,
  stdio: 'inherit',
});
const stop = () => cluster?.stop();
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    child.kill(sig);
    stop();
    process.exit(130);
  });
}
child.on('exit', (code, signal) => {
  stop();
  process.exit(code ?? (signal ? 1 : 0));
});
