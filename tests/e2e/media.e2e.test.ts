// The content repository through a real `hush serve` (the esbuild bundle, sharp loaded from
// node_modules): upload a JPEG, download it with a token, thumbnail it, find it on disk by its
// SHA-256 beside the SQLite file; a huge declared Content-Length is refused over a real socket
// before the body is sent; the legacy unauthenticated download is frozen.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import sharp from 'sharp';
import { client, startHush, type ClientSession, type HushProcess } from '../support/server.ts';

let hush: HushProcess;
let alice: ClientSession;

before(async () => {
  hush = await startHush({ args: ['--max-upload-size', '2M'] });
  alice = await client(hush.baseUrl).register('media_alice');
});
after(() => hush?.stop());

const auth = () => ({ authorization: `Bearer ${alice.token}` });

describe('media over real HTTP', () => {
  test('upload, authenticated download, thumbnail; the file is stored by content hash beside the database', async () => {
    const jpeg = await sharp({ create: { width: 1200, height: 900, channels: 3, background: { r: 10, g: 120, b: 200 } } }).jpeg().toBuffer();
    const up = await fetch(`${hush.baseUrl}/_matrix/media/v3/upload?filename=sky.jpg`, { method: 'POST', headers: { ...auth(), 'content-type': 'image/jpeg' }, body: jpeg });
    assert.equal(up.status, 200);
    const uri = ((await up.json()) as { content_uri: string }).content_uri;
    assert.match(uri, /^mxc:\/\/localhost\/[A-Za-z0-9_-]+$/);
    const path = uri.slice('mxc://'.length);

    const dl = await fetch(`${hush.baseUrl}/_matrix/client/v1/media/download/${path}`, { headers: auth() });
    assert.equal(dl.status, 200);
    assert.ok(Buffer.from(await dl.arrayBuffer()).equals(jpeg));
    assert.equal(dl.headers.get('content-disposition'), 'inline; filename="sky.jpg"');
    assert.match(dl.headers.get('content-security-policy') ?? '', /^sandbox;/);

    const sha = createHash('sha256').update(jpeg).digest('hex');
    assert.ok(existsSync(join(hush.dir, 'media', 'content', sha.slice(0, 2), sha.slice(2, 4), sha)), 'stored under media/ beside hush.sqlite');

    const th = await fetch(`${hush.baseUrl}/_matrix/client/v1/media/thumbnail/${path}?width=320&height=240&method=scale`, { headers: auth() });
    assert.equal(th.status, 200, await th.clone().text());
    assert.equal(th.headers.get('content-type'), 'image/jpeg');
    const meta = await sharp(Buffer.from(await th.arrayBuffer())).metadata();
    assert.deepEqual([meta.width, meta.height], [320, 240]);

    const noToken = await fetch(`${hush.baseUrl}/_matrix/client/v1/media/download/${path}`);
    assert.equal(noToken.status, 401);
    const legacy = await fetch(`${hush.baseUrl}/_matrix/media/v3/download/${path}`);
    assert.equal(legacy.status, 404);
    assert.equal(((await legacy.json()) as { errcode: string }).errcode, 'M_NOT_FOUND');
  });

  test('a declared 10 GB upload is 413 M_TOO_LARGE at once, and the connection is closed', async () => {
    const res = await new Promise<{ status: number; body: string; connection: string | undefined }>((resolve, reject) => {
      const url = new URL(`${hush.baseUrl}/_matrix/media/v3/upload`);
      const req = request(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...auth(), 'content-type': 'application/octet-stream', 'content-length': String(10 * 1024 ** 3) } },
        (r) => {
          let body = '';
          r.setEncoding('utf8');
          r.on('data', (c: string) => (body += c));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body, connection: r.headers.connection }));
        },
      );
      req.on('error', reject);
      req.write(Buffer.alloc(64 * 1024));
      // Never finish the body: the answer must come without it.
    });
    assert.equal(res.status, 413);
    assert.equal(JSON.parse(res.body).errcode, 'M_TOO_LARGE');
    assert.equal(res.connection, 'close');
  });
});
