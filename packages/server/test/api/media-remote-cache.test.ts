// The remote media cache's bound (`remote-media-cache-size`, decision 0038), in-process with a fake
// federation fetch: over the bound, the least recently used remote media leaves first (its row, its
// file, its thumbnails) and is fetched again when asked for; a use moves it to the back; local
// uploads are never evicted, nor are bytes a local upload shares; a file kept moments ago (an upload
// of the same bytes may be committing) waits; the media being served stays even when it alone is
// over the bound; 0 is no bound; the setting is checked when read.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig, ConfigError } from '../../src/config/config.ts';
import { DEFAULT_REMOTE_CACHE_BYTES } from '../../src/config/media.ts';
import { createSuiteApp, type Session, type TestApp } from '../helpers.ts';
import type { FetchedMedia } from '../../src/services/media/media.ts';

const V1 = '/_matrix/client/v1/media';
const SIZE = 10_000;
/** Room for two remote files of SIZE, not three. */
const BOUND = 2 * SIZE + SIZE / 2;

let t: TestApp;
let bob: Session;
let mediaDir: string;
const remoteHas = new Map<string, FetchedMedia>();
const asked: string[] = [];
const bytesOf = new Map<string, Buffer>();

before(async () => {
  mediaDir = await mkdtemp(join(tmpdir(), 'hush-remote-cache-'));
  t = await createSuiteApp({ config: { 'media-path': mediaDir, 'remote-media-cache-size': String(BOUND) } });
  bob = await t.register('rc_bob');
  t.services.media.remote = async (server, mediaId) => {
    asked.push(`${server}/${mediaId}`);
    const m = remoteHas.get(`${server}/${mediaId}`);
    if (!m) throw new Error(`the fake remote has no ${server}/${mediaId}`);
    return m;
  };
});
after(async () => {
  await t?.close();
  await rm(mediaDir, { recursive: true, force: true });
});

function offer(key: string, bytes: Buffer = randomBytes(SIZE)): Buffer {
  remoteHas.set(key, { bytes, contentType: 'application/octet-stream', fileName: null });
  bytesOf.set(key, bytes);
  return bytes;
}

/** Every content file made to look kept an hour ago (eviction waits for files kept moments ago). */
async function ageFiles(): Promise<void> {
  const old = new Date(Date.now() - 3600_000);
  for (const e of await readdir(join(mediaDir, 'content'), { recursive: true, withFileTypes: true }).catch(() => [])) {
    if (e.isFile()) await utimes(join(e.parentPath, e.name), old, old);
  }
}

/** A download, the files there before it aged first. */
async function fetchAged(path: string) {
  await ageFiles();
  return get(path);
}

