// Thumbnails (spec "Thumbnails"): a request is mapped onto the spec's recommended set (32x32 crop,
// 96x96 crop, 320x240 scale, 640x480 scale, 800x600 scale), so the cache per file stays bounded
// whatever sizes clients ask for; each is made once with sharp (libvips) and kept on disk.
// "Servers MUST NOT upscale thumbnails": an image no larger than the size asked for is served as it
// is. Only JPEG, PNG, WebP and GIF sources are decoded (never SVG), and never past MAX_PIXELS.

import { createRequire } from 'node:module';
import type { Sharp, SharpOptions } from 'sharp';
import type { MediaFiles } from '../../storage/media-files.ts';

export type ThumbnailMethod = 'crop' | 'scale';
export interface ThumbnailSize {
  width: number;
  height: number;
  method: ThumbnailMethod;
}

export const THUMBNAIL_SIZES: readonly ThumbnailSize[] = [
  { width: 32, height: 32, method: 'crop' },
  { width: 96, height: 96, method: 'crop' },
  { width: 320, height: 240, method: 'scale' },
  { width: 640, height: 480, method: 'scale' },
  { width: 800, height: 600, method: 'scale' },
];

/** Decoded size beyond which no thumbnail is made (Synapse's default max_image_pixels, 32M). */
export const MAX_PIXELS = 32_000_000;
const SOURCE_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif']);

/** The source cannot be thumbnailed (not an image we decode, or not decodable). */
export class NotThumbnailable extends Error {}
/** The source image is larger than MAX_PIXELS. */
export class TooLargeToThumbnail extends Error {}

export interface ThumbnailFile {
  /** Where the bytes are: a cached thumbnail, or the original when it is already small enough. */
  kind: 'thumbnail' | 'original';
  name: string;
  contentType: string;
}

/** The size to serve for a request: the smallest of the set, of the same method, that is at least
 *  as large both ways; a crop larger than every crop size is served by the scale sizes; past the
 *  largest, the largest. */
export function chooseSize(width: number, height: number, method: ThumbnailMethod): ThumbnailSize {
  const covers = (s: ThumbnailSize) => s.width >= width && s.height >= height;
  const byArea = (a: ThumbnailSize, b: ThumbnailSize) => a.width * a.height - b.width * b.height;
  const same = THUMBNAIL_SIZES.filter((s) => s.method === method && covers(s)).sort(byArea);
  if (same[0]) return same[0];
  const scale = THUMBNAIL_SIZES.filter((s) => s.method === 'scale' && covers(s)).sort(byArea);
  return scale[0] ?? THUMBNAIL_SIZES[THUMBNAIL_SIZES.length - 1]!;
}

type SharpFn = (input: string, options?: SharpOptions) => Sharp;
type SharpModule = SharpFn & { cache(options: boolean): void };
let sharpLoaded: SharpFn | undefined;
/** sharp (native libvips) loads on the first thumbnail, not at start-up. By require: the bundled
 *  `hush` runs in a vm script where a dynamic import() cannot load a module. */
function loadSharp(): SharpFn {
  if (!sharpLoaded) {
    const sharp = createRequire(import.meta.url)('sharp') as SharpModule;
    // Files are read once per thumbnail and then cached by us: libvips' own cache would only hold memory.
    sharp.cache(false);
    sharpLoaded = sharp as unknown as SharpFn;
  }
  return sharpLoaded;
}

export class Thumbnailer {
  private readonly inFlight = new Map<string, Promise<ThumbnailFile>>();

  constructor(private readonly files: MediaFiles) {}

  /** The thumbnail of the file `sha256` at `size`, made now if it is not cached yet. */
  async get(sha256: string, size: ThumbnailSize): Promise<ThumbnailFile> {
    const key = `${sha256}/${size.width}x${size.height}-${size.method}`;
    let p = this.inFlight.get(key);
    if (!p) {
      p = this.make(sha256, size).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, p);
    }
    return p;
  }

  private async make(sha256: string, size: ThumbnailSize): Promise<ThumbnailFile> {
    const base = `${size.width}x${size.height}-${size.method}`;
    for (const ext of ['jpeg', 'png'] as const) {
      const cached = await this.files.openThumbnail(sha256, `${base}.${ext}`);
      if (cached) {
        await cached.close();
        return { kind: 'thumbnail', name: `${base}.${ext}`, contentType: `image/${ext}` };
      }
    }
    const sharp = loadSharp();
    const source = this.files.contentPath(sha256);
    const options: SharpOptions = { limitInputPixels: MAX_PIXELS, failOn: 'error', animated: false };
    let meta;
    try {
      meta = await sharp(source, options).metadata();
    } catch {
      throw new NotThumbnailable('not a decodable image');
    }
    if (!meta.format || !SOURCE_FORMATS.has(meta.format) || !meta.width || !meta.height) throw new NotThumbnailable(`cannot thumbnail ${meta.format ?? 'this'}`);
    if (meta.width * meta.height > MAX_PIXELS) throw new TooLargeToThumbnail(`${meta.width}x${meta.height}`);
    // EXIF orientations 5–8 swap the sides once the image is turned upright.
    const [w, h] = (meta.orientation ?? 1) >= 5 ? [meta.height, meta.width] : [meta.width, meta.height];
    // An animated original is never served as it is: a thumbnail is still unless asked otherwise.
    if (w <= size.width && h <= size.height && (meta.pages ?? 1) === 1) {
      return { kind: 'original', name: '', contentType: `image/${meta.format}` };
    }
    const ext = meta.format === 'jpeg' ? 'jpeg' : 'png';
    let bytes: Buffer;
    try {
      const pipeline = sharp(source, options)
        .rotate()
        .resize(size.width, size.height, { fit: size.method === 'crop' ? 'cover' : 'inside', withoutEnlargement: true });
      bytes = await (ext === 'jpeg' ? pipeline.jpeg({ quality: 80, mozjpeg: false }) : pipeline.png()).toBuffer();
    } catch {
      throw new NotThumbnailable('the image could not be decoded');
    }
    const name = `${base}.${ext}`;
    await this.files.writeThumbnail(sha256, name, bytes);
    return { kind: 'thumbnail', name, contentType: `image/${ext}` };
  }
}
