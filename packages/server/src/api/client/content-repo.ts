// The content repository (spec: content-repo.yaml, authed-content-repo.yaml): uploads, the
// authenticated downloads, thumbnails and config (v1.11), and the deprecated unauthenticated
// /media/v3 reads, which answer 404 M_NOT_FOUND unless `legacy-media` is on ("frozen", as the spec
// lets servers do for media uploaded after the freeze — here, all of it).

import { api, notFound } from '@hush/protocol';
import { RawReply, defineRawRoute, defineRoute, type RawBody, type RouteDef } from '../../http/endpoint.ts';
import { contentDisposition, isInlineSafe, mediaHeaders } from '../../http/media-headers.ts';
import type { MediaFile } from '../../services/media/media.ts';
import type { Services } from '../../services/index.ts';

function fileReply(f: MediaFile, fileName: string | null): RawReply {
  const disposition = contentDisposition(isInlineSafe(f.contentType) ? 'inline' : 'attachment', fileName);
  return new RawReply(mediaHeaders(f.contentType, f.size, disposition), f.handle.createReadStream());
}

/** Thumbnails are always `inline` (spec), named after their type. */
function thumbnailReply(f: MediaFile): RawReply {
  const ext = f.contentType.split('/')[1] ?? 'png';
  return new RawReply(mediaHeaders(f.contentType, f.size, contentDisposition('inline', `thumbnail.${ext}`)), f.handle.createReadStream());
}

function body(raw: RawBody | undefined): RawBody {
  if (!raw) throw new Error('a rawBody descriptor without its body');
  return raw;
}

export function routes(s: Services): RouteDef[] {
  const m = s.media;
  const frozen = () => {
    if (!m.config.legacyEndpoints) throw notFound('Unauthenticated media access is frozen: use /_matrix/client/v1/media');
  };
  return [
    defineRawRoute(api.uploadContent, async ({ requester, raw, query }) => ({
      content_uri: await m.upload(requester.userId, body(raw), query.filename),
    })),
    defineRoute(api.createContent, ({ requester }) => m.create(requester.userId)),
    defineRawRoute(api.uploadContentToMXC, async ({ requester, raw, params, query }) => {
      await m.uploadTo(requester.userId, params.serverName, params.mediaId, body(raw), query.filename);
      return {};
    }),
    defineRawRoute(api.getContentAuthed, async ({ params, query }) => {
      const f = await m.download(params.serverName, params.mediaId, query.timeout_ms);
      return fileReply(f, f.uploadName);
    }),
    defineRawRoute(api.getContentOverrideNameAuthed, async ({ params, query }) =>
      fileReply(await m.download(params.serverName, params.mediaId, query.timeout_ms), params.fileName),
    ),
    defineRawRoute(api.getContentThumbnailAuthed, async ({ params, query }) =>
      thumbnailReply(await m.thumbnail(params.serverName, params.mediaId, query.width, query.height, query.method ?? 'scale', query.timeout_ms)),
    ),
    defineRoute(api.getConfigAuthed, () => ({ 'm.upload.size': m.uploadSizeLimit() })),

    defineRawRoute(api.getContent, async ({ params, query }) => {
      frozen();
      const f = await m.download(params.serverName, params.mediaId, query.timeout_ms);
      return fileReply(f, f.uploadName);
    }),
    defineRawRoute(api.getContentOverrideName, async ({ params, query }) => {
      frozen();
      return fileReply(await m.download(params.serverName, params.mediaId, query.timeout_ms), params.fileName);
    }),
    defineRawRoute(api.getContentThumbnail, async ({ params, query }) => {
      frozen();
      return thumbnailReply(await m.thumbnail(params.serverName, params.mediaId, query.width, query.height, query.method ?? 'scale', query.timeout_ms));
    }),
    defineRoute(api.getConfig, () => {
      frozen();
      return { 'm.upload.size': m.uploadSizeLimit() };
    }),
  ];
}
