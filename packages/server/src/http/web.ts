// The web client (packages/web, built to packages/web/dist) served at `/`: index.html and its hashed
// assets, read once at start-up into memory — only those files exist, so no request path ever
// reaches the file system. When the client is not built, `/` says how to build it.

import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

export const WEB_DIST = fileURLToPath(new URL('../../../web/dist', import.meta.url));

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

// The page talks to whichever homeserver the person names (connect-src *); nothing else loads from
// elsewhere, and it may not be framed.
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; connect-src *; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

interface File {
  body: Buffer;
  type: string;
}

function readDist(dir: string): { index: File; assets: Map<string, File> } | null {
  if (!existsSync(join(dir, 'index.html'))) return null;
  const assets = new Map<string, File>();
  const assetDir = join(dir, 'assets');
  if (existsSync(assetDir)) {
    for (const name of readdirSync(assetDir)) {
      assets.set(name, { body: readFileSync(join(assetDir, name)), type: TYPES[extname(name)] ?? 'application/octet-stream' });
    }
  }
  return { index: { body: readFileSync(join(dir, 'index.html')), type: TYPES['.html']! }, assets };
}

export function registerWebClient(app: FastifyInstance, dir = WEB_DIST): void {
  const dist = readDist(dir);
  const send = (reply: FastifyReply, f: File, cache: string) => reply.headers({ ...PAGE_HEADERS, 'content-type': f.type, 'cache-control': cache }).send(f.body);

  app.get('/', async (_req, reply) => {
    if (!dist) {
      return reply
        .code(200)
        .headers({ ...PAGE_HEADERS, 'content-type': 'text/plain; charset=utf-8' })
        .send('This Hush homeserver is running. Its web client is not built: run `npm run build:web` (or `npm start`, which builds it).\n');
    }
    return send(reply, dist.index, 'no-cache');
  });
  app.get<{ Params: { file: string } }>('/assets/:file', async (req, reply) => {
    const f = dist?.assets.get(req.params.file);
    if (!f) return reply.code(404).headers({ 'content-type': 'text/plain; charset=utf-8' }).send('Not found\n');
    // Names carry a content hash: a changed file is a new name.
    return send(reply, f, 'public, max-age=31536000, immutable');
  });
}
