// Another server's media (spec v1.11 "Content Repository", the requesting side): a signed GET of
// /_matrix/federation/v1/media/download/{mediaId}, whose multipart/mixed answer is taken apart here.
// What comes back is untrusted: the answer is read up to the upload limit plus the multipart
// framing, a bytes part over the limit is refused, and a part that is a `Location` redirect is not
// followed (decision 0036). No other way (the deprecated /_matrix/media/v3 of the other server) is tried.

import { ErrCode, MatrixError, notFound } from '@hush/protocol';
import type { RemoteMediaSource } from '../../services/media/media.ts';
import type { Federation } from '../index.ts';
import { MULTIPART_SLACK_BYTES } from '../index.ts';
import { FederationHttpError, ResponseTooLarge } from '../transport/http-client.ts';

export interface RemoteMedia {
  bytes: Buffer;
  contentType: string | undefined;
  fileName: string | null;
}

/** Why a remote fetch gave nothing: the caller turns it into the client's error. */
export class RemoteMediaError extends Error {
  constructor(
    readonly kind: 'not-found' | 'too-large' | 'unavailable',
    message: string,
  ) {
    super(message);
  }
}

/** The media service's way to other servers' media, with the client's errors (decision 0036): the
 *  server says it has no such media → 404 M_NOT_FOUND; larger than our limit → 502 M_TOO_LARGE
 *  (the spec's answer for content too large to serve); unreachable or a bad answer → 502 M_UNKNOWN. */
export function remoteMediaSource(f: Federation): RemoteMediaSource {
  return async (server, mediaId, maxBytes) => {
    try {
      return await fetchRemoteMedia(f, server, mediaId, maxBytes);
    } catch (err) {
      if (!(err instanceof RemoteMediaError)) throw err;
      if (err.kind === 'not-found') throw notFound(`Media not found: ${err.message}`);
      if (err.kind === 'too-large') throw new MatrixError(502, ErrCode.TOO_LARGE, err.message);
      throw new MatrixError(502, ErrCode.UNKNOWN, `Remote media unavailable: ${err.message}`);
    }
  };
}

export async function fetchRemoteMedia(f: Federation, server: string, mediaId: string, maxBytes: number): Promise<RemoteMedia> {
  let res;
  try {
    res = await f.signedBytesRequest(server, `/_matrix/federation/v1/media/download/${encodeURIComponent(mediaId)}`, maxBytes + MULTIPART_SLACK_BYTES);
  } catch (err) {
    if (err instanceof ResponseTooLarge) throw new RemoteMediaError('too-large', `${server}: the media is larger than ${maxBytes} bytes`);
    if (err instanceof FederationHttpError || err instanceof TypeError) throw new RemoteMediaError('unavailable', `${server} could not be reached (${err.message.slice(0, 200)})`);
    throw err;
  }
  if (res.status === 404) throw new RemoteMediaError('not-found', `${server} does not have this media`);
  if (res.status !== 200) throw new RemoteMediaError('unavailable', `${server} answered ${res.status}`);
  const type = Array.isArray(res.headers['content-type']) ? res.headers['content-type'][0] : res.headers['content-type'];
  const parts = parseMultipart(type ?? '', res.body);
  if (!parts) throw new RemoteMediaError('unavailable', `${server} sent an answer that is not multipart/mixed with two parts`);
  const media = parts[1]!;
  if (media.headers.location !== undefined) throw new RemoteMediaError('unavailable', `${server} answered with a redirect, which is not followed`);
  if (media.body.length > maxBytes) throw new RemoteMediaError('too-large', `${server}: the media is larger than ${maxBytes} bytes`);
  return { bytes: media.body, contentType: media.headers['content-type'], fileName: fileNameOf(media.headers['content-disposition']) };
}

interface Part {
  headers: Record<string, string>;
  body: Buffer;
}

/** The first two parts of a multipart/mixed body (RFC 2046 §5.1): the JSON metadata and the media.
 *  The media part runs to the closing delimiter, so bytes that look like a boundary inside it do no harm. */
export function parseMultipart(contentType: string, body: Buffer): [Part, Part] | undefined {
  const m = /^multipart\/mixed\s*;(?:.*;)?\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary) return undefined;
  const delim = Buffer.from(`--${boundary}`);
  const first = body.indexOf(delim);
  if (first === -1) return undefined;
  const second = body.indexOf(Buffer.from(`\r\n--${boundary}`), first + delim.length);
  const close = body.lastIndexOf(Buffer.from(`\r\n--${boundary}--`));
  if (second === -1 || close <= second) return undefined;
  const meta = parsePart(body.subarray(first + delim.length, second));
  const media = parsePart(body.subarray(second + 2 + delim.length, close));
  return meta && media ? [meta, media] : undefined;
}

/** `\r\n` headers `\r\n\r\n` body (an empty header block is allowed). */
function parsePart(raw: Buffer): Part | undefined {
  if (raw.subarray(0, 2).toString('latin1') !== '\r\n') return undefined;
  const rest = raw.subarray(2);
  let end: number;
  let head: string;
  if (rest.subarray(0, 2).toString('latin1') === '\r\n') {
    end = 2;
    head = '';
  } else {
    const i = rest.indexOf('\r\n\r\n');
    if (i === -1 || i > 16 * 1024) return undefined;
    head = rest.subarray(0, i).toString('latin1');
    end = i + 4;
  }
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n')) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body: rest.subarray(end) };
}

/** The file name of a Content-Disposition (`filename*=utf-8''…` preferred), or null. */
function fileNameOf(disposition: string | undefined): string | null {
  if (!disposition) return null;
  const ext = /filename\*\s*=\s*utf-8''([^;\s]+)/i.exec(disposition);
  if (ext?.[1]) {
    try {
      return decodeURIComponent(ext[1]);
    } catch {
      return null;
    }
  }
  const plain = /filename\s*=\s*"([^"]*)"/i.exec(disposition) ?? /filename\s*=\s*([^;\s]+)/i.exec(disposition);
  return plain?.[1] ?? null;
}
