// The content repository (spec "Content repository"): uploads (one step, or an id created first and
// its bytes put later by the same user, once, before the id expires), downloads and thumbnails of
// our own media, the upload limit and a per-user quota. Another server's media is fetched once
// through `remote` (federation, decision 0036), checked against the upload limit and cached: a row
// keyed `<server>/<mediaId>` (local ids never hold a `/`) whose user_id is the server name, over the
// same content-addressed files, within `remote-media-cache-size`: the least recently used remote
// media leaves first, never a local upload (decision 0038). "homeservers MUST sanitise mxc:// URIs":
// server names are parsed, media ids are [A-Za-z0-9_-] only, and file names on disk are content
// digests (storage/media-files.ts).

import { randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { ErrCode, MatrixError, forbidden, invalidParam, isServerName, notFound, type ServerName, type UserId } from '@hush/protocol';
import type { MediaConfig } from '../../config/media.ts';
import type { Db, Tx } from '../../storage/db.ts';
import { mediaStore, type MediaContent, type MediaRow } from '../../storage/media.store.ts';
import { MediaFiles, SizeLimitExceeded, UploadAborted, type Received } from '../../storage/media-files.ts';
import { NotThumbnailable, Thumbnailer, TooLargeToThumbnail, chooseSize, type ThumbnailMethod } from './thumbnails.ts';

/** "The recommended default expiration is 24 hours" for a created id's upload. */
export const UNUSED_EXPIRY_MS = 24 * 3600_000;
/** Created ids a user may have waiting at once (as Synapse's default). */
export const MAX_PENDING_UPLOADS = 5;
/** How long a download waits for a pending upload when the client does not say. */
const DEFAULT_TIMEOUT_MS = 20_000;
const MEDIA_ID = /^[A-Za-z0-9_-]{1,255}$/;
/** A cached remote media's last use is written again at most this often. */
export const REMOTE_TOUCH_EVERY_MS = 60_000;
/** A remote media whose file was kept (or found already there) this recently is not evicted when it
 *  is the file's last holder: an upload of the same bytes may not have committed its row yet. */
const FILE_GRACE_MS = 5 * 60_000;
/** Rounds of the eviction loop at most, each over the least recently used rows. */
const MAX_TRIM_ROUNDS = 20;

export interface UploadBody {
  stream: Readable;
  contentType: string | undefined;
  declaredLength: number | undefined;
}

/** The bytes of another server's media, as its server sent them (untrusted). */
export interface FetchedMedia {
  bytes: Buffer;
  contentType: string | undefined;
  fileName: string | null;
}

/** Fetches another server's media; throws a MatrixError the client may see. Set when federation is on. */
export type RemoteMediaSource = (server: ServerName, mediaId: string, maxBytes: number) => Promise<FetchedMedia>;

/** An open file to send: the caller streams and closes it. */
export interface MediaFile {
  handle: FileHandle;
  size: number;
  contentType: string;
  uploadName: string | null;
}

/** A stored content type: a plain `type/subtype` with printable parameters, at most 255 characters;
 *  anything else (or nothing) is application/octet-stream, as the spec says for an unknown type. */
export function normalizeContentType(raw: string | undefined): string {
  const s = (raw ?? '').trim();
  if (s.length === 0 || s.length > 255) return 'application/octet-stream';
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*;[\x20-\x7e]*)?$/.test(s) ? s : 'application/octet-stream';
}

const tooLarge = (limit: number) => new MatrixError(413, ErrCode.TOO_LARGE, `Cannot upload files larger than ${limit} bytes`);
const quotaReached = () => forbidden('Cannot upload this content: your media quota is used up');

export class MediaService {
  readonly files: MediaFiles;
  private readonly thumbnailer: Thumbnailer;
  /** Downloads waiting for an async upload in this process, woken when it lands. */
  private readonly waiting = new Map<string, Set<() => void>>();
  /** Remote fetches under way in this process: one per media, however many ask at once. */
  private readonly fetching = new Map<string, Promise<MediaContent>>();
  /** How another server's media is fetched; unset (federation off): remote media is 404. */
  remote: RemoteMediaSource | undefined;

