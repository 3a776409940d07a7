// GET /_matrix/federation/v1/media/download/{mediaId} and .../media/thumbnail/{mediaId} (spec v1.11
// "Content Repository", getContent / getContentThumbnail of the server-server API): signed requests
// for OUR media only (a media id never names a cached remote file), answered multipart/mixed: an
// empty JSON metadata part, then the bytes with their type and disposition. Errors as the client
// API's (404 unknown, 504 not yet uploaded, 400 not thumbnailable).

import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { federation as spec } from '@hush/protocol';
import { RawReply } from '../../http/endpoint.ts';
import { contentDisposition, isInlineSafe } from '../../http/media-headers.ts';
import { defineFederationRoute, type FederationRouteDef } from '../../federation/routes.ts';
import type { MediaFile } from '../../services/media/media.ts';
import type { Services } from '../../services/index.ts';

/** The two parts around the open file, streamed; the file is closed when the stream ends. */
export function multipartReply(f: MediaFile, disposition: string): RawReply {
  const boundary = randomBytes(18).toString('hex');
  const head = Buffer.from(
    `--${boundary}\r\nContent-Type: application/json\r\n\r\n{}\r\n` +
      `--${boundary}\r\nContent-Type: ${f.contentType}\r\nContent-Disposition: ${disposition}\r\n\r\n`,
    'latin1',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1');
  const file = f.handle.createReadStream();
  const body = Readable.from(
    (async function* () {
      yield head;
      for await (const chunk of file) yield chunk as Buffer;
      yield tail;
    })(),
  );
  return new RawReply(
    { 'content-type': `multipart/mixed; boundary=${boundary}`, 'content-length': String(head.length + f.size + tail.length) },
    body,
  );
}

export function routes(s: Services): FederationRouteDef[] {
  const m = s.media;
  const ours = s.config.serverName;
  return [
    defineFederationRoute(spec.getFederationContent, { signed: true }, async ({ params, query }) => {
      const f = await m.download(ours, params.mediaId, query.timeout_ms);
      return multipartReply(f, contentDisposition(isInlineSafe(f.contentType) ? 'inline' : 'attachment', f.uploadName)) as never;
    }),
    defineFederationRoute(spec.getFederationContentThumbnail, { signed: true }, async ({ params, query }) => {
      const f = await m.thumbnail(ours, params.mediaId, query.width, query.height, query.method ?? 'scale', query.timeout_ms);
      return multipartReply(f, 'inline') as never;
    }),
  ];
}
