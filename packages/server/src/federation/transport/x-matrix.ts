// The `Authorization: X-Matrix` header (server-server API "Request Authentication"): the JSON a
// request signature covers, formatting the header for outbound requests, and a strict parser for
// inbound ones (RFC 7235 auth-params: tokens or quoted strings with backslash escapes; unquoted
// values may hold colons, for older servers).

import type { KeyObject } from 'node:crypto';
import { signJson, verifyJsonSignature } from '../../services/events/crypto.ts';

export interface XMatrixAuth {
  origin: string;
  /** Absent in headers from servers older than spec v1.3. */
  destination?: string;
  key: string;
  sig: string;
}

/** What a request signature covers: method, the request target as sent (path and query), both
 *  server names before delegation, and the parsed JSON body when there is one. */
export interface SignedRequest {
  method: string;
  uri: string;
  origin: string;
  destination: string;
  content?: unknown;
}

export class XMatrixParseError extends Error {}

/** Longest header we read; a real one is under 300 bytes. */
export const MAX_HEADER_LENGTH = 4096;
const MAX_PARAMS = 16;
const SCHEME = 'x-matrix';
/** RFC 7230 tchar. */
const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

function requestJson(req: SignedRequest): Record<string, unknown> {
  const json: Record<string, unknown> = { method: req.method, uri: req.uri, origin: req.origin, destination: req.destination };
  if (req.content !== undefined) json.content = req.content;
  return json;
}

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** Signs `req` with our key and returns the header value (lower-case names, one space, all quoted). */
export function signRequest(req: SignedRequest, keyId: string, privateKey: KeyObject): string {
  const signed = signJson(requestJson(req), req.origin, keyId, privateKey);
  const sig = signed.signatures[req.origin]?.[keyId];
  if (sig === undefined) throw new Error('signature missing after signing');
  return formatXMatrix({ origin: req.origin, destination: req.destination, key: keyId, sig });
}

export function formatXMatrix(auth: XMatrixAuth): string {
  const parts = [`origin=${quote(auth.origin)}`];
  if (auth.destination !== undefined) parts.push(`destination=${quote(auth.destination)}`);
  parts.push(`key=${quote(auth.key)}`, `sig=${quote(auth.sig)}`);
  return `X-Matrix ${parts.join(',')}`;
}

/** True when `auth.sig` is `auth.origin`'s signature with `publicKey` over `req`. */
export function verifyRequestSignature(req: SignedRequest, auth: XMatrixAuth, publicKey: KeyObject): boolean {
  const json = { ...requestJson(req), signatures: { [req.origin]: { [auth.key]: auth.sig } } };
  return verifyJsonSignature(json, req.origin, auth.key, publicKey);
}

/**
 * Parses an `X-Matrix` Authorization header. Names are case-insensitive, order does not matter,
 * unknown names are ignored; a repeated name, an unterminated quote, a control character, a
 * missing `origin`, `key` or `sig`, or a header over 4 KB is an error (XMatrixParseError).
 */
export function parseXMatrix(header: string): XMatrixAuth {
  if (typeof header !== 'string') throw new XMatrixParseError('no Authorization header');
  if (header.length > MAX_HEADER_LENGTH) throw new XMatrixParseError('Authorization header too long');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(header)) throw new XMatrixParseError('control character in Authorization header');
  const space = header.search(/[ \t]/);
  if (space < 0 || header.slice(0, space).toLowerCase() !== SCHEME) throw new XMatrixParseError('Authorization scheme is not X-Matrix');
  const params = new Map<string, string>();
  let i = space;
  const n = header.length;
  const skipSpace = () => {
    while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
  };
  skipSpace();
  while (i < n) {
    // name
    const nameStart = i;
    while (i < n && TCHAR.test(header[i] as string)) i++;
    if (i === nameStart) throw new XMatrixParseError(`unexpected character at ${i} in Authorization header`);
    const name = header.slice(nameStart, i).toLowerCase();
    skipSpace();
    if (header[i] !== '=') throw new XMatrixParseError(`expected = after ${name}`);
    i++;
    skipSpace();
    let value = '';
    if (header[i] === '"') {
      i++;
      let closed = false;
      while (i < n) {
        const c = header[i] as string;
        if (c === '\\') {
          if (i + 1 >= n) break;
          value += header[i + 1];
          i += 2;
        } else if (c === '"') {
          i++;
          closed = true;
          break;
        } else {
          value += c;
          i++;
        }
      }
      if (!closed) throw new XMatrixParseError(`unterminated quoted value for ${name}`);
    } else {
      // A token, or (older servers) anything up to the next comma or space, colons included.
      const start = i;
      while (i < n && header[i] !== ',' && header[i] !== ' ' && header[i] !== '\t' && header[i] !== '"' && header[i] !== '\\') i++;
      value = header.slice(start, i);
      if (value === '') throw new XMatrixParseError(`empty value for ${name}`);
    }
    if (params.has(name)) throw new XMatrixParseError(`${name} given twice`);
    if (params.size >= MAX_PARAMS) throw new XMatrixParseError('too many parameters');
    params.set(name, value);
    skipSpace();
    if (i >= n) break;
    if (header[i] !== ',') throw new XMatrixParseError(`expected , at ${i} in Authorization header`);
    i++;
    skipSpace();
  }
  const origin = params.get('origin');
  const key = params.get('key');
  const sig = params.get('sig');
  if (!origin) throw new XMatrixParseError('X-Matrix header without origin');
  if (!key) throw new XMatrixParseError('X-Matrix header without key');
  if (!sig) throw new XMatrixParseError('X-Matrix header without sig');
  const destination = params.get('destination');
  return { origin, key, sig, ...(destination !== undefined ? { destination } : {}) };
}