  constructor(
    private readonly db: Db,
    private readonly serverName: ServerName,
    readonly config: MediaConfig,
    files?: MediaFiles,
  ) {
    this.files = files ?? new MediaFiles(config.path);
    this.thumbnailer = new Thumbnailer(this.files);
  }

  uploadSizeLimit(): number {
    return this.config.maxUploadBytes;
  }

  /** POST /media/v3/upload: stores the bytes and answers their mxc:// URI. */
  async upload(userId: UserId, body: UploadBody, filename: string | undefined, now = Date.now()): Promise<string> {
    this.checkDeclared(body);
    await this.checkQuota(userId, body.declaredLength ?? 0);
    const received = await this.receive(body);
    const mediaId = newMediaId();
    await this.store(userId, received, async (tx, content) => {
      await mediaStore.insertUploaded(tx, mediaId, userId, content);
      return true;
    }, normalizeContentType(body.contentType), filename ?? null, now);
    return `mxc://${this.serverName}/${mediaId}`;
  }

  /** POST /media/v1/create: an id whose bytes come later (uploadTo), due within 24 hours. */
  async create(userId: UserId, now = Date.now()): Promise<{ content_uri: string; unused_expires_at: number }> {
    const mediaId = newMediaId();
    const expires = now + UNUSED_EXPIRY_MS;
    await this.db.transaction().execute(async (tx) => {
      await mediaStore.deleteExpired(tx, now);
      await mediaStore.lockUser(tx, userId);
      if ((await mediaStore.pendingCount(tx, userId, now)) >= MAX_PENDING_UPLOADS) {
        throw new MatrixError(429, ErrCode.LIMIT_EXCEEDED, `At most ${MAX_PENDING_UPLOADS} created media ids may wait for their upload`);
      }
      await mediaStore.insertPending(tx, mediaId, userId, now, expires);
    });
    return { content_uri: `mxc://${this.serverName}/${mediaId}`, unused_expires_at: expires };
  }

  /** PUT /media/v3/upload/{serverName}/{mediaId}: the bytes of a created id — only from the user
   *  who created it (403), once (409 M_CANNOT_OVERWRITE_MEDIA), before it expires (404). Checked
   *  before a byte of the body is read. */
  async uploadTo(userId: UserId, serverName: string, mediaId: string, body: UploadBody, filename: string | undefined, now = Date.now()): Promise<void> {
    const row = await this.localRow(serverName, mediaId);
    this.checkPendingFor(row, userId, now);
    this.checkDeclared(body);
    await this.checkQuota(userId, body.declaredLength ?? 0);
    const received = await this.receive(body);
    await this.store(userId, received, (tx, content) => mediaStore.completePending(tx, mediaId, content), normalizeContentType(body.contentType), filename ?? null, Date.now());
    for (const wake of this.waiting.get(mediaId) ?? []) wake();
  }

  /** The bytes of mxc://serverName/mediaId, waiting up to `timeoutMs` for a pending upload. */
  async download(serverName: string, mediaId: string, timeoutMs: number | undefined): Promise<MediaFile> {
    const content = await this.contentOf(serverName, mediaId, timeoutMs);
    const handle = await this.files.openContent(content.sha256);
    if (!handle) throw notFound('Media not found');
    return { handle, size: content.size, contentType: content.contentType, uploadName: content.uploadName };
  }

  /** A thumbnail of at least width × height where the image allows (see thumbnails.ts). */
  async thumbnail(serverName: string, mediaId: string, width: number, height: number, method: ThumbnailMethod, timeoutMs: number | undefined): Promise<MediaFile> {
    const content = await this.contentOf(serverName, mediaId, timeoutMs);
    let thumb;
    try {
      thumb = await this.thumbnailer.get(content.sha256, chooseSize(width, height, method));
    } catch (err) {
      if (err instanceof TooLargeToThumbnail) throw new MatrixError(413, ErrCode.TOO_LARGE, 'Content is too large to thumbnail');
      if (err instanceof NotThumbnailable) throw new MatrixError(400, ErrCode.UNKNOWN, 'Cannot generate thumbnails for the requested content');
      throw err;
    }
    const handle = thumb.kind === 'original' ? await this.files.openContent(content.sha256) : await this.files.openThumbnail(content.sha256, thumb.name);
    if (!handle) throw notFound('Media not found');
    const { size } = await handle.stat();
    return { handle, size, contentType: thumb.contentType, uploadName: null };
  }

