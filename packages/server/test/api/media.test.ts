// The content repository (spec content-repo.yaml, authed-content-repo.yaml), in-process: uploads
// (one step and created-then-put), authenticated downloads with their safety headers, thumbnails,
// config, the upload limit and quota, the frozen legacy reads, and hostile input (huge or lying
// lengths, bad ids, traversal, NUL and CR/LF in names, someone else's id, no token). Runs on
// PostgreSQL too (media.postgres.test.ts).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import type { UserId } from '@hush/protocol';
import { createSuiteApp, type Session, type TestApp } from '../helpers.ts';
import { MAX_PENDING_UPLOADS, UNUSED_EXPIRY_MS } from '../../src/services/media/media.ts';

const UPLOAD = '/_matrix/media/v3/upload';
const CREATE = '/_matrix/media/v1/create';
const V1 = '/_matrix/client/v1/media';
const LIMIT = 3 * 1024 * 1024;

interface RawRes {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: Buffer;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

async function raw(
  t: TestApp,
  method: 'GET' | 'POST' | 'PUT',
  url: string,
  opts: { token?: string; body?: Buffer | string | Readable; headers?: Record<string, string> } = {},
): Promise<RawRes> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
  const res = await t.app.inject({ method, url, headers, ...(opts.body !== undefined ? { payload: opts.body } : {}) });
  let json: unknown;
  try {
    json = JSON.parse(res.body);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, body: res.rawPayload, json };
}

async function upload(t: TestApp, s: Session, bytes: Buffer | string, contentType = 'application/octet-stream', filename?: string): Promise<{ server: string; id: string }> {
  const q = filename === undefined ? '' : `?filename=${encodeURIComponent(filename)}`;
  const res = await raw(t, 'POST', `${UPLOAD}${q}`, { token: s.token, body: bytes, headers: { 'content-type': contentType } });
  assert.equal(res.status, 200, res.body.toString());
  const m = /^mxc:\/\/([^/]+)\/([A-Za-z0-9_-]+)$/.exec(res.json.content_uri);
  assert.ok(m, res.json.content_uri);
  return { server: m[1]!, id: m[2]! };
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) if (e.isFile()) out.push(e.name);
  return out;
}

/** A body that streams `total` bytes in 64 KB chunks without saying its length (chunked). */
function stream(total: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return this.push(null);
      const n = Math.min(65_536, total - sent);
      sent += n;
      this.push(Buffer.alloc(n, 7));
    },
  });
}

let t: TestApp;
let mediaDir: string;
let alice: Session;
let bob: Session;

before(async () => {
  mediaDir = await mkdtemp(join(tmpdir(), 'hush-media-'));
  t = await createSuiteApp({ config: { 'media-path': mediaDir, 'max-upload-size': String(LIMIT), 'media-user-quota': String(LIMIT * 3) } });
  alice = await t.register('alice');
  bob = await t.register('bob');
});
after(async () => {
  await t.close();
  await rm(mediaDir, { recursive: true, force: true });
});

