// Event crypto: content and reference hashes, event IDs, the redaction algorithm, and ed25519
// signing/verification of JSON and events (appendices "Signing JSON"; server-server API "Signing events").

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomInt, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson, type EventId, type JsonObject, type Pdu } from '@hush/protocol';
import { redactionAlgorithmOf, type RedactionAlgorithm } from '../rooms/versions/index.ts';

/** `signatures`: server name → key id (`ed25519:abc`) → unpadded base64 signature. */
export type Signatures = Record<string, Record<string, string>>;

/** A PDU as built locally, before `hashEvent`/`hashAndSignEvent` fill in `hashes` and `signatures`. */
export type UnhashedPdu = Omit<Pdu, 'hashes' | 'signatures'> & Partial<Pick<Pdu, 'hashes' | 'signatures'>>;

export const DEFAULT_ROOM_VERSION = '11';

// ---------------------------------------------------------------------------------------------
// Unpadded base64 (appendices "Unpadded Base64", "URL-safe unpadded Base64")

const STANDARD_B64 = /^[A-Za-z0-9+/]*={0,2}$/;
const URL_SAFE_B64 = /^[A-Za-z0-9_-]*={0,2}$/;

/** Standard-alphabet base64 without `=` padding. */
export function encodeBase64(bytes: Uint8Array): string {
  const s = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0x3d /* = */) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** URL-safe base64 (`-` and `_`) without padding. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * Decodes standard base64, with or without padding (the spec asks decoders to accept both).
 * Non-zero bits in the last character are ignored. Throws a TypeError on anything else.
 */
export function decodeBase64(s: string): Buffer {
  return decode(s, STANDARD_B64, 'base64');
}

/** Decodes URL-safe base64, with or without padding. Throws a TypeError on invalid input. */
export function decodeBase64Url(s: string): Buffer {
  return decode(s, URL_SAFE_B64, 'base64url');
}

function decode(s: string, alphabet: RegExp, encoding: 'base64' | 'base64url'): Buffer {
  if (typeof s !== 'string' || !alphabet.test(s)) throw new TypeError('Invalid base64');
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0x3d) end--;
  // A lone trailing character carries fewer than 8 bits; padding, when present, must be complete.
  if (end % 4 === 1 || (end !== s.length && s.length % 4 !== 0)) throw new TypeError('Invalid base64 length');
  return Buffer.from(end === s.length ? s : s.slice(0, end), encoding);
}

// ---------------------------------------------------------------------------------------------
// Redaction (rooms/v1..v11 "Redactions")

type ContentFilter = (content: Record<string, unknown>) => Record<string, unknown>;

interface RedactionRules {
  /** Top-level keys that survive, `content` included. */
  readonly topLevel: readonly string[];
  /** Per event type: what survives of `content`. Types not listed keep nothing. */
  readonly content: ReadonlyMap<string, ContentFilter>;
}

function keep(...keys: string[]): ContentFilter {
  return (content) => {
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      if (Object.hasOwn(content, key)) out[key] = content[key];
    }
    return out;
  };
}

const keepAll: ContentFilter = (content) => content;

const TOP_LEVEL_V1 = [
  'event_id', 'type', 'room_id', 'sender', 'state_key', 'content', 'hashes', 'signatures', 'depth',
  'prev_events', 'prev_state', 'auth_events', 'origin', 'origin_server_ts', 'membership',
] as const;
const TOP_LEVEL_V11 = [
  'event_id', 'type', 'room_id', 'sender', 'state_key', 'content', 'hashes', 'signatures', 'depth',
  'prev_events', 'auth_events', 'origin_server_ts',
] as const;
const POWER_LEVELS_V1 = ['ban', 'events', 'events_default', 'kick', 'redact', 'state_default', 'users', 'users_default'];

