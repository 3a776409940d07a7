// The content repository's settings: where files live (`media-path`, default `media/` beside the
// SQLite database), the largest upload (`max-upload-size`, 50M as Synapse), what one user may store
// in all (`media-user-quota`, 0 = no limit), how much other servers' media the cache keeps
// (`remote-media-cache-size`, default 1G, 0 = no bound; least recently used first out, decision
// 0038), and whether the deprecated unauthenticated /_matrix/media/v3 download, thumbnail and config
// answer (`legacy-media`, default off: frozen, as Synapse does since it turned authenticated media on
// by default). Flags or YAML; checked on read.

import { dirname, join, resolve } from 'node:path';

export interface MediaConfig {
  /** Absolute directory holding the files, thumbnails and partial uploads. */
  path: string;
  maxUploadBytes: number;
  /** Total bytes one user's uploads may take; 0 is no limit. */
  userQuotaBytes: number;
  /** Total bytes of other servers' media kept in the cache; 0 is no bound. */
  remoteCacheBytes: number;
  legacyEndpoints: boolean;
}

/** The remote media cache's bound when none is configured. */
export const DEFAULT_REMOTE_CACHE_BYTES = 1024 ** 3;

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** `52428800`, `50M`, `512K`, `2G` (binary units, as Synapse reads them) → bytes. */
export function parseSize(v: unknown, name: string, fail: (msg: string) => Error): number {
  const m = /^([0-9]{1,15})\s*([kmg]?)b?$/i.exec(String(v).trim());
  const n = m ? Number(m[1]) * (UNITS[(m[2] ?? '').toLowerCase()] ?? NaN) : NaN;
  if (!Number.isSafeInteger(n)) throw fail(`${name} must be a size like 52428800, 512K, 50M or 2G, not ${JSON.stringify(v)}`);
  return n;
}

function onOff(v: unknown, name: string, fail: (msg: string) => Error): boolean | undefined {
  if (v === undefined) return undefined;
  if (v === true || v === 'on' || v === 'true') return true;
  if (v === false || v === 'off' || v === 'false') return false;
  throw fail(`${name} must be on or off`);
}

/** The media directory beside a SQLite file; `./data/media` for `:memory:` and PostgreSQL. */
function defaultPath(database: string): string {
  if (database === ':memory:' || /^postgres(ql)?:\/\//.test(database)) return resolve('./data/media');
  return join(dirname(resolve(database)), 'media');
}

export function parseMedia(get: (key: string) => unknown, database: string, fail: (msg: string) => Error): MediaConfig {
  const rawPath = get('media-path');
  if (rawPath !== undefined && (typeof rawPath !== 'string' || rawPath.length === 0 || rawPath.includes('\0'))) throw fail('media-path must be a directory path');
  const maxUploadBytes = get('max-upload-size') === undefined ? 50 * 1024 ** 2 : parseSize(get('max-upload-size'), 'max-upload-size', fail);
  if (maxUploadBytes < 1) throw fail('max-upload-size must be at least 1 byte');
  const userQuotaBytes = get('media-user-quota') === undefined ? 0 : parseSize(get('media-user-quota'), 'media-user-quota', fail);
  const remoteCacheBytes =
    get('remote-media-cache-size') === undefined ? DEFAULT_REMOTE_CACHE_BYTES : parseSize(get('remote-media-cache-size'), 'remote-media-cache-size', fail);
  return {
    path: typeof rawPath === 'string' ? resolve(rawPath) : defaultPath(database),
    maxUploadBytes,
    userQuotaBytes,
    remoteCacheBytes,
    legacyEndpoints: onOff(get('legacy-media'), 'legacy-media', fail) ?? false,
  };
}