describe('upload and authenticated download', () => {
  test('POST /upload answers an mxc URI; the download gives the same bytes, type and file name with the safety headers', async () => {
    const { server, id } = await upload(t, alice, 'hello, world', 'text/plain', 'hello.txt');
    assert.equal(server, t.serverName);
    const res = await raw(t, 'GET', `${V1}/download/${server}/${id}`, { token: bob.token });
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), 'hello, world');
    assert.equal(res.headers['content-type'], 'text/plain');
    assert.equal(res.headers['content-length'], '12');
    assert.equal(res.headers['content-disposition'], 'inline; filename="hello.txt"');
    assert.match(String(res.headers['content-security-policy']), /^sandbox; default-src 'none'; script-src 'none';/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['cross-origin-resource-policy'], 'cross-origin');
  });

  test('a download needs a token: 401 M_MISSING_TOKEN, and M_UNKNOWN_TOKEN for a bad one', async () => {
    const { server, id } = await upload(t, alice, 'secret');
    const none = await raw(t, 'GET', `${V1}/download/${server}/${id}`);
    assert.equal(none.status, 401);
    assert.equal(none.json.errcode, 'M_MISSING_TOKEN');
    const bad = await raw(t, 'GET', `${V1}/thumbnail/${server}/${id}?width=32&height=32`, { token: 'nope' });
    assert.equal(bad.status, 401);
    assert.equal(bad.json.errcode, 'M_UNKNOWN_TOKEN');
    const up = await raw(t, 'POST', UPLOAD, { body: 'x', headers: { 'content-type': 'text/plain' } });
    assert.equal(up.status, 401);
  });

  test('the body is bytes whatever its type: broken JSON and a body past the JSON limit (1 MB) upload fine', async () => {
    const { id } = await upload(t, alice, '{"not json', 'application/json');
    assert.equal((await raw(t, 'GET', `${V1}/download/${t.serverName}/${id}`, { token: alice.token })).body.toString(), '{"not json');
    const big = Buffer.alloc(2 * 1024 * 1024, 1);
    const second = await upload(t, alice, big);
    const res = await raw(t, 'GET', `${V1}/download/${t.serverName}/${second.id}`, { token: alice.token });
    assert.ok(res.body.equals(big));
  });

  test('no Content-Type is application/octet-stream, served as an attachment without a file name', async () => {
    const res = await raw(t, 'POST', UPLOAD, { token: alice.token, body: Buffer.from([0, 1, 2]) });
    assert.equal(res.status, 200, res.body.toString());
    const id = String(res.json.content_uri).split('/').pop();
    const dl = await raw(t, 'GET', `${V1}/download/${t.serverName}/${id}`, { token: alice.token });
    assert.equal(dl.headers['content-type'], 'application/octet-stream');
    assert.equal(dl.headers['content-disposition'], 'attachment');
  });

  test('identical bytes are stored once (content hash) under two media ids', async () => {
    const bytes = `dedup ${Math.random()}`;
    const before = (await filesUnder(join(mediaDir, 'content'))).length;
    const a = await upload(t, alice, bytes);
    const b = await upload(t, bob, bytes);
    assert.notEqual(a.id, b.id);
    assert.equal((await filesUnder(join(mediaDir, 'content'))).length, before + 1);
    assert.equal((await filesUnder(join(mediaDir, 'tmp'))).length, 0, 'no temp file left');
  });

  test('GET /media/config gives the upload limit', async () => {
    const res = await t.req('GET', `${V1}/config`, { token: alice.token });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { 'm.upload.size': LIMIT });
  });
});

describe('Content-Disposition', () => {
  test('HTML, SVG and unknown types are attachments; the spec\'s safe types inline', async () => {
    for (const [type, disposition] of [
      ['text/html', 'attachment'],
      ['image/svg+xml', 'attachment'],
      ['application/javascript', 'attachment'],
      ['image/png', 'inline'],
      ['IMAGE/PNG; x=1', 'inline'],
    ] as const) {
      const { id } = await upload(t, alice, '<script>alert(1)</script>', type);
      const res = await raw(t, 'GET', `${V1}/download/${t.serverName}/${id}`, { token: alice.token });
      assert.equal(res.headers['content-disposition'], disposition, type);
      assert.equal(res.headers['content-type'], type);
    }
  });

  test('a content type that is not one is stored as application/octet-stream', async () => {
    const { id } = await upload(t, alice, 'x', 'nonsense');
    const res = await raw(t, 'GET', `${V1}/download/${t.serverName}/${id}`, { token: alice.token });
    assert.equal(res.headers['content-type'], 'application/octet-stream');
  });

  test('file names with quotes, CR/LF or non-ASCII are RFC 8187-encoded; NUL is refused', async () => {
    const { id } = await upload(t, alice, 'x', 'text/plain', 'a"b\r\nSet-Cookie: x=1;é.txt');
    const res = await raw(t, 'GET', `${V1}/download/${t.serverName}/${id}`, { token: alice.token });
    assert.equal(res.headers['content-disposition'], "inline; filename*=utf-8''a%22b%0D%0ASet-Cookie%3A%20x%3D1%3B%C3%A9.txt");
    assert.equal(res.headers['set-cookie'], undefined);
    const nul = await raw(t, 'POST', `${UPLOAD}?filename=a%00b`, { token: alice.token, body: 'x', headers: { 'content-type': 'text/plain' } });
    assert.equal(nul.status, 400);
    assert.equal(nul.json.errcode, 'M_INVALID_PARAM');
  });

  test('the file name in the path overrides the stored one', async () => {
    const { id } = await upload(t, alice, 'x', 'text/plain', 'stored.txt');
    const res = await raw(t, 'GET', `${V1}/download/${t.serverName}/${id}/${encodeURIComponent('../../etc/passwd')}`, { token: alice.token });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-disposition'], 'inline; filename="../../etc/passwd"');
    assert.equal(res.body.toString(), 'x');
  });
});