const keepMemberV11 = (() => {
  const base = keep('membership', 'join_authorised_via_users_server');
  return (content: Record<string, unknown>): Record<string, unknown> => {
    const out = base(content);
    // Only `third_party_invite.signed` is protected. Like Synapse (which decides what the rest of
    // the federation hashes), an object-valued third_party_invite without `signed` becomes `{}`.
    const invite = content.third_party_invite;
    if (isPlainRecord(invite)) {
      out.third_party_invite = Object.hasOwn(invite, 'signed') ? { signed: invite.signed } : {};
    }
    return out;
  };
})();

function rules(topLevel: readonly string[], content: Record<string, ContentFilter>): RedactionRules {
  return { topLevel, content: new Map(Object.entries(content)) };
}

const V1_RULES = rules(TOP_LEVEL_V1, {
  'm.room.member': keep('membership'),
  'm.room.create': keep('creator'),
  'm.room.join_rules': keep('join_rule'),
  'm.room.power_levels': keep(...POWER_LEVELS_V1),
  'm.room.aliases': keep('aliases'),
  'm.room.history_visibility': keep('history_visibility'),
});
const V6_RULES = rules(TOP_LEVEL_V1, {
  'm.room.member': keep('membership'),
  'm.room.create': keep('creator'),
  'm.room.join_rules': keep('join_rule'),
  'm.room.power_levels': keep(...POWER_LEVELS_V1),
  'm.room.history_visibility': keep('history_visibility'),
});
const V8_RULES = rules(TOP_LEVEL_V1, {
  'm.room.member': keep('membership'),
  'm.room.create': keep('creator'),
  'm.room.join_rules': keep('join_rule', 'allow'),
  'm.room.power_levels': keep(...POWER_LEVELS_V1),
  'm.room.history_visibility': keep('history_visibility'),
});
const V9_RULES = rules(TOP_LEVEL_V1, {
  'm.room.member': keep('membership', 'join_authorised_via_users_server'),
  'm.room.create': keep('creator'),
  'm.room.join_rules': keep('join_rule', 'allow'),
  'm.room.power_levels': keep(...POWER_LEVELS_V1),
  'm.room.history_visibility': keep('history_visibility'),
});
const V11_RULES = rules(TOP_LEVEL_V11, {
  'm.room.member': keepMemberV11,
  'm.room.create': keepAll,
  'm.room.join_rules': keep('join_rule', 'allow'),
  'm.room.power_levels': keep(...POWER_LEVELS_V1, 'invite'),
  'm.room.history_visibility': keep('history_visibility'),
  'm.room.redaction': keep('redacts'),
});

const RULES_BY_ALGORITHM: Readonly<Record<RedactionAlgorithm, RedactionRules>> = {
  v1: V1_RULES,
  v6: V6_RULES,
  v8: V8_RULES,
  v9: V9_RULES,
  v11: V11_RULES,
};

/** The redaction rules of a room version, as its descriptor (rooms/versions) names them. */
function rulesFor(roomVersion: string): RedactionRules {
  const algorithm = redactionAlgorithmOf(roomVersion);
  if (!algorithm) throw new RangeError(`Unsupported room version: ${roomVersion}`);
  return RULES_BY_ALGORITHM[algorithm];
}

function isPlainRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The redacted copy of `event`. Shallow: kept values are shared with the input, so treat both as
 * read-only. `content` is always present in the result (`{}` when nothing survives); `unsigned`
 * never is (callers add `redacted_because` themselves when serving the event).
 */
function redactedCopy(event: object, roomRules: RedactionRules, withSignatures: boolean): Record<string, unknown> {
  const src = event as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of roomRules.topLevel) {
    if (key === 'content' || (key === 'signatures' && !withSignatures)) continue;
    const value = src[key];
    if (value !== undefined) out[key] = value;
  }
  const content = src.content;
  const filter = typeof src.type === 'string' ? roomRules.content.get(src.type) : undefined;
  out.content = filter !== undefined && isPlainRecord(content) ? filter(content) : {};
  return out;
}

/**
 * The redaction algorithm of `roomVersion` (default 11; versions 1-12 are known, anything else is
 * a RangeError). Returns a new object; the input is not modified.
 */
