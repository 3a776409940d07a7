// Branded Matrix identifiers and the only parsers that mint them ("Common identifier format",
// "Server name", "User identifiers", "Room IDs", "Event IDs" in the appendices).

import { invalidParam, type MatrixError } from './errors.ts';

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

export type ServerName = Brand<string, 'ServerName'>;
export type UserId = Brand<string, 'UserId'>;
export type RoomId = Brand<string, 'RoomId'>;
export type EventId = Brand<string, 'EventId'>;
export type RoomAlias = Brand<string, 'RoomAlias'>;
export type DeviceId = Brand<string, 'DeviceId'>;

/** Identifiers are at most 255 bytes including the sigil (appendix, "Common identifier format"). */
const MAX_ID_BYTES = 255;

// server_name = hostname [ ":" port ]; hostname = IPv4 / "[" IPv6 "]" / DNS name.
const SERVER_NAME_RE =
  /^(?:\[[0-9A-Fa-f:.]{2,45}\]|[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*)(?::[0-9]{1,5})?$/;

/** Historical user-id localparts: any printable ASCII except ':' (servers must accept them in ids). */
const HISTORICAL_LOCALPART_RE = /^[!-9;-~]+$/;
/** Localparts a server may create now: a-z, 0-9, `._=-/+`. */
export const NEW_LOCALPART_RE = /^[a-z0-9._=\-/+]+$/;

const OPAQUE_LOCALPART_RE = /^[!-9;-~]+$/;

/** Room alias localparts: "any valid unicode codepoints except `:`" (appendix, "Room Aliases") —
 *  and not NUL, which no store can keep. Well-formed UTF-16 (no lone surrogate), not empty. */
function isAliasLocalpart(s: string): boolean {
  return s.length > 0 && !s.includes(':') && !s.includes('\u0000') && s.isWellFormed();
}

/** UTF-8 length without Node's Buffer, so the checks run in browsers too (a lone surrogate counts
 *  as the 3 bytes of U+FFFD, as encoders write it). */
export function utf8ByteLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

export function isServerName(s: unknown): s is ServerName {
  if (typeof s !== 'string' || s.length === 0 || s.length > MAX_ID_BYTES || !SERVER_NAME_RE.test(s)) return false;
  const colon = s.lastIndexOf(':');
  if (colon > 0 && !s.endsWith(']')) {
    const port = Number(s.slice(colon + 1));
    if (!(port >= 1 && port <= 65535)) return false;
  }
  return true;
}

/** Splits `sigil localpart ":" server_name` at the first colon. */
function splitId(s: string, sigil: string): [string, string] | null {
  if (typeof s !== 'string' || !s.startsWith(sigil) || utf8ByteLength(s) > MAX_ID_BYTES) return null;
  const colon = s.indexOf(':');
  if (colon < 2) return null;
  const server = s.slice(colon + 1);
  if (!isServerName(server)) return null;
  return [s.slice(1, colon), server];
}

export function isUserId(s: unknown): s is UserId {
  if (typeof s !== 'string') return false;
  const parts = splitId(s, '@');
  return parts !== null && HISTORICAL_LOCALPART_RE.test(parts[0]);
}

export function isRoomId(s: unknown): s is RoomId {
  if (typeof s !== 'string') return false;
  const parts = splitId(s, '!');
  return parts !== null && OPAQUE_LOCALPART_RE.test(parts[0]);
}

export function isRoomAlias(s: unknown): s is RoomAlias {
  if (typeof s !== 'string') return false;
  const parts = splitId(s, '#');
  return parts !== null && isAliasLocalpart(parts[0]);
}

/** Room versions 4+ use `$` + url-safe unpadded base64 of the reference hash (43 chars). */
export function isEventId(s: unknown): s is EventId {
  return typeof s === 'string' && s.length > 1 && s.length <= MAX_ID_BYTES && s.startsWith('$') && /^\$[!-~]+$/.test(s);
}

function parser<T extends string>(check: (s: unknown) => s is T, what: string) {
  return (s: unknown, err: (msg: string) => MatrixError = invalidParam): T => {
    if (!check(s)) throw err(`Invalid ${what}: ${describe(s)}`);
    return s;
  };
}

function describe(s: unknown): string {
  if (typeof s !== 'string') return typeof s;
  return JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}…` : s);
}

export const parseUserId = parser(isUserId, 'user ID');
export const parseRoomId = parser(isRoomId, 'room ID');
export const parseRoomAlias = parser(isRoomAlias, 'room alias');
export const parseEventId = parser(isEventId, 'event ID');
export const parseServerName = parser(isServerName, 'server name');

export function serverNameOf(id: UserId | RoomId | RoomAlias): ServerName {
  return id.slice(id.indexOf(':') + 1) as ServerName;
}

export function localpartOf(id: UserId): string {
  return id.slice(1, id.indexOf(':'));
}

export function makeUserId(localpart: string, server: ServerName): UserId {
  return `@${localpart}:${server}` as UserId;
}

/** Device ids are opaque strings chosen by the client or the server. */
export function isDeviceId(s: unknown): s is DeviceId {
  return typeof s === 'string' && s.length > 0 && s.length <= MAX_ID_BYTES;
}