describe('limits', () => {
  test('a declared Content-Length over the limit is 413 M_TOO_LARGE before anything is read', async () => {
    const res = await raw(t, 'POST', UPLOAD, {
      token: alice.token,
      body: 'small',
      headers: { 'content-type': 'image/png', 'content-length': String(10 * 1024 ** 4) },
    });
    assert.equal(res.status, 413);
    assert.equal(res.json.errcode, 'M_TOO_LARGE');
  });

  test('a body without a length that runs past the limit is 413 M_TOO_LARGE and leaves no file', async () => {
    const before = (await filesUnder(join(mediaDir, 'content'))).length;
    const res = await raw(t, 'POST', UPLOAD, { token: alice.token, body: stream(LIMIT + 200_000), headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(res.status, 413);
    assert.equal(res.json.errcode, 'M_TOO_LARGE');
    assert.equal(res.headers['connection'], 'close');
    assert.equal((await filesUnder(join(mediaDir, 'content'))).length, before);
    assert.equal((await filesUnder(join(mediaDir, 'tmp'))).length, 0);
  });

  test('exactly the limit is accepted', async () => {
    const res = await raw(t, 'POST', UPLOAD, { token: bob.token, body: stream(LIMIT), headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(res.status, 200, res.body.toString());
  });

  test('the per-user quota: 403 M_FORBIDDEN once the uploads would pass it', async () => {
    const carol = await t.register('carol');
    for (let i = 0; i < 3; i++) assert.equal((await raw(t, 'POST', UPLOAD, { token: carol.token, body: Buffer.alloc(LIMIT - 10, i) })).status, 200);
    const over = await raw(t, 'POST', UPLOAD, { token: carol.token, body: Buffer.alloc(31, 9) });
    assert.equal(over.status, 403);
    assert.equal(over.json.errcode, 'M_FORBIDDEN');
    assert.equal((await raw(t, 'POST', UPLOAD, { token: carol.token, body: Buffer.alloc(30, 9) })).status, 200, 'what still fits passes');
  });
});

describe('created ids (async upload)', () => {
  test('create, then PUT by the creator once: 200 {}, then 409 M_CANNOT_OVERWRITE_MEDIA', async () => {
    const created = await t.req('POST', CREATE, { token: alice.token });
    assert.equal(created.status, 200);
    assert.ok(created.json.unused_expires_at > Date.now() + UNUSED_EXPIRY_MS - 60_000);
    const path = String(created.json.content_uri).slice('mxc://'.length);
    const put = await raw(t, 'PUT', `${UPLOAD}/${path}?filename=later.txt`, { token: alice.token, body: 'later', headers: { 'content-type': 'text/plain' } });
    assert.equal(put.status, 200, put.body.toString());
    assert.deepEqual(put.json, {});
    const dl = await raw(t, 'GET', `${V1}/download/${path}`, { token: bob.token });
    assert.equal(dl.body.toString(), 'later');
    assert.equal(dl.headers['content-disposition'], 'inline; filename="later.txt"');
    const again = await raw(t, 'PUT', `${UPLOAD}/${path}`, { token: alice.token, body: 'other' });
    assert.equal(again.status, 409);
    assert.equal(again.json.errcode, 'M_CANNOT_OVERWRITE_MEDIA');
  });

  test("someone else's created id is 403 M_FORBIDDEN, and stays free for its creator", async () => {
    const created = await t.req('POST', CREATE, { token: alice.token });
    const path = String(created.json.content_uri).slice('mxc://'.length);
    const put = await raw(t, 'PUT', `${UPLOAD}/${path}`, { token: bob.token, body: 'mine now' });
    assert.equal(put.status, 403);
    assert.equal(put.json.errcode, 'M_FORBIDDEN');
    assert.equal((await raw(t, 'PUT', `${UPLOAD}/${path}`, { token: alice.token, body: 'ok' })).status, 200);
  });

  test('unknown, remote and expired ids are 404 M_NOT_FOUND; a one-step upload id cannot be PUT to (409)', async () => {
    const unknown = await raw(t, 'PUT', `${UPLOAD}/${t.serverName}/AAAAAAAAAAAAAAAAAAAAAAAA`, { token: alice.token, body: 'x' });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.errcode, 'M_NOT_FOUND');
    const created = await t.req('POST', CREATE, { token: alice.token });
    const id = String(created.json.content_uri).split('/').pop();
    const remote = await raw(t, 'PUT', `${UPLOAD}/example.org/${id}`, { token: alice.token, body: 'x' });
    assert.equal(remote.status, 404);
    const old = await t.services.media.create(alice.userId as UserId, Date.now() - UNUSED_EXPIRY_MS - 1000);
    const expired = await raw(t, 'PUT', `${UPLOAD}/${old.content_uri.slice('mxc://'.length)}`, { token: alice.token, body: 'x' });
    assert.equal(expired.status, 404);
    assert.equal(expired.json.errcode, 'M_NOT_FOUND');
    const done = await upload(t, alice, 'done');
    const over = await raw(t, 'PUT', `${UPLOAD}/${done.server}/${done.id}`, { token: alice.token, body: 'x' });
    assert.equal(over.status, 409);
  });

  test('a download of a created id waits for its upload; with timeout_ms=0 it is 504 M_NOT_YET_UPLOADED', async () => {
    const created = await t.req('POST', CREATE, { token: bob.token });
    const path = String(created.json.content_uri).slice('mxc://'.length);
    const now = await raw(t, 'GET', `${V1}/download/${path}?timeout_ms=0`, { token: alice.token });
    assert.equal(now.status, 504);
    assert.equal(now.json.errcode, 'M_NOT_YET_UPLOADED');
    const waiting = raw(t, 'GET', `${V1}/download/${path}?timeout_ms=10000`, { token: alice.token });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await raw(t, 'PUT', `${UPLOAD}/${path}`, { token: bob.token, body: 'arrived' })).status, 200);
    const res = await waiting;
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), 'arrived');
  });

  test(`at most ${MAX_PENDING_UPLOADS} created ids wait at once: then 429 M_LIMIT_EXCEEDED`, async () => {
    const dave = await t.register('dave');
    for (let i = 0; i < MAX_PENDING_UPLOADS; i++) assert.equal((await t.req('POST', CREATE, { token: dave.token })).status, 200);
    const over = await t.req('POST', CREATE, { token: dave.token });
    assert.equal(over.status, 429);
    assert.equal(over.json.errcode, 'M_LIMIT_EXCEEDED');
  });
});

