// Media for clients (spec "Content repository"): upload bytes for an mxc:// URI, and fetch media
// or a thumbnail through the authenticated /_matrix/client/v1/media endpoints with the token in
// the Authorization header (never in the URL, as the spec asks) — as a Blob, which a browser turns
// into an object URL for <img>.

import { api, fillPath } from '@hush/protocol';
import { BadResponseError, toMatrixError } from './errors.ts';
import type { HttpClient } from './http.ts';

export interface Mxc {
  serverName: string;
  mediaId: string;
}

/** `mxc://server/id` → its parts; undefined for anything else (ids are [A-Za-z0-9_-], spec). */
export function parseMxc(uri: unknown): Mxc | undefined {
  if (typeof uri !== 'string') return undefined;
  const m = /^mxc:\/\/([^/?#\s]+)\/([A-Za-z0-9_-]+)$/.exec(uri);
  return m ? { serverName: m[1]!, mediaId: m[2]! } : undefined;
}

export interface ThumbnailSpec {
  width: number;
  height: number;
  method?: 'crop' | 'scale';
}

async function send(http: HttpClient, url: string, init: RequestInit): Promise<Response> {
  const headers = new Headers(init.headers);
  if (http.accessToken !== undefined) headers.set('authorization', `Bearer ${http.accessToken}`);
  const res = await fetch(url, { ...init, headers });
  if (res.ok) return res;
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new BadResponseError(`${http.baseUrl} answered ${res.status} with a body that is not JSON`, url, res.status, 'not JSON');
  }
  throw toMatrixError(res.status, body);
}

/** Uploads `data` and answers its mxc:// URI. */
export async function uploadMedia(http: HttpClient, data: Blob | Uint8Array, opts: { contentType?: string; filename?: string } = {}): Promise<string> {
  const q = opts.filename ? `?filename=${encodeURIComponent(opts.filename)}` : '';
  const type = opts.contentType ?? (data instanceof Blob && data.type ? data.type : 'application/octet-stream');
  const res = await send(http, `${http.baseUrl}${api.uploadContent.path}${q}`, { method: 'POST', headers: { 'content-type': type }, body: data as BodyInit });
  const json = (await res.json()) as { content_uri?: unknown };
  if (typeof json.content_uri !== 'string') throw new BadResponseError(`${http.baseUrl} answered an upload without content_uri`, api.uploadContent.path, res.status, 'no content_uri');
  return json.content_uri;
}

/** The bytes of an mxc:// URI (or its thumbnail) with the token; throws a MatrixError on 4xx/5xx. */
export async function downloadMedia(http: HttpClient, uri: string, thumbnail?: ThumbnailSpec): Promise<Blob> {
  const mxc = parseMxc(uri);
  if (!mxc) throw new TypeError(`not an mxc:// URI: ${uri}`);
  const params = { serverName: mxc.serverName, mediaId: mxc.mediaId };
  const url = thumbnail
    ? `${http.baseUrl}${fillPath(api.getContentThumbnailAuthed.path, params)}?width=${thumbnail.width}&height=${thumbnail.height}&method=${thumbnail.method ?? 'scale'}`
    : `${http.baseUrl}${fillPath(api.getContentAuthed.path, params)}`;
  return (await send(http, url, { method: 'GET' })).blob();
}