  private checkDeclared(body: UploadBody): void {
    if (body.declaredLength !== undefined && body.declaredLength > this.config.maxUploadBytes) throw tooLarge(this.config.maxUploadBytes);
  }

  /** Refuses early when the declared length alone would pass the quota (checked again on store). */
  private async checkQuota(userId: UserId, adding: number): Promise<void> {
    if (this.config.userQuotaBytes === 0) return;
    if ((await mediaStore.usedBytes(this.db, userId)) + adding > this.config.userQuotaBytes) throw quotaReached();
  }

  /** The bytes to a temp file; over the limit: 413 (an upload) or `tooLargeStatus` (remote media: 502). */
  private async receive(body: UploadBody, tooLargeStatus = 413): Promise<Received> {
    try {
      return await this.files.receive(body.stream, this.config.maxUploadBytes);
    } catch (err) {
      if (err instanceof SizeLimitExceeded) {
        if (tooLargeStatus === 413) throw tooLarge(this.config.maxUploadBytes);
        throw new MatrixError(tooLargeStatus, ErrCode.TOO_LARGE, `The content is larger than this server's limit of ${this.config.maxUploadBytes} bytes`);
      }
      if (err instanceof UploadAborted) throw new MatrixError(400, ErrCode.UNKNOWN, 'The upload ended early');
      throw err;
    }
  }

  /** One transaction: the quota on the real size, the file put in place, the row written by
   *  `write` (false: the id was filled or expired meanwhile). The temp file goes on any refusal. */
  private async store(
    userId: UserId,
    received: Received,
    write: (tx: Tx, content: MediaContent) => Promise<boolean>,
    contentType: string,
    uploadName: string | null,
    now: number,
  ): Promise<void> {
    const content: MediaContent = { sha256: received.sha256, size: received.size, contentType, uploadName, uploadedTs: now };
    try {
      await this.db.transaction().execute(async (tx) => {
        await mediaStore.lockUser(tx, userId);
        if (this.config.userQuotaBytes !== 0 && (await mediaStore.usedBytes(tx, userId)) + received.size > this.config.userQuotaBytes) throw quotaReached();
        await this.files.keep(received);
        if (!(await write(tx, content))) throw new MatrixError(409, ErrCode.CANNOT_OVERWRITE_MEDIA, 'Media already uploaded');
      });
    } finally {
      await this.files.discard(received);
    }
  }

  /** Our own media row for a path's server name and media id; 400 for ids that cannot be ours. */
  private async localRow(serverName: string, mediaId: string): Promise<MediaRow> {
    checkMxc(serverName, mediaId);
    if (serverName !== this.serverName) throw notFound('Media not found (not media of this server)');
    const row = await mediaStore.get(this.db, mediaId);
    if (!row) throw notFound('Media not found');
    return row;
  }

  private checkPendingFor(row: MediaRow, userId: UserId, now: number): void {
    if (row.userId !== userId) throw forbidden('This media id was created by another user');
    if (row.content) throw new MatrixError(409, ErrCode.CANNOT_OVERWRITE_MEDIA, 'Media already uploaded');
    if (row.unusedExpiresTs === null || row.unusedExpiresTs <= now) throw notFound('This media id has expired');
  }