describe('hostile ids', () => {
  test('media ids outside [A-Za-z0-9_-] and bad server names are 400 M_INVALID_PARAM; traversal reaches no file', async () => {
    for (const path of [
      `${t.serverName}/..%2F..%2Fhush.sqlite`,
      `${t.serverName}/a.b`,
      `${t.serverName}/${'a'.repeat(300)}`,
      'bad%20server/abc',
    ]) {
      const res = await raw(t, 'GET', `${V1}/download/${path}`, { token: alice.token });
      assert.equal(res.status, 400, path);
      assert.equal(res.json.errcode, 'M_INVALID_PARAM', path);
      const put = await raw(t, 'PUT', `${UPLOAD}/${path}`, { token: alice.token, body: 'x' });
      assert.equal(put.status, 400, path);
    }
    const nul = await raw(t, 'GET', `${V1}/download/${t.serverName}/a%00b`, { token: alice.token });
    assert.equal(nul.status, 400);
    // A dot-dot segment is resolved away before routing: no media route answers it.
    const dots = await raw(t, 'GET', `${V1}/download/${t.serverName}/%2e%2e`, { token: alice.token });
    assert.equal(dots.status, 404);
    assert.equal(dots.json.errcode, 'M_UNRECOGNIZED');
  });

  test('unknown and remote media are 404 M_NOT_FOUND', async () => {
    for (const path of [`${t.serverName}/doesNotExist`, 'example.org/abc']) {
      const res = await raw(t, 'GET', `${V1}/download/${path}`, { token: alice.token });
      assert.equal(res.status, 404, path);
      assert.equal(res.json.errcode, 'M_NOT_FOUND');
    }
  });
});

