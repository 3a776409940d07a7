// Builds the `hush` binary's JavaScript: packages/{cli,server,client,protocol}/src and their dependencies
// → one esbuild bundle, packages/cli/dist/hush.cjs (git-ignored), so `hush serve` and every CLI
// command start without compiling TypeScript (decision 0013). CommonJS, so that the bin can load it
// with a V8 code cache. better-sqlite3, pg and sharp stay external (native code, optional native bindings).
//
// Staleness: the bundle's first line carries a fingerprint of its inputs — path, size and mtime of
// every source file (tests excepted), the package.json files, tsconfig.json, this script and the
// installed dependency tree (node_modules/.package-lock.json). `ensureBuilt()` (called by the bin at
// every start) recomputes it and rebuilds when it differs: a few ms of stat calls, no hashing of
// contents. Concurrent builds are safe: each writes a temp file and renames it into place.
//
// `node scripts/build-cli.mjs` builds; `--if-stale` only when the fingerprint differs.

import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PACKAGES = ['protocol', 'server', 'client', 'cli'];
export const BUNDLE = join(ROOT, 'packages/cli/dist/hush.cjs');
const ENTRY = join(ROOT, 'packages/cli/src/main.ts');
/** Native code, or optional native bindings looked up at run time: loaded from node_modules. */
const EXTERNAL = ['better-sqlite3', 'pg', 'pg-native', 'sharp'];
const MARK = '// hush-build ';

/** Every file below `dir` except tests, as [path, size, mtimeMs] lines appended to `out`. */
function listSources(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const ent of entries) {
    const p = join(dir, ent.name);
    if (ent.isDirectory()) listSources(p, out);
    else if (!ent.name.endsWith('.test.ts')) stamp(p, out);
  }
}

function stamp(path, out) {
  try {
    const s = statSync(path);
    out.push(`${relative(ROOT, path)}\0${s.size}\0${s.mtimeMs}`);
  } catch {
    out.push(`${relative(ROOT, path)}\0missing`);
  }
}

/** The fingerprint of everything the bundle is made from (see the header). */
export function fingerprint() {
  const lines = [];
  for (const p of PACKAGES) {
    listSources(join(ROOT, 'packages', p, 'src'), lines);
    stamp(join(ROOT, 'packages', p, 'package.json'), lines);
  }
  for (const f of ['package.json', 'tsconfig.json', 'scripts/build-cli.mjs', 'node_modules/.package-lock.json']) stamp(join(ROOT, f), lines);
  return hash(lines.sort().join('\n'));
}

/** Two 32-bit FNV-1a hashes (different offsets) as 16 hex digits: enough to notice a change, and
 *  cheaper at every start than loading node:crypto. */
function hash(text) {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

/** The fingerprint the current bundle was built from, or undefined when there is none. */
export function builtFingerprint() {
  let fd;
  try {
    fd = openSync(BUNDLE, 'r');
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.alloc(MARK.length + 16);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const head = buf.toString('utf8', 0, n);
    return head.startsWith(MARK) ? head.slice(MARK.length) : undefined;
  } finally {
    closeSync(fd);
  }
}

export const isStale = () => builtFingerprint() !== fingerprint();

/**
 * Inside a bundle `import.meta.url` would name the bundle; the sources use it to find files next to
 * them (the server's package.json, the web client's dist). Each module keeps its own source URL.
 */
const keepImportMetaUrl = {
  name: 'keep-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /[\\/]packages[\\/][^\\/]+[\\/]src[\\/].*\.tsx?$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      return {
        contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
        loader: args.path.endsWith('x') ? 'tsx' : 'ts',
      };
    });
  },
};

/** Builds the bundle now. Returns the seconds it took. */
export async function build() {
  const t0 = performance.now();
  const print = fingerprint(); // before reading any source: an edit during the build leaves it stale
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: EXTERNAL,
    keepNames: false,
    legalComments: 'none',
    logLevel: 'silent',
    plugins: [keepImportMetaUrl],
    banner: { js: `${MARK}${print}` },
  });
  const body = result.outputFiles[0].text;
  mkdirSync(dirname(BUNDLE), { recursive: true });
  const tmp = `${BUNDLE}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    writeFileSync(tmp, body);
    renameSync(tmp, BUNDLE); // atomic: a concurrent start sees the old bundle or the new one
  } finally {
    if (existsSync(tmp)) rmSync(tmp, { force: true });
  }
  return (performance.now() - t0) / 1000;
}

let building;

/** Builds when stale; returns the seconds spent building, or 0 when the bundle was current. Callers
 *  in one process share a build under way. */
export async function ensureBuilt() {
  if (building) return building;
  if (!isStale()) return 0;
  building = build().finally(() => (building = undefined));
  return building;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    if (process.argv.includes('--if-stale') && !isStale()) process.exit(0);
    const s = await build();
    console.log(`hush built in ${s.toFixed(1)} s: ${relative(ROOT, BUNDLE)} (${(statSync(BUNDLE).size / 1024).toFixed(0)} kB)`);
  } catch (err) {
    console.error(`building hush failed:\n${err.message ?? err}`);
    process.exit(1);
  }
}
