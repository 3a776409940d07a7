#!/usr/bin/env node
// The `hush` binary: runs the compiled bundle (packages/cli/dist/hush.cjs), first rebuilding it when
// any of its sources changed since it was built, so a start always runs the current sources
// (scripts/build-cli.mjs; decision 0013). The bundle is compiled with a V8 code cache kept beside it
// (one for `serve`, one for the client commands), which saves most of the compile at each start.
// HUSH_FROM_SOURCE=1 runs the TypeScript sources through tsx instead (stack traces with .ts lines).

import { closeSync, fstatSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script, constants as vmConstants } from 'node:vm';
import { BUNDLE, ensureBuilt } from '../../../scripts/build-cli.mjs';

/** Compiles and runs the CommonJS bundle through vm.Script so that its code cache can be used. */
function loadBundle(kind) {
  const fd = openSync(BUNDLE, 'r');
  let source;
  let identity;
  try {
    const st = fstatSync(fd);
    // The cache belongs to this very file: a rebuild writes a new file (new inode, mtime, size).
    identity = `${process.version} ${st.ino} ${st.mtimeMs} ${st.size}\n`;
    source = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  const cacheFile = `${BUNDLE}.${kind}.v8cache`;
  let cachedData;
  try {
    const buf = readFileSync(cacheFile);
    const nl = buf.indexOf(10);
    if (nl > 0 && buf.toString('utf8', 0, nl + 1) === identity) cachedData = buf.subarray(nl + 1);
  } catch {
    // no cache yet
  }
  // CommonJS's own wrapper, on the first line so that line numbers in stack traces stay right.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n})`, {
    filename: BUNDLE,
    cachedData,
    importModuleDynamically: vmConstants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  let saved = cachedData !== undefined && !script.cachedDataRejected;
  /** Writes the cache once, after the start-up code ran (so it holds the functions compiled then). */
  const save = () => {
    if (saved) return;
    saved = true;
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, Buffer.concat([Buffer.from(identity), script.createCachedData()]));
      renameSync(tmp, cacheFile);
    } catch {
      rmSync(tmp, { force: true }); // a read-only checkout: run without a cache
    }
  };
  process.once('exit', save);
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(BUNDLE), module, BUNDLE, dirname(BUNDLE));
  return { main: module.exports.main, save };
}

if (process.env.HUSH_FROM_SOURCE === '1') {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../src/main.ts');
  await main(process.argv);
} else {
  try {
    const seconds = await ensureBuilt();
    if (seconds > 0 && process.stderr.isTTY) process.stderr.write(`hush: sources changed, rebuilt in ${seconds.toFixed(1)} s\n`);
  } catch (err) {
    process.stderr.write(`hush: cannot build the hush bundle from the sources:\n${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
  const { main, save } = loadBundle(process.argv[2] === 'serve' ? 'serve' : 'cli');
  await main(process.argv);
  save(); // `hush serve` is listening now; a client command has finished
}