describe('thumbnails', () => {
  let photo: { server: string; id: string };
  before(async () => {
    const jpeg = await sharp({ create: { width: 2000, height: 1500, channels: 3, background: { r: 200, g: 30, b: 90 } } }).jpeg().toBuffer();
    photo = await upload(t, alice, jpeg, 'image/jpeg', 'photo.jpg');
  });

  const thumb = (w: number, h: number, method: string, id = photo.id) =>
    raw(t, 'GET', `${V1}/thumbnail/${t.serverName}/${id}?width=${w}&height=${h}&method=${method}`, { token: bob.token });

  test('320x240 scale of a 2000x1500 JPEG is a 320x240 JPEG, inline, with the safety headers', async () => {
    const res = await thumb(320, 240, 'scale');
    assert.equal(res.status, 200, res.body.toString());
    assert.equal(res.headers['content-type'], 'image/jpeg');
    assert.equal(res.headers['content-disposition'], 'inline; filename="thumbnail.jpeg"');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    const meta = await sharp(res.body).metadata();
    assert.deepEqual([meta.width, meta.height], [320, 240]);
  });

  test('sizes map onto the spec\'s set: 32x32 crop, 50x50 crop → 96x96, 700x500 scale → 800x600; made once, then cached', async () => {
    const cases: [number, number, string, number, number][] = [
      [32, 32, 'crop', 32, 32],
      [50, 50, 'crop', 96, 96],
      [700, 500, 'scale', 800, 600],
    ];
    for (const [w, h, m, ew, eh] of cases) {
      const res = await thumb(w, h, m);
      assert.equal(res.status, 200);
      const meta = await sharp(res.body).metadata();
      assert.deepEqual([meta.width, meta.height], [ew, eh], `${w}x${h} ${m}`);
    }
    const cached = await filesUnder(join(mediaDir, 'thumbnails'));
    assert.ok(cached.includes('96x96-crop.jpeg') && cached.includes('800x600-scale.jpeg'), cached.join(','));
    await thumb(50, 50, 'crop');
    assert.equal((await filesUnder(join(mediaDir, 'thumbnails'))).length, cached.length, 'nothing new for the same size');
  });

  test('an image smaller than asked is served as it is (never upscaled)', async () => {
    const png = await sharp({ create: { width: 10, height: 8, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0.5 } } }).png().toBuffer();
    const small = await upload(t, alice, png, 'image/png');
    const res = await thumb(96, 96, 'crop', small.id);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'image/png');
    assert.ok(res.body.equals(png));
  });

  test('no thumbnail of what is not an image (400), even when it says image/png; SVG is not decoded', async () => {
    const fake = await upload(t, alice, 'not a png at all', 'image/png');
    const res = await thumb(32, 32, 'crop', fake.id);
    assert.equal(res.status, 400);
    assert.equal(res.json.errcode, 'M_UNKNOWN');
    const svg = await upload(t, alice, '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"/>', 'image/svg+xml');
    assert.equal((await thumb(32, 32, 'crop', svg.id)).status, 400);
  });

  test('bad sizes are 400: width=0, width=abc, no height, method=stretch', async () => {
    for (const q of ['width=0&height=5', 'width=abc&height=5', 'width=5', 'width=5&height=5&method=stretch', 'width=-1&height=5']) {
      const res = await raw(t, 'GET', `${V1}/thumbnail/${t.serverName}/${photo.id}?${q}`, { token: bob.token });
      assert.equal(res.status, 400, q);
      assert.ok(['M_INVALID_PARAM', 'M_MISSING_PARAM'].includes(res.json.errcode), q);
    }
  });
});

describe('the deprecated unauthenticated /media/v3 reads', () => {
  test('frozen by default: 404 M_NOT_FOUND for media that exists', async () => {
    const { server, id } = await upload(t, alice, 'old way', 'text/plain');
    for (const url of [`/_matrix/media/v3/download/${server}/${id}`, `/_matrix/media/r0/download/${server}/${id}/x.txt`, `/_matrix/media/v3/thumbnail/${server}/${id}?width=1&height=1`, '/_matrix/media/v3/config']) {
      const res = await raw(t, 'GET', url);
      assert.equal(res.status, 404, url);
      assert.equal(res.json.errcode, 'M_NOT_FOUND', url);
    }
  });

  test('with legacy-media on, they serve without a token (and the r0 upload alias works)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hush-media-legacy-'));
    const legacy = await createSuiteApp({ config: { 'media-path': dir, 'legacy-media': 'on' } });
    try {
      const eve = await legacy.register('eve');
      const up = await raw(legacy, 'POST', '/_matrix/media/r0/upload?filename=n.txt', { token: eve.token, body: 'open', headers: { 'content-type': 'text/plain' } });
      assert.equal(up.status, 200);
      const path = String(up.json.content_uri).slice('mxc://'.length);
      const res = await raw(legacy, 'GET', `/_matrix/media/v3/download/${path}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), 'open');
      assert.equal(res.headers['content-disposition'], 'inline; filename="n.txt"');
      assert.equal((await raw(legacy, 'GET', '/_matrix/media/v3/config')).json['m.upload.size'], 50 * 1024 * 1024);
    } finally {
      await legacy.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
