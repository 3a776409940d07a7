// The content repository's bytes on disk, named by their SHA-256 (identical uploads share one
// file): `content/ab/cd/<sha256>`, thumbnails under `thumbnails/ab/<sha256>/`, uploads in progress
// under `tmp/`. Every name is built here from a hex digest or a fixed pattern, never from what a
// client sent. Streams a body to a temp file under a size limit without holding it in memory.

import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, utimes, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

/** The body went over the limit; what was written is already removed. */
export class SizeLimitExceeded extends Error {}
/** The client went away before the body ended. */
export class UploadAborted extends Error {}

export interface Received {
  tmpPath: string;
  sha256: string;
  size: number;
}

const HEX64 = /^[0-9a-f]{64}$/;
/** A thumbnail's file name: `<w>x<h>-<method>.<ext>`. */
const THUMB_NAME = /^[0-9]{1,5}x[0-9]{1,5}-(crop|scale)\.(jpeg|png)$/;

function checkDigest(sha256: string): string {
  if (!HEX64.test(sha256)) throw new Error(`not a sha256 digest: ${JSON.stringify(sha256)}`);
  return sha256;
}

export class MediaFiles {
  readonly root: string;
  private readonly tmpDir: string;
  private ready: Promise<void> | undefined;

  constructor(root: string) {
    this.root = root;
    this.tmpDir = join(root, 'tmp');
  }

  private async ensureDirs(): Promise<void> {
    this.ready ??= (async () => {
      for (const d of ['content', 'thumbnails', 'tmp']) await mkdir(join(this.root, d), { recursive: true });
    })();
    return this.ready;
  }

  contentPath(sha256: string): string {
    const h = checkDigest(sha256);
    return join(this.root, 'content', h.slice(0, 2), h.slice(2, 4), h);
  }

  thumbnailPath(sha256: string, name: string): string {
    const h = checkDigest(sha256);
    if (!THUMB_NAME.test(name)) throw new Error(`not a thumbnail name: ${JSON.stringify(name)}`);
    return join(this.root, 'thumbnails', h.slice(0, 2), h, name);
  }

  /** Streams `src` into a temp file, hashing as it goes. Past `limit` bytes it stops reading (the
   *  request is paused, not destroyed, so a 413 can still be sent), removes the file and throws
   *  SizeLimitExceeded. */
  async receive(src: Readable, limit: number): Promise<Received> {
    await this.ensureDirs();
    const tmpPath = join(this.tmpDir, `${randomBytes(12).toString('hex')}.part`);
    const out = createWriteStream(tmpPath, { flags: 'wx' });
    const hash = createHash('sha256');
    let size = 0;
    try {
      await new Promise<void>((resolve, reject) => {
        let settled = false;
        const finish = (err?: Error) => {
          if (settled) return;
          settled = true;
          src.off('data', onData);
          src.off('end', onEnd);
          src.off('error', onError);
          src.off('close', onClose);
          if (err) {
            src.pause();
            out.destroy();
            reject(err);
          } else out.end(() => resolve());
        };
        const onData = (chunk: Buffer) => {
          size += chunk.length;
          if (size > limit) return finish(new SizeLimitExceeded(`over ${limit} bytes`));
          hash.update(chunk);
          if (!out.write(chunk)) {
            src.pause();
            out.once('drain', () => src.resume());
          }
        };
        const onEnd = () => finish();
        const onError = (err: Error) => finish(new UploadAborted(err.message));
        const onClose = () => finish(new UploadAborted('the connection closed before the body ended'));
        out.on('error', (err) => finish(err));
        src.on('data', onData);
        src.on('end', onEnd);
        src.on('error', onError);
        src.on('close', onClose);
        if (src.readableEnded) finish();
        else src.resume();
      });
    } catch (err) {
      // The file is opened asynchronously: a stream destroyed before its open completed still
      // creates the file, so it is removed only once the stream has closed.
      if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
      await rm(tmpPath, { force: true });
      throw err;
    }
    return { tmpPath, sha256: hash.digest('hex'), size };
  }

  /** Moves a received file to its content name; a file with that digest already there is the same
   *  bytes, so the temp file is dropped instead and the file's time is renewed: the remote cache's
   *  eviction leaves a file renewed this recently alone, as the row that will use it may not be
   *  committed yet. */
  async keep(r: Received): Promise<void> {
    const dest = this.contentPath(r.sha256);
    if (await exists(dest)) {
      await rm(r.tmpPath, { force: true });
      const now = new Date();
      await utimes(dest, now, now).catch(() => undefined);
      if (await exists(dest)) return;
    }
    await mkdir(join(dest, '..'), { recursive: true });
    await rename(r.tmpPath, dest);
  }

  /** Whether the file of `sha256` was kept (or renewed by `keep`) less than `ms` ago. */
  async keptWithin(sha256: string, ms: number, now = Date.now()): Promise<boolean> {
    const st = await stat(this.contentPath(sha256)).catch(() => undefined);
    return st !== undefined && st.mtimeMs > now - ms;
  }

  /** Removes the bytes of `sha256` and their thumbnails (the caller knows no row holds them). */
  async remove(sha256: string): Promise<void> {
    await rm(this.contentPath(sha256), { force: true });
    const h = checkDigest(sha256);
    await rm(join(this.root, 'thumbnails', h.slice(0, 2), h), { recursive: true, force: true });
  }

  async discard(r: Received): Promise<void> {
    await rm(r.tmpPath, { force: true });
  }

  /** The open file, or undefined when it is missing. The caller closes it. */
  async openContent(sha256: string): Promise<FileHandle | undefined> {
    return openIfExists(this.contentPath(sha256));
  }

  async openThumbnail(sha256: string, name: string): Promise<FileHandle | undefined> {
    return openIfExists(this.thumbnailPath(sha256, name));
  }

  /** Writes a thumbnail whole (temp file, then rename), so a reader never sees half of one. */
  async writeThumbnail(sha256: string, name: string, bytes: Buffer): Promise<void> {
    await this.ensureDirs();
    const dest = this.thumbnailPath(sha256, name);
    await mkdir(join(dest, '..'), { recursive: true });
    const tmp = join(this.tmpDir, `${randomBytes(12).toString('hex')}.thumb`);
    await writeFile(tmp, bytes, { flag: 'wx' });
    await rename(tmp, dest);
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function openIfExists(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
