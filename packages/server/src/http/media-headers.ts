// Headers of every media answer (spec "Content repository", "Serving inline content"): the stored
// content type, Content-Disposition `inline` only for the spec's list of safe types (`attachment`
// otherwise) with the file name encoded per RFC 6266 / RFC 8187 (no raw CR, LF, NUL or quote can
// reach the header), and a sandboxing Content-Security-Policy, nosniff and
// Cross-Origin-Resource-Policy, so nothing uploaded runs as a page on this origin.

import { normalizeContentType } from '../services/media/media.ts';

/** The spec's list of types that may be served `inline`. */
export const INLINE_TYPES: ReadonlySet<string> = new Set([
  'text/css', 'text/plain', 'text/csv', 'application/json', 'application/ld+json',
  'image/jpeg', 'image/gif', 'image/png', 'image/apng', 'image/webp', 'image/avif',
  'video/mp4', 'video/webm', 'video/ogg', 'video/quicktime',
  'audio/mp4', 'audio/webm', 'audio/aac', 'audio/mpeg', 'audio/ogg', 'audio/wave', 'audio/wav', 'audio/x-wav', 'audio/x-pn-wav', 'audio/flac', 'audio/x-flac',
]);

/** The spec's recommended policy. */
export const MEDIA_CSP = "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; style-src 'unsafe-inline'; media-src 'self'; object-src 'self';";

/** `image/PNG; charset=x` → `image/png`. */
function essence(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

export function isInlineSafe(contentType: string): boolean {
  return INLINE_TYPES.has(essence(contentType));
}

/** RFC 8187 attr-char: everything else is percent-encoded (UTF-8). */
function encodeExtValue(name: string): string {
  return encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `inline` / `attachment`, plus the file name when there is one: as a quoted string when it is
 *  plain printable ASCII without `"` or `\\`, else as `filename*=utf-8''…` (RFC 6266 §4.3). */
export function contentDisposition(disposition: 'inline' | 'attachment', filename: string | null | undefined): string {
  if (filename === null || filename === undefined || filename === '') return disposition;
  if (/^[\x20-\x7e]*$/.test(filename) && !/["\\]/.test(filename)) return `${disposition}; filename="${filename}"`;
  return `${disposition}; filename*=utf-8''${encodeExtValue(filename)}`;
}

export function mediaHeaders(contentType: string, size: number, disposition: string): Record<string, string> {
  return {
    // Stored normalised (normalizeContentType); checked again, as it goes into a header.
    'content-type': normalizeContentType(contentType),
    'content-length': String(size),
    'content-disposition': disposition,
    'content-security-policy': MEDIA_CSP,
    'x-content-type-options': 'nosniff',
    'cross-origin-resource-policy': 'cross-origin',
    // An id names the same bytes forever; only its owner's token may fetch it, so no shared caches.
    'cache-control': 'private, max-age=86400, immutable',
  };
}
