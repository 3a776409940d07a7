// Builds the web client (packages/web → packages/web/dist) with Vite. `--if-stale` builds only when
// dist is missing or older than a source file (what `npm start` and `npm test` use). Prints the
// bundle's sizes.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const web = join(root, 'packages/web');
const dist = join(web, 'dist');

function newest(dir) {
  let t = 0;
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    if (ent.name === 'node_modules' || ent.name === 'dist') continue;
    const p = join(dir, ent.name);
    t = Math.max(t, ent.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const sources = [web, join(root, 'packages/client/src'), join(root, 'packages/protocol/src')];
const built = existsSync(join(dist, 'index.html')) ? statSync(join(dist, 'index.html')).mtimeMs : 0;
if (process.argv.includes('--if-stale') && built > Math.max(...sources.map(newest))) process.exit(0);

const { build } = await import('vite');
await build({ configFile: join(web, 'vite.config.ts'), logLevel: 'warn' });
const assets = join(dist, 'assets');
let raw = 0;
let gz = 0;
for (const name of readdirSync(assets)) {
  const body = readFileSync(join(assets, name));
  raw += body.length;
  gz += gzipSync(body).length;
}
console.log(`web client built: ${(raw / 1024).toFixed(1)} kB (${(gz / 1024).toFixed(1)} kB gzip) in packages/web/dist`);