  /** Another server's media: from the cache, else fetched once (concurrent asks share the fetch). */
  private async remoteContent(serverName: ServerName, mediaId: string): Promise<MediaContent> {
    const key = `${serverName}/${mediaId}`;
    const cached = await mediaStore.get(this.db, key);
    if (cached?.content) {
      // The use is written at most once a minute: a download in between writes nothing.
      const now = Date.now();
      if (cached.lastAccessTs === null || cached.lastAccessTs < now - REMOTE_TOUCH_EVERY_MS) await mediaStore.touchRemote(this.db, key, now, now - REMOTE_TOUCH_EVERY_MS);
      return cached.content;
    }
    const remote = this.remote;
    if (!remote) throw notFound('Media not found (federation is off)');
    let p = this.fetching.get(key);
    if (!p) {
      p = (async () => {
        const fetched = await remote(serverName, mediaId, this.config.maxUploadBytes);
        const received = await this.receive({ stream: Readable.from([fetched.bytes]), contentType: undefined, declaredLength: fetched.bytes.length }, 502);
        const content: MediaContent = {
          sha256: received.sha256,
          size: received.size,
          contentType: normalizeContentType(fetched.contentType),
          uploadName: fetched.fileName !== null && fetched.fileName.length <= 255 && fetched.fileName.isWellFormed() && !fetched.fileName.includes('\u0000') ? fetched.fileName : null,
          uploadedTs: Date.now(),
        };
        try {
          await this.db.transaction().execute(async (tx) => {
            await this.files.keep(received);
            await mediaStore.putRemote(tx, key, serverName, content);
          });
        } finally {
          await this.files.discard(received);
        }
        await this.trimRemoteCache(key);
        return content;
      })().finally(() => this.fetching.delete(key));
      this.fetching.set(key, p);
    }
    return p;
  }

  /**
   * Brings the remote cache within `remote-media-cache-size` (0: no bound): the least recently used
   * remote media goes first — never a local upload, never `keep` (the media being served now) — and
   * its file and thumbnails with it when no other row holds the same bytes. A row used while this
   * runs stays. Answers how many rows went.
   */
  async trimRemoteCache(keep?: string): Promise<number> {
    const limit = this.config.remoteCacheBytes;
    if (limit === 0) return 0;
    let total = await mediaStore.remoteBytes(this.db);
    let evicted = 0;
    for (let round = 0; total > limit && round < MAX_TRIM_ROUNDS; round++) {
      const batch = (await mediaStore.leastRecentRemote(this.db, 50)).filter((c) => c.key !== keep);
      if (batch.length === 0) break;
      for (const c of batch) {
        if (total <= limit) break;
        // The bytes go too when no other row holds them — unless their file was kept moments ago:
        // an upload of the same bytes may not have committed its row yet, so the media waits.
        const lastHolder = c.sha256 !== null && !(await mediaStore.contentInUse(this.db, c.sha256, c.key));
        if (lastHolder && (await this.files.keptWithin(c.sha256!, FILE_GRACE_MS))) continue;
        if (!(await mediaStore.deleteRemote(this.db, c.key, c.lastAccessTs))) continue;
        total -= c.size;
        evicted++;
        if (lastHolder) await this.files.remove(c.sha256!);
      }
    }
    return evicted;
  }

  private async contentOf(serverName: string, mediaId: string, timeoutMs: number | undefined): Promise<MediaContent> {
    checkMxc(serverName, mediaId);
    if (serverName !== this.serverName) return this.remoteContent(serverName, mediaId);
    let row = await this.localRow(serverName, mediaId);
    const deadline = Date.now() + (timeoutMs ?? DEFAULT_TIMEOUT_MS);
    while (!row.content) {
      if (row.unusedExpiresTs === null || row.unusedExpiresTs <= Date.now()) throw notFound('Media not found');
      const left = deadline - Date.now();
      if (left <= 0) throw new MatrixError(504, ErrCode.NOT_YET_UPLOADED, 'Content has not yet been uploaded');
      // Woken at once by an upload in this process; another process's upload is seen by polling.
      await this.waitFor(mediaId, Math.min(left, 500));
      row = (await mediaStore.get(this.db, mediaId)) ?? row;
    }
    return row.content;
  }

  private waitFor(mediaId: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const set = this.waiting.get(mediaId) ?? new Set();
      this.waiting.set(mediaId, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) this.waiting.delete(mediaId);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  }
}

/** 400 for a server name or media id no mxc:// URI of any server can have. */
function checkMxc(serverName: string, mediaId: string): asserts serverName is ServerName {
  if (!isServerName(serverName)) throw invalidParam('Not a valid server name');
  if (!MEDIA_ID.test(mediaId)) throw invalidParam('Media ids are letters, digits, _ and - only');
}

/** 24 characters of URL-safe base64: 144 random bits. */
function newMediaId(): string {
  return randomBytes(18).toString('base64url');
}