export function redactEvent(event: Pdu, roomVersion?: string): Pdu;
export function redactEvent(event: object, roomVersion?: string): JsonObject;
export function redactEvent(event: object, roomVersion: string = DEFAULT_ROOM_VERSION): object {
  return redactedCopy(event, rulesFor(roomVersion), true);
}

// ---------------------------------------------------------------------------------------------
// Hashes and event IDs

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** A shallow copy of `obj` without `omit`'s keys. */
function without(obj: object, omit: ReadonlySet<string>): Record<string, unknown> {
  const src = obj as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(src)) {
    if (!omit.has(key)) out[key] = src[key];
  }
  return out;
}

const NOT_CONTENT_HASHED: ReadonlySet<string> = new Set(['unsigned', 'signatures', 'hashes']);
const NOT_SIGNED: ReadonlySet<string> = new Set(['unsigned', 'signatures']);

/**
 * The content hash ("Calculating the content hash for an event"): sha256 over the Canonical JSON
 * of the whole event minus `unsigned`, `signatures` and `hashes`, as unpadded standard base64.
 * Throws a TypeError if the event is not representable as Canonical JSON.
 */
export function contentHash(event: object): string {
  return encodeBase64(sha256(canonicalJson(without(event, NOT_CONTENT_HASHED))));
}

/** True when `event.hashes.sha256` matches the event's content (padded or unpadded base64 accepted). */
export function checkContentHash(event: object): boolean {
  const hashes = (event as { hashes?: unknown }).hashes;
  if (!isPlainRecord(hashes) || typeof hashes.sha256 !== 'string') return false;
  let claimed: Buffer;
  let actual: Buffer;
  try {
    claimed = decodeBase64(hashes.sha256);
    actual = sha256(canonicalJson(without(event, NOT_CONTENT_HASHED)));
  } catch {
    return false;
  }
  return claimed.equals(actual);
}

/** Returns a copy of `event` with `hashes.sha256` set to its content hash. */
export function hashEvent<T extends object>(event: T): T & { hashes: { sha256: string } } {
  return { ...event, hashes: { sha256: contentHash(event) } };
}

function referenceHashBytes(event: object, roomVersion: string): Buffer {
  // Redaction drops `unsigned` (and any top-level `age_ts`); skipping `signatures` completes step 2.
  return sha256(canonicalJson(redactedCopy(event, rulesFor(roomVersion), false)));
}

/**
 * The reference hash ("Calculating the reference hash for an event"): sha256 over the Canonical
 * JSON of the redacted event minus `signatures` and `unsigned`, as URL-safe unpadded base64.
 */
export function referenceHash(event: object, roomVersion: string = DEFAULT_ROOM_VERSION): string {
  return encodeBase64Url(referenceHashBytes(event, roomVersion));
}

/**
 * The event ID of an event in room version 3 or later: `$` + its reference hash (standard base64 in
 * v3, URL-safe from v4 on). 44 characters. Room versions 1 and 2 carry their IDs in the event.
 */
export function eventIdFor(event: object, roomVersion: string = DEFAULT_ROOM_VERSION): EventId {
  if (roomVersion === '1' || roomVersion === '2') throw new RangeError(`Room version ${roomVersion} event IDs are not hashes`);
  const hash = referenceHashBytes(event, roomVersion);
  return `$${roomVersion === '3' ? encodeBase64(hash) : encodeBase64Url(hash)}` as EventId;
}

// ---------------------------------------------------------------------------------------------
// Signing JSON and events

const ED25519_PREFIX = 'ed25519:';
const KEY_VERSION_RE = /^[a-zA-Z0-9_]+$/;
const SIGNATURE_BYTES = 64;

function assertSigningKey(keyId: string, key: KeyObject): void {
  if (!keyId.startsWith(ED25519_PREFIX) || !KEY_VERSION_RE.test(keyId.slice(ED25519_PREFIX.length))) {
    throw new TypeError(`Invalid ed25519 key id: ${keyId}`);
  }
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ed25519') throw new TypeError('Expected an ed25519 private key');
}

