// `npm test`: typecheck and lint, start one PostgreSQL cluster for the run, then every test file
// (unit, storage on SQLite and PostgreSQL, in-process API, end-to-end) under node's test runner.
// `npm test -- WORD…` runs only files whose path contains a WORD; `--no-lint` skips tsc/eslint.
// --test-force-exit: matrix-js-sdk leaves request timers behind that would hold each file ~2 min.
// Without PostgreSQL the run fails: storage tests are never skipped. $HUSH_TEST_PG_URL, when set,
// is used instead of a cluster of our own.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCluster } from './pg-cluster.mjs';
import { ensureBuilt } from './build-cli.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const noLint = args.includes('--no-lint');
const unknown = args.filter((a) => a.startsWith('--') && a !== '--no-lint');
if (unknown.length > 0) {
  console.error(`unknown option ${unknown.join(' ')} (usage: npm test -- [--no-lint] [WORD…])`);
  process.exit(2);
}
const words = args.filter((a) => !a.startsWith('--'));

/** Every *.test.ts below `dir`, skipping node_modules and dot directories. */
function walk(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    if (ent.name === 'node_modules' || ent.name.startsWith('.')) continue;
    const p = join(dir, ent.name);
    if (ent.isDirectory()) walk(p, out);
    else if (ent.isFile() && ent.name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

// packages/*/src/**, packages/*/test/**, tests/** (e2e and the support self-tests).
const roots = readdirSync(join(root, 'packages'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => [join(root, 'packages', d.name, 'src'), join(root, 'packages', d.name, 'test')]);
roots.push(join(root, 'tests'));
const files = [...new Set(roots.flatMap((d) => walk(d)))]
  .filter((f) => words.length === 0 || words.some((w) => f.includes(w)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${words.join(' ')}`);
  process.exit(1);
}

const seconds = (t0) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

/** The command line of a package's bin run with this node, or npx when it is not installed. */
function tool(pkg, bin, toolArgs) {
  try {
    const pkgJson = createRequire(join(root, 'package.json')).resolve(`${pkg}/package.json`);
    const script = join(pkgJson, '..', bin);
    if (existsSync(script)) return [process.execPath, [script, ...toolArgs]];
  } catch {
    // not resolvable: fall through to npx
  }
  return ['npx', ['--no-install', pkg === 'typescript' ? 'tsc' : pkg, ...toolArgs]];
}

if (!noLint) {
  for (const [what, [cmd, cargs]] of [
    ['typecheck', tool('typescript', 'bin/tsc', ['-p', 'tsconfig.json'])],
    ['lint', tool('eslint', 'bin/eslint.js', ['.'])],
  ]) {
    const t0 = performance.now();
    const r = spawnSync(cmd, cargs, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) {
      console.error(`${what} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`}); use --no-lint to run the tests anyway`);
      process.exit(1);
    }
    console.log(`${what}: ok (${seconds(t0)})`);
  }
}

// The browser tests (tests/web) drive Debian's chromium against the built web client. Missing
// chromium is installed with apt-get where we may (root); otherwise the run fails, never skips.
if (files.some((f) => f.startsWith('tests/web/'))) {
  const has = () => spawnSync('bash', ['-c', 'command -v chromium'], { stdio: 'ignore' }).status === 0;
  if (!has() && !process.env.HUSH_CHROMIUM && process.getuid?.() === 0) {
    console.log('chromium not found: installing it with apt-get');
    const apt = (a) => spawnSync('apt-get', a, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    apt(['update', '-q']);
    apt(['install', '-y', '-q', '--no-install-recommends', 'chromium', 'fonts-dejavu-core']); // recommends (upower, printer setup, mesa …): 63 more packages, unused
  }
  if (!has() && !process.env.HUSH_CHROMIUM) {
    console.error('chromium is required for tests/web: apt-get install -y chromium (or set HUSH_CHROMIUM to a Chromium binary)');
    process.exit(1);
  }
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(root, 'scripts/build-web.mjs'), '--if-stale'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    console.error('building the web client failed');
    process.exit(1);
  }
  console.log(`web client: ok (${seconds(t0)})`);
}

// The desktop tests (tests/desktop) drive Debian's nheko in Xvfb, the same way: installed with
// apt-get where we may (root), else the run fails, never skips.
if (files.some((f) => f.startsWith('tests/desktop/'))) {
  const tools = ['nheko', 'Xvfb', 'xdotool', 'import', 'dbus-run-session', 'dbus-send', 'gnome-keyring-daemon'];
  const has = () => spawnSync('bash', ['-c', tools.map((t) => `command -v ${t}`).join(' && ')], { stdio: 'ignore' }).status === 0;
  const pkgs = ['nheko', 'xvfb', 'xdotool', 'imagemagick', 'dbus-x11', 'gnome-keyring', 'fonts-dejavu-core'];
  if (!has() && process.getuid?.() === 0) {
    console.log('nheko or its X tools not found: installing them with apt-get');
    const apt = (a) => spawnSync('apt-get', a, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    apt(['update', '-q']);
    apt(['install', '-y', '-q', '--no-install-recommends', ...pkgs]);
  }
  if (!has()) {
    console.error(`tests/desktop need ${tools.join(', ')}: apt-get install -y --no-install-recommends ${pkgs.join(' ')}`);
    process.exit(1);
  }
}

let cluster;
const stopCluster = () => {
  const c = cluster;
  cluster = undefined;
  c?.stop();
};
process.on('exit', stopCluster); // the last resort: stop() is synchronous

if (process.env.HUSH_TEST_PG_URL) {
  console.log('postgres: using $HUSH_TEST_PG_URL');
} else {
  const t0 = performance.now();
  try {
    cluster = await startCluster();
  } catch (err) {
    console.error(`${err.message}\nThe storage tests need PostgreSQL; the run fails rather than skip them.`);
    process.exit(1);
  }
  console.log(`postgres: 127.0.0.1:${cluster.port} up in ${seconds(t0)}`);
}
const env = { ...process.env, HUSH_TEST_PG_URL: process.env.HUSH_TEST_PG_URL ?? cluster.url };

// The `hush` bundle the e2e tests spawn (packages/cli/bin/hush.mjs rebuilds it when stale too):
// built once here, so that test files starting together do not each build it.
try {
  const built = await ensureBuilt();
  if (built > 0) console.log(`hush bundle: rebuilt (${built.toFixed(1)} s)`);
} catch (err) {
  console.error(`building the hush bundle failed:\n${err.message}`);
  process.exit(1);
}

console.log(`running ${files.length} test file${files.length === 1 ? '' : 's'}`);
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-force-exit', '--test-concurrency=2', '--test-reporter=spec', ...files], {
  cwd: root,
  env,
  stdio: ['ignore', 'inherit', 'inherit'],
  // Its own process group, so a signal also reaches what the tests spawned (e2e servers).
  detached: true,
});

/** Signals the test runner's whole process group (no-op once it is empty). */
function signalTests(sig) {
  try {
    process.kill(-child.pid, sig);
  } catch {
    // the group is gone
  }
}

const SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 };
let interrupted;
for (const sig of Object.keys(SIGNALS)) {
  process.on(sig, () => {
    if (interrupted) {
      // A second signal: do not wait for the tests any longer.
      signalTests('SIGKILL');
      stopCluster();
      process.exit(128 + SIGNALS[sig]);
    }
    interrupted = sig;
    signalTests(sig); // the exit handler below stops the cluster
  });
}
child.on('error', (err) => {
  console.error(`cannot run the tests: ${err.message}`);
  stopCluster();
  process.exit(1);
});
child.on('exit', (code, signal) => {
  signalTests('SIGTERM'); // stragglers a killed test file could not stop
  stopCluster();
  if (interrupted) process.exit(128 + SIGNALS[interrupted]);
  process.exit(code ?? (signal ? 1 : 0));
});
