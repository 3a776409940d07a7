// Server-server content repository (spec v1.11 "Content Repository", authenticated media): another
// server asks for one of our media, signed with X-Matrix; the answer is multipart/mixed (a JSON
// metadata part, then the bytes).

import { endpoint, type QuerySpec } from '../endpoint.ts';

export const federationMediaThumbnailQuery = {
  width: { kind: 'int', required: true, min: 1, max: 100_000 },
  height: { kind: 'int', required: true, min: 1, max: 100_000 },
  method: { kind: 'enum', values: ['crop', 'scale'] },
  animated: { kind: 'bool' },
  timeout_ms: { kind: 'int', min: 0, max: 60_000 },
} as const satisfies QuerySpec;

export const getFederationContent = endpoint({
  operationId: 'getContent',
  method: 'GET',
  path: '/_matrix/federation/v1/media/download/{mediaId}',
  auth: 'none',
  rawResponse: true,
  query: { timeout_ms: { kind: 'int', min: 0, max: 60_000 } },
});

export const getFederationContentThumbnail = endpoint({
  operationId: 'getContentThumbnail',
  method: 'GET',
  path: '/_matrix/federation/v1/media/thumbnail/{mediaId}',
  auth: 'none',
  rawResponse: true,
  query: federationMediaThumbnailQuery,
});
