// Media figures over loopback against a server in its own process (SQLite and media in a temp dir):
// upload and download MB/s of a 10 MB file (median of --runs, default 5), and the time to a
// 320x240 thumbnail of a 2000x1500 JPEG — made (a fresh image each time: p50 and max) and cached.
// Uses node:http with a keep-alive agent (fetch costs more CPU than the server, stack-notes.md).
// Run: node --import tsx bench/media.ts [--runs N] [--json]

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const SELF = fileURLToPath(import.meta.url);

interface Res {
  status: number;
  body: Buffer;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

function call(base: string, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Res> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const r1 = (n: number) => Math.round(n * 10) / 10;

async function main(): Promise<void> {
  const runsArg = process.argv.indexOf('--runs');
  const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
  const dir = mkdtempSync(join(tmpdir(), 'hush-bench-media-'));
  const child = spawn(process.execPath, ['--import', 'tsx', SELF, '--serve', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const base = await new Promise<string>((resolve, reject) => {
      child.stdout.setEncoding('utf8');
      child.stdout.once('data', (line: string) => resolve(line.trim()));
      child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
    });
    const json = { 'content-type': 'application/json' };
    const reg = async () => {
      const body = Buffer.from(JSON.stringify({ username: 'bench', password: 'correct horse', auth: { type: 'm.login.dummy' } }));
      const r = await call(base, 'POST', '/_matrix/client/v3/register', json, body);
      if (r.status !== 200) throw new Error(`register: ${r.status} ${r.body}`);
      return (JSON.parse(r.body.toString()) as { access_token: string }).access_token;
    };
    const token = await reg();
    const auth = { authorization: `Bearer ${token}` };

    const size = 10 * 1024 * 1024;
    const up: number[] = [];
    const down: number[] = [];
    for (let i = 0; i < runs; i++) {
      const file = Buffer.alloc(size, i + 1); // distinct bytes each run: no dedup shortcut
      let t = performance.now();
      const r = await call(base, 'POST', '/_matrix/media/v3/upload', { ...auth, 'content-type': 'application/octet-stream' }, file);
      up.push(size / 1024 / 1024 / ((performance.now() - t) / 1000));
      const path = (JSON.parse(r.body.toString()) as { content_uri: string }).content_uri.slice('mxc://'.length);
      t = performance.now();
      const d = await call(base, 'GET', `/_matrix/client/v1/media/download/${path}`, auth);
      down.push(size / 1024 / 1024 / ((performance.now() - t) / 1000));
      if (d.body.length !== size) throw new Error('short download');
    }

    const made: number[] = [];
    const cached: number[] = [];
    for (let i = 0; i < runs; i++) {
      const jpeg = await sharp({ create: { width: 2000, height: 1500, channels: 3, background: { r: 0, g: 0, b: 0 }, noise: { type: 'gaussian', mean: 120 + i, sigma: 40 } } }).jpeg({ quality: 85 }).toBuffer();
      const r = await call(base, 'POST', '/_matrix/media/v3/upload', { ...auth, 'content-type': 'image/jpeg' }, jpeg);
      const path = (JSON.parse(r.body.toString()) as { content_uri: string }).content_uri.slice('mxc://'.length);
      const q = `/_matrix/client/v1/media/thumbnail/${path}?width=320&height=240&method=scale`;
      let t = performance.now();
      const th = await call(base, 'GET', q, auth);
      if (th.status !== 200) throw new Error(`thumbnail: ${th.status} ${th.body}`);
      made.push(performance.now() - t);
      t = performance.now();
      await call(base, 'GET', q, auth);
      cached.push(performance.now() - t);
    }

    const figures = {
      runs,
      upload_10mb_mb_per_s: r1(median(up)),
      download_10mb_mb_per_s: r1(median(down)),
      thumbnail_2000x1500_to_320x240_ms: { made_p50: r1(median(made)), made_max: r1(Math.max(...made)), cached_p50: r1(median(cached)) },
    };
    if (process.argv.includes('--json')) console.log(JSON.stringify(figures));
    else {
      console.log(`upload   10 MB: ${figures.upload_10mb_mb_per_s} MB/s (median of ${runs})`);
      console.log(`download 10 MB: ${figures.download_10mb_mb_per_s} MB/s`);
      const th = figures.thumbnail_2000x1500_to_320x240_ms;
      console.log(`thumbnail 2000x1500 JPEG → 320x240: made p50 ${th.made_p50} ms (max ${th.made_max}), cached p50 ${th.cached_p50} ms`);
    }
  } finally {
    agent.destroy();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--serve') {
  // The child: one homeserver, its URL on stdout.
  const { resolveConfig, startServer } = await import('../packages/server/src/index.ts');
  const dir = process.argv[3]!;
  const config = resolveConfig({ port: '0', database: join(dir, 'hush.sqlite'), 'rate-limits': false, 'log-level': 'warn', 'max-upload-size': '64M' });
  const server = await startServer(config);
  process.stdout.write(`${server.url}\n`);
  process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
} else {
  await main();
}