async function get(path: string) {
  const res = await t.app.inject({ method: 'GET', url: `${V1}/${path}`, headers: { authorization: `Bearer ${bob.token}` } });
  return { status: res.statusCode, body: res.rawPayload };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const contentFile = (b: Buffer) => join(mediaDir, 'content', sha(b).slice(0, 2), sha(b).slice(2, 4), sha(b));
const exists = (p: string) => stat(p).then(() => true, () => false);
const rowOf = (key: string) => t.database.db.selectFrom('media').select(['media_id', 'last_access_ts']).where('media_id', '=', key).executeTakeFirst();

/** Makes the cached rows of `keys` look last used at `ts`. */
async function usedAt(entries: [key: string, ts: number][]): Promise<void> {
  for (const [key, ts] of entries) await t.database.db.updateTable('media').set({ last_access_ts: ts }).where('media_id', '=', key).execute();
}

describe('remote media cache bound', () => {
  test('over the bound the least recently used remote media goes, file and thumbnails too; a use moves media to the back', async () => {
    offer('a.example/A');
    offer('b.example/B');
    offer('c.example/C');
    assert.equal((await get('download/a.example/A')).status, 200);
    assert.equal((await get('download/b.example/B')).status, 200);
    // A is older than B, but A is used again: B becomes the least recently used.
    await usedAt([['a.example/A', 1_000], ['b.example/B', 2_000]]);
    const a = await get('download/a.example/A');
    assert.ok(a.body.equals(bytesOf.get('a.example/A')!), 'served from the cache');
    assert.ok(Number((await rowOf('a.example/A'))?.last_access_ts) > 2_000, 'the use was recorded');
    await mkdirThumbs(bytesOf.get('b.example/B')!);

    assert.equal((await fetchAged('download/c.example/C')).status, 200);
    assert.equal(await rowOf('b.example/B'), undefined, 'B, least recently used, is evicted');
    assert.equal(await exists(contentFile(bytesOf.get('b.example/B')!)), false, 'with its file');
    assert.equal(await exists(thumbDir(bytesOf.get('b.example/B')!)), false, 'and its thumbnails');
    assert.ok(await rowOf('a.example/A'));
    assert.ok(await rowOf('c.example/C'));

    const n = asked.length;
    assert.equal((await get('download/a.example/A')).status, 200);
    assert.equal((await get('download/c.example/C')).status, 200);
    assert.equal(asked.length, n, 'A and C are still cached');
    const b = await fetchAged('download/b.example/B');
    assert.equal(b.status, 200);
    assert.ok(b.body.equals(bytesOf.get('b.example/B')!));
    assert.deepEqual(asked.slice(n), ['b.example/B'], 'B is fetched again');
  });

  test('local uploads are never evicted, nor the file a remote media shares with one', async () => {
    const shared = randomBytes(SIZE);
    const up = await t.app.inject({ method: 'POST', url: '/_matrix/media/v3/upload', headers: { authorization: `Bearer ${bob.token}`, 'content-type': 'application/octet-stream' }, payload: shared });
    assert.equal(up.statusCode, 200, up.body);
    const localId = (JSON.parse(up.body) as { content_uri: string }).content_uri.split('/').pop()!;
    await t.database.db.updateTable('media').set({ created_ts: 1, uploaded_ts: 1 }).where('media_id', '=', localId).execute();
    offer('d.example/Same', shared);
    assert.equal((await fetchAged('download/d.example/Same')).status, 200);
    await usedAt([['d.example/Same', 500]]);
    offer('e.example/E');
    offer('f.example/F');
    // Not aged: the local upload's file is fresh, yet its bytes are never the remote row's alone.
    assert.equal((await get('download/e.example/E')).status, 200);
    assert.equal((await fetchAged('download/f.example/F')).status, 200);
    assert.equal(await rowOf('d.example/Same'), undefined, 'the remote row went');
    assert.ok(await rowOf(localId), 'the local upload stays');
    assert.equal(await exists(contentFile(shared)), true, 'and so do the bytes it shares');
    const local = await get(`download/${t.serverName}/${localId}`);
    assert.equal(local.status, 200);
    assert.ok(local.body.equals(shared));
    const remoteBytes = Number((await t.database.db.selectFrom('media').select((eb) => eb.fn.sum<number>('size').as('n')).where('media_id', 'like', '%/%').executeTakeFirst())?.n);
    assert.ok(remoteBytes <= BOUND, `remote bytes ${remoteBytes} within ${BOUND}`);
  });

  test('a remote file kept moments ago is not evicted with its row: it waits until it is older', async () => {
    offer('w.example/Fresh');
    assert.equal((await fetchAged('download/w.example/Fresh')).status, 200);
    await usedAt([['w.example/Fresh', 10]]); // the least recently used, but its file is fresh
    offer('w.example/Next');
    assert.equal((await get('download/w.example/Next')).status, 200);
    assert.ok(await rowOf('w.example/Fresh'), 'a fresh file waits');
    assert.equal(await exists(contentFile(bytesOf.get('w.example/Fresh')!)), true);
    await ageFiles();
    t.services.media.config.remoteCacheBytes = SIZE + SIZE / 2; // room for one: Fresh must go now
    try {
      assert.equal(await t.services.media.trimRemoteCache(), 1);
    } finally {
      t.services.media.config.remoteCacheBytes = BOUND;
    }
    assert.equal(await rowOf('w.example/Fresh'), undefined, 'evicted once older');
    assert.ok(await rowOf('w.example/Next'));
    assert.equal(await exists(contentFile(bytesOf.get('w.example/Fresh')!)), false);
  });

  test('the media being served stays even when it alone is over the bound', async () => {
    const big = offer('g.example/Big', randomBytes(BOUND + 1));
    const res = await fetchAged('download/g.example/Big');
    assert.equal(res.status, 200);
    assert.ok(res.body.equals(big));
    assert.ok(await rowOf('g.example/Big'));
    const left = await t.database.db.selectFrom('media').select('media_id').where('media_id', 'like', '%/%').execute();
    assert.deepEqual(left.map((r) => r.media_id), ['g.example/Big'], 'every other remote media made room');
  });

  test('0 is no bound: nothing is evicted', async () => {
    t.services.media.config.remoteCacheBytes = 0;
    try {
      for (const k of ['h.example/1', 'h.example/2', 'h.example/3']) {
        offer(k);
        assert.equal((await get(`download/${k}`)).status, 200);
      }
      assert.equal(await t.services.media.trimRemoteCache(), 0);
      for (const k of ['g.example/Big', 'h.example/1', 'h.example/2', 'h.example/3']) assert.ok(await rowOf(k), k);
    } finally {
      t.services.media.config.remoteCacheBytes = BOUND;
    }
  });

  test('a use is recorded at most once a minute', async () => {
    offer('u.example/Used');
    assert.equal((await fetchAged('download/u.example/Used')).status, 200);
    const recent = Date.now() - 30_000;
    await usedAt([['u.example/Used', recent]]);
    assert.equal((await get('download/u.example/Used')).status, 200);
    assert.equal(Number((await rowOf('u.example/Used'))?.last_access_ts), recent, 'used 30 s ago: not written again');
    const old = Date.now() - 120_000;
    await usedAt([['u.example/Used', old]]);
    assert.equal((await get('download/u.example/Used')).status, 200);
    assert.ok(Number((await rowOf('u.example/Used'))?.last_access_ts) > old, 'used 2 min ago: now');
  });

  test('remote-media-cache-size: sizes like max-upload-size, 1G by default, bad values refused', () => {
    assert.equal(resolveConfig({}).media.remoteCacheBytes, DEFAULT_REMOTE_CACHE_BYTES);
    assert.equal(DEFAULT_REMOTE_CACHE_BYTES, 1024 ** 3);
    assert.equal(resolveConfig({ 'remote-media-cache-size': '512M' }).media.remoteCacheBytes, 512 * 1024 ** 2);
    assert.equal(resolveConfig({ 'remote-media-cache-size': '0' }).media.remoteCacheBytes, 0);
    for (const bad of ['-1', 'lots', '1.5G', '']) assert.throws(() => resolveConfig({ 'remote-media-cache-size': bad }), ConfigError, bad);
  });
});

function thumbDir(b: Buffer): string {
  return join(mediaDir, 'thumbnails', sha(b).slice(0, 2), sha(b));
}

/** A thumbnail file for the bytes, as the thumbnailer would leave one. */
async function mkdirThumbs(b: Buffer): Promise<void> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  await mkdir(thumbDir(b), { recursive: true });
  await writeFile(join(thumbDir(b), '32x32-crop.png'), 'x');
  assert.ok((await readdir(thumbDir(b))).length === 1);
}