function signText(text: string, key: KeyObject): string {
  return encodeBase64(sign(null, Buffer.from(text, 'utf8'), key));
}

/** Copy of `obj` with `signatures[serverName][keyId] = signature`, other signatures kept. */
function withSignature<T extends object>(obj: T, serverName: string, keyId: string, signature: string): T & { signatures: Signatures } {
  const existing = (obj as { signatures?: unknown }).signatures;
  const signatures: Signatures = isPlainRecord(existing) ? { ...(existing as Signatures) } : {};
  const mine = signatures[serverName];
  signatures[serverName] = { ...(isPlainRecord(mine) ? mine : {}), [keyId]: signature };
  return { ...obj, signatures };
}

function signatureFrom(obj: object, serverName: string, keyId: string): Buffer | undefined {
  const signatures = (obj as { signatures?: unknown }).signatures;
  if (!isPlainRecord(signatures)) return undefined;
  const forServer = signatures[serverName];
  if (!isPlainRecord(forServer) || !Object.hasOwn(forServer, keyId)) return undefined;
  const encoded = forServer[keyId];
  if (typeof encoded !== 'string') return undefined;
  try {
    const bytes = decodeBase64(encoded);
    return bytes.length === SIGNATURE_BYTES ? bytes : undefined;
  } catch {
    return undefined;
  }
}

function verifyText(text: string, signature: Buffer, publicKey: KeyObject): boolean {
  return verify(null, Buffer.from(text, 'utf8'), publicKey, signature);
}

/**
 * "Signing JSON": signs the Canonical JSON of `obj` without `signatures` and `unsigned`, and
 * returns a shallow copy of `obj` with the signature added under `signatures[serverName][keyId]`
 * (existing signatures and `unsigned` are kept). `obj` itself is not modified.
 */
export function signJson<T extends object>(obj: T, serverName: string, keyId: string, privateKey: KeyObject): T & { signatures: Signatures } {
  assertSigningKey(keyId, privateKey);
  return withSignature(obj, serverName, keyId, signText(canonicalJson(without(obj, NOT_SIGNED)), privateKey));
}

/**
 * "Checking for a signature", for one server and key whose verify key the caller has looked up:
 * false when the signature is missing, not 64 bytes of valid base64, the object is not Canonical
 * JSON, the key id is not ed25519, or the signature does not match.
 */
export function verifyJsonSignature(obj: object, serverName: string, keyId: string, publicKey: KeyObject): boolean {
  if (!keyId.startsWith(ED25519_PREFIX)) return false;
  const signature = signatureFrom(obj, serverName, keyId);
  if (!signature) return false;
  let text: string;
  try {
    text = canonicalJson(without(obj, NOT_SIGNED));
  } catch {
    return false;
  }
  return verifyText(text, signature, publicKey);
}

/**
 * Signs an event that already carries its `hashes` ("Adding hashes and signatures to outgoing
 * events", second half): the signature covers the redacted event, so it stays checkable after a
 * redaction. Returns a copy of `event` with the signature added. Use this to co-sign an event built
 * elsewhere (its hashes must not be recomputed); use `hashAndSignEvent` for events built here.
 */
export function signEvent<T extends object>(
  event: T,
  serverName: string,
  keyId: string,
  privateKey: KeyObject,
  roomVersion: string = DEFAULT_ROOM_VERSION,
): T & { signatures: Signatures } {
  assertSigningKey(keyId, privateKey);
  const hashes = (event as { hashes?: unknown }).hashes;
  if (!isPlainRecord(hashes) || typeof hashes.sha256 !== 'string') throw new TypeError('signEvent: the event has no hashes.sha256');
  const text = canonicalJson(redactedCopy(event, rulesFor(roomVersion), false));
  return withSignature(event, serverName, keyId, signText(text, privateKey));
}

