// Descriptors of the content repository (spec files content-repo.yaml and authed-content-repo.yaml,
// "Content repository"): uploads to /_matrix/media, the authenticated downloads, thumbnails and
// config under /_matrix/client/v1/media (v1.11), and the deprecated unauthenticated /media/v3 reads.
// Upload bodies and download answers are bytes, not JSON (`rawBody`, `rawResponse`).

import { endpoint, responds, type QuerySpec } from '../endpoint.ts';

export interface UploadResponse {
  content_uri: string;
}
export interface CreateContentResponse {
  content_uri: string;
  unused_expires_at: number;
}
export interface MediaConfigResponse {
  'm.upload.size'?: number;
}

/** The `filename` of an upload: kept and given back in Content-Disposition. */
const uploadQuery = { filename: { kind: 'string', maxLength: 1024 } } as const satisfies QuerySpec;
/** How long a download waits for an async upload to arrive (spec default 20 s; capped at 60 s). */
const timeoutMs = { kind: 'int', min: 0, max: 60_000 } as const;
const thumbnailQuery = {
  width: { kind: 'int', required: true, min: 1, max: 100_000 },
  height: { kind: 'int', required: true, min: 1, max: 100_000 },
  method: { kind: 'enum', values: ['crop', 'scale'] },
  animated: { kind: 'bool' },
  timeout_ms: timeoutMs,
} as const satisfies QuerySpec;
const legacyQuery = { allow_remote: { kind: 'bool' }, allow_redirect: { kind: 'bool' }, timeout_ms: timeoutMs } as const satisfies QuerySpec;

export const uploadContent = endpoint({
  operationId: 'uploadContent',
  method: 'POST',
  path: '/_matrix/media/v3/upload',
  auth: 'required',
  rawBody: true,
  query: uploadQuery,
  response: responds<UploadResponse>(),
});

export const uploadContentToMXC = endpoint({
  operationId: 'uploadContentToMXC',
  method: 'PUT',
  path: '/_matrix/media/v3/upload/{serverName}/{mediaId}',
  auth: 'required',
  rawBody: true,
  query: uploadQuery,
  response: responds<Record<string, never>>(),
});

export const createContent = endpoint({
  operationId: 'createContent',
  method: 'POST',
  path: '/_matrix/media/v1/create',
  auth: 'required',
  optionalBody: true,
  response: responds<CreateContentResponse>(),
});

export const getContentAuthed = endpoint({
  operationId: 'getContentAuthed',
  method: 'GET',
  path: '/_matrix/client/v1/media/download/{serverName}/{mediaId}',
  auth: 'required',
  rawResponse: true,
  query: { timeout_ms: timeoutMs },
});

export const getContentOverrideNameAuthed = endpoint({
  operationId: 'getContentOverrideNameAuthed',
  method: 'GET',
  path: '/_matrix/client/v1/media/download/{serverName}/{mediaId}/{fileName}',
  auth: 'required',
  rawResponse: true,
  query: { timeout_ms: timeoutMs },
});

export const getContentThumbnailAuthed = endpoint({
  operationId: 'getContentThumbnailAuthed',
  method: 'GET',
  path: '/_matrix/client/v1/media/thumbnail/{serverName}/{mediaId}',
  auth: 'required',
  rawResponse: true,
  query: thumbnailQuery,
});

export const getConfigAuthed = endpoint({
  operationId: 'getConfigAuthed',
  method: 'GET',
  path: '/_matrix/client/v1/media/config',
  auth: 'required',
  response: responds<MediaConfigResponse>(),
});

// Deprecated since v1.11 (no authentication). Served only when the operator turns them on.

export const getContent = endpoint({
  operationId: 'getContent',
  method: 'GET',
  path: '/_matrix/media/v3/download/{serverName}/{mediaId}',
  auth: 'none',
  rawResponse: true,
  query: legacyQuery,
});

export const getContentOverrideName = endpoint({
  operationId: 'getContentOverrideName',
  method: 'GET',
  path: '/_matrix/media/v3/download/{serverName}/{mediaId}/{fileName}',
  auth: 'none',
  rawResponse: true,
  query: legacyQuery,
});

export const getContentThumbnail = endpoint({
  operationId: 'getContentThumbnail',
  method: 'GET',
  path: '/_matrix/media/v3/thumbnail/{serverName}/{mediaId}',
  auth: 'none',
  rawResponse: true,
  query: { ...thumbnailQuery, allow_remote: { kind: 'bool' }, allow_redirect: { kind: 'bool' } },
});

export const getConfig = endpoint({
  operationId: 'getConfig',
  method: 'GET',
  path: '/_matrix/media/v3/config',
  auth: 'none',
  response: responds<MediaConfigResponse>(),
});
