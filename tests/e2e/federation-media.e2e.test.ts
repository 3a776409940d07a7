// Media across federation (issue 24, decision 0036): two `hush serve` processes over TLS on
// loopback. A user on A uploads; a user on B downloads and thumbnails it through B, which fetches
// it once over /_matrix/federation/v1/media/download, keeps it in its own content-addressed store
// and keeps serving it when A is gone. B's upload limit is small: a larger remote file is refused
// (502 M_TOO_LARGE) and nothing of it is stored. Unknown remote media is 404, an unreachable
// server 502 M_UNKNOWN.

import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { client, type ClientSession } from '../support/server.ts';
import { FederationTestbed, type FederatingServer } from './support/federation.ts';

let bed: FederationTestbed;
let a: FederatingServer;
let b: FederatingServer;
let alice: ClientSession;
let bob: ClientSession;
let png: Buffer;
let blob: Buffer;
let imageUri: string;
let blobUri: string;

before(async () => {
  bed = new FederationTestbed();
  [a, b] = await Promise.all([bed.start(), bed.start({ extra: ['--max-upload-size', '64K'] })]);
  alice = await client(a.proc.baseUrl).register('fm_alice');
  bob = await client(b.proc.baseUrl).register('fm_bob');
  png = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 200, g: 40, b: 90 } } }).png().toBuffer();
  blob = randomBytes(100 * 1024);
  imageUri = await upload(png, 'image/png', 'red.png');
  blobUri = await upload(blob, 'application/octet-stream', 'noise.bin');
});

after(async () => {
  await bed?.close();
});

async function upload(bytes: Buffer, type: string, name: string): Promise<string> {
  const res = await fetch(`${a.proc.baseUrl}/_matrix/media/v3/upload?filename=${name}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${alice.token}`, 'content-type': type },
    body: new Uint8Array(bytes),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { content_uri: string }).content_uri;
}

/** GET through B's client API as bob. */
function viaB(kind: 'download' | 'thumbnail', uri: string, query = ''): Promise<Response> {
  return fetch(`${b.proc.baseUrl}/_matrix/client/v1/media/${kind}/${uri.slice('mxc://'.length)}${query}`, { headers: { authorization: `Bearer ${bob.token}` } });
}

const storedOn = (s: FederatingServer, bytes: Buffer) => {
  const sha = createHash('sha256').update(bytes).digest('hex');
  return existsSync(join(s.proc.dir, 'media', 'content', sha.slice(0, 2), sha.slice(2, 4), sha));
};

async function errcode(res: Response): Promise<string> {
  return ((await res.json()) as { errcode: string }).errcode;
}

describe('remote media through federation', () => {
  test('A serves its media to servers only: an unsigned federation download is 401', async () => {
    const res = await fetch(`${a.proc.baseUrl}/_matrix/federation/v1/media/download/${imageUri.split('/').pop()}`);
    assert.equal(res.status, 401);
  });

  test("bob on B downloads alice's image from A through B: same bytes, same headers as local media; a thumbnail is an image", async () => {
    assert.match(imageUri, new RegExp(`^mxc://${a.name}/`));
    assert.equal(storedOn(b, png), false);
    const dl = await viaB('download', imageUri);
    assert.equal(dl.status, 200, await dl.clone().text());
    assert.ok(Buffer.from(await dl.arrayBuffer()).equals(png), 'the bytes alice uploaded');
    assert.equal(dl.headers.get('content-type'), 'image/png');
    assert.equal(dl.headers.get('content-disposition'), 'inline; filename="red.png"');
    assert.match(dl.headers.get('content-security-policy') ?? '', /^sandbox;/);
    assert.ok(storedOn(b, png), 'cached in B’s content-addressed store');

    const th = await viaB('thumbnail', imageUri, '?width=320&height=240&method=scale');
    assert.equal(th.status, 200, await th.clone().text());
    assert.match(th.headers.get('content-type') ?? '', /^image\//);
    const meta = await sharp(Buffer.from(await th.arrayBuffer())).metadata();
    assert.deepEqual([meta.width, meta.height], [320, 240]);
  });

  test('media A does not have is 404 M_NOT_FOUND on B', async () => {
    const res = await viaB('download', `mxc://${a.name}/NoSuchMediaHere`);
    assert.equal(res.status, 404);
    assert.equal(await errcode(res), 'M_NOT_FOUND');
  });

  test('hostile: a remote file larger than B’s max-upload-size is refused (502 M_TOO_LARGE) and nothing is stored', async () => {
    const res = await viaB('download', blobUri);
    assert.equal(res.status, 502);
    assert.equal(await errcode(res), 'M_TOO_LARGE');
    assert.equal(storedOn(b, blob), false);
  });

  test('A stopped: B still serves the cached image and its thumbnail; never-fetched media is 502 M_UNKNOWN', async () => {
    await a.proc.stop();
    const dl = await viaB('download', imageUri);
    assert.equal(dl.status, 200, await dl.clone().text());
    assert.ok(Buffer.from(await dl.arrayBuffer()).equals(png));
    const th = await viaB('thumbnail', imageUri, '?width=96&height=96&method=crop');
    assert.equal(th.status, 200, await th.clone().text());
    const meta = await sharp(Buffer.from(await th.arrayBuffer())).metadata();
    assert.deepEqual([meta.width, meta.height], [96, 96]);
    // The too-large file was not kept: asking again goes to A, which is gone.
    const gone = await viaB('download', blobUri);
    assert.equal(gone.status, 502);
    assert.equal(await errcode(gone), 'M_UNKNOWN');
  });
});
