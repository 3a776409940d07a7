// Another server's media through our client API, in-process (decision 0036), with the federation
// fetch replaced by a fake `MediaService.remote`: fetched once then served from the cache (also
// when concurrent first requests arrive together), the same headers as local media, thumbnails
// made here from the cached original; a fetched file over max-upload-size is 502 M_TOO_LARGE and
// leaves no file and no row; the fetcher's errors reach the client as they are.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { ErrCode, MatrixError } from '@hush/protocol';
import { createSuiteApp, type Session, type TestApp } from '../helpers.ts';
import type { FetchedMedia } from '../../src/services/media/media.ts';

const V1 = '/_matrix/client/v1/media';
const LIMIT = 64 * 1024;
let t: TestApp;
let bob: Session;
let mediaDir: string;
let png: Buffer;
/** What the fake remote server has, by `server/mediaId`. */
const remoteHas = new Map<string, FetchedMedia>();
const asked: string[] = [];

before(async () => {
  mediaDir = await mkdtemp(join(tmpdir(), 'hush-remote-media-'));
  t = await createSuiteApp({ config: { 'media-path': mediaDir, 'max-upload-size': String(LIMIT) } });
  bob = await t.register('rm_bob');
  png = await sharp({ create: { width: 300, height: 200, channels: 3, background: { r: 0, g: 128, b: 0 } } }).png().toBuffer();
  t.services.media.remote = async (server, mediaId, maxBytes) => {
    assert.equal(maxBytes, LIMIT);
    asked.push(`${server}/${mediaId}`);
    await new Promise((r) => setTimeout(r, 20));
    const m = remoteHas.get(`${server}/${mediaId}`);
    if (!m) throw new MatrixError(502, ErrCode.UNKNOWN, 'Remote media unavailable: gone');
    return m;
  };
});
after(async () => {
  await t?.close();
  await rm(mediaDir, { recursive: true, force: true });
});

async function get(path: string) {
  const res = await t.app.inject({ method: 'GET', url: `${V1}/${path}`, headers: { authorization: `Bearer ${bob.token}` } });
  return { status: res.statusCode, headers: res.headers, body: res.rawPayload, json: () => JSON.parse(res.body) as { errcode: string } };
}

async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
}

describe('remote media (fake federation fetch)', () => {
  test('fetched once, then served from the cache with the headers of local media; concurrent first asks share the fetch', async () => {
    remoteHas.set('other.example/Pic1', { bytes: png, contentType: 'image/png', fileName: 'leaf.png' });
    const [r1, r2] = await Promise.all([get('download/other.example/Pic1'), get('download/other.example/Pic1')]);
    for (const r of [r1, r2]) {
      assert.equal(r.status, 200);
      assert.ok(r.body.equals(png));
      assert.equal(r.headers['content-type'], 'image/png');
      assert.equal(r.headers['content-disposition'], 'inline; filename="leaf.png"');
      assert.match(String(r.headers['content-security-policy']), /^sandbox;/);
    }
    const again = await get('download/other.example/Pic1');
    assert.equal(again.status, 200);
    assert.ok(again.body.equals(png));
    const th = await get('thumbnail/other.example/Pic1?width=32&height=32&method=crop');
    assert.equal(th.status, 200);
    const meta = await sharp(th.body).metadata();
    assert.deepEqual([meta.width, meta.height], [32, 32]);
    assert.deepEqual(asked.filter((k) => k === 'other.example/Pic1'), ['other.example/Pic1'], 'one fetch for four requests');
  });

  test('a fetched file over max-upload-size: 502 M_TOO_LARGE, no file, no row; asked again next time', async () => {
    const before = await filesUnder(mediaDir);
    remoteHas.set('other.example/Big', { bytes: Buffer.alloc(LIMIT + 1, 7), contentType: 'application/octet-stream', fileName: null });
    const res = await get('download/other.example/Big');
    assert.equal(res.status, 502);
    assert.equal(res.json().errcode, 'M_TOO_LARGE');
    assert.deepEqual(await filesUnder(mediaDir), before, 'nothing kept on disk');
    const row = await t.database.db.selectFrom('media').select('media_id').where('media_id', '=', 'other.example/Big').executeTakeFirst();
    assert.equal(row, undefined, 'no media row');
    remoteHas.delete('other.example/Big');
    const again = await get('download/other.example/Big');
    assert.equal(again.status, 502);
    assert.equal(again.json().errcode, 'M_UNKNOWN');
  });

  test("a hostile type or name is sanitised: unknown type → octet-stream attachment, a name with CR/LF is dropped from the header", async () => {
    remoteHas.set('other.example/Odd', { bytes: Buffer.from('<script>x</script>'), contentType: 'text/html\r\nX-Evil: 1', fileName: 'a\r\nb.html' });
    const res = await get('download/other.example/Odd');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/octet-stream');
    assert.match(String(res.headers['content-disposition']), /^attachment/);
    assert.equal(res.headers['x-evil'], undefined);
  });

  test('bad server names or media ids are 400 before anything is fetched', async () => {
    const n = asked.length;
    for (const path of ['download/other.example/a.b', 'download/bad%20name/abc']) {
      const res = await get(path);
      assert.equal(res.status, 400, path);
    }
    assert.equal(asked.length, n);
  });
});