/** Sets `hashes.sha256` to the content hash, then signs the redacted event: a ready-to-send PDU. */
export function hashAndSignEvent<T extends object>(
  event: T,
  serverName: string,
  keyId: string,
  privateKey: KeyObject,
  roomVersion: string = DEFAULT_ROOM_VERSION,
): T & { hashes: { sha256: string }; signatures: Signatures } {
  return signEvent(hashEvent(event), serverName, keyId, privateKey, roomVersion);
}

/**
 * Checks `serverName`'s signature with `keyId` on an event ("Validating hashes and signatures on
 * received events"): the redacted event is what was signed, so this works on full and redacted
 * copies alike. Does not check the content hash (see `checkContentHash`).
 */
export function verifyEventSignature(
  event: object,
  serverName: string,
  keyId: string,
  publicKey: KeyObject,
  roomVersion: string = DEFAULT_ROOM_VERSION,
): boolean {
  if (!keyId.startsWith(ED25519_PREFIX)) return false;
  const signature = signatureFrom(event, serverName, keyId);
  if (!signature) return false;
  const roomRules = rulesFor(roomVersion); // an unknown room version throws rather than reads as "unsigned"
  let text: string;
  try {
    text = canonicalJson(redactedCopy(event, roomRules, false));
  } catch {
    return false;
  }
  return verifyText(text, signature, publicKey);
}

// ---------------------------------------------------------------------------------------------
// Keys: stored as the 32-byte ed25519 seed in unpadded base64

/** PKCS#8 DER header for an ed25519 private key; the 32-byte seed follows it. */
const PKCS8_ED25519_HEADER = Buffer.from('302e020100300506032b657004220420', 'hex');
/** SPKI DER header for an ed25519 public key; the 32-byte key follows it. */
const SPKI_ED25519_HEADER = Buffer.from('302a300506032b6570032100', 'hex');
const KEY_BYTES = 32;
const KEY_VERSION_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A fresh key id: `ed25519:` + 6 random alphanumerics. */
export function generateKeyId(): string {
  let version = '';
  for (let i = 0; i < 6; i++) version += KEY_VERSION_ALPHABET[randomInt(KEY_VERSION_ALPHABET.length)];
  return ED25519_PREFIX + version;
}

/** A new ed25519 signing key and a fresh key id for it. Persist `seedOf(privateKey)`. */
export function generateSigningKey(): { keyId: string; privateKey: KeyObject } {
  return { keyId: generateKeyId(), privateKey: generateKeyPairSync('ed25519').privateKey };
}

/** The private key for a 32-byte seed given in (unpadded or padded) standard base64. */
export function signingKeyFromSeed(seedBase64: string): KeyObject {
  const seed = decodeBase64(seedBase64);
  if (seed.length !== KEY_BYTES) throw new TypeError(`An ed25519 seed is ${KEY_BYTES} bytes, got ${seed.length}`);
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_HEADER, seed]), format: 'der', type: 'pkcs8' });
}

/** The 32-byte seed of an ed25519 private key, as unpadded base64 (inverse of `signingKeyFromSeed`). */
export function seedOf(privateKey: KeyObject): string {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') throw new TypeError('Expected an ed25519 private key');
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  return encodeBase64(der.subarray(der.length - KEY_BYTES));
}

/** The raw public key as unpadded base64: the `key` of a `verify_keys` entry. Accepts a private or public key. */
export function publicKeyBase64(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new TypeError('Expected an ed25519 key');
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return encodeBase64(der.subarray(der.length - KEY_BYTES));
}

/** The public key for a `verify_keys` entry's base64 `key`. Throws a TypeError if it is not 32 bytes of base64. */
export function publicKeyFromBase64(keyBase64: string): KeyObject {
  const raw = decodeBase64(keyBase64);
  if (raw.length !== KEY_BYTES) throw new TypeError(`An ed25519 public key is ${KEY_BYTES} bytes, got ${raw.length}`);
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_HEADER, raw]), format: 'der', type: 'spki' });
}
