// Server key documents (spec "Retrieving server keys", keys.yaml): ours, built from the stored
// keys and signed by the current one; and other servers', checked before anything is kept — the
// right server_name, well-formed ed25519 keys, and a valid signature by every key it lists as
// current. Validity is "the lesser of valid_until_ts and 7 days into the future".

import type { KeyObject } from 'node:crypto';
import { canonicalJson, type federation } from '@hush/protocol';
import { publicKeyBase64, publicKeyFromBase64, signJson, signingKeyFromSeed, verifyJsonSignature } from '../../services/events/crypto.ts';
import type { ServerKeyRow } from '../../storage/server-keys.store.ts';

type ServerKeys = federation.ServerKeys;

/** How long our answers say our keys hold (Synapse says a day too); the spec caps trust at 7 days. */
export const OUR_KEYS_VALID_MS = 24 * 3600_000;
export const MAX_KEY_VALIDITY_MS = 7 * 24 * 3600_000;
const KEY_ID_RE = /^ed25519:[a-zA-Z0-9_]{1,64}$/;

/** Our /_matrix/key/v2/server answer: current keys, replaced ones with their expiry, signed by the signing key. */
export function buildOurServerKeys(serverName: string, rows: readonly ServerKeyRow[], signingKeyId: string, signingKey: KeyObject, now: number): ServerKeys {
  const verify_keys: ServerKeys['verify_keys'] = {};
  const old_verify_keys: NonNullable<ServerKeys['old_verify_keys']> = {};
  for (const row of rows) {
    const key = publicKeyBase64(signingKeyFromSeed(row.seed));
    if (row.expiredTs === null || row.keyId === signingKeyId) verify_keys[row.keyId] = { key };
    else old_verify_keys[row.keyId] = { key, expired_ts: row.expiredTs };
  }
  verify_keys[signingKeyId] ??= { key: publicKeyBase64(signingKey) };
  const doc = { server_name: serverName, verify_keys, old_verify_keys, valid_until_ts: now + OUR_KEYS_VALID_MS };
  return signJson(doc, serverName, signingKeyId, signingKey);
}

export interface CheckedKey {
  keyId: string;
  /** Unpadded base64, as published. */
  key: string;
  publicKey: KeyObject;
  /** null for current keys; the expiry of an old verify key. */
  expiredTs: number | null;
}

export interface CheckedServerKeys {
  serverName: string;
  /** As the server gave it. */
  validUntilTs: number;
  keys: CheckedKey[];
  /** The document as received (what a notary serves again, its signatures kept). */
  document: ServerKeys;
}

export class KeyDocumentError extends Error {}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseKey(id: string, entry: unknown, old: boolean): CheckedKey | undefined {
  if (!KEY_ID_RE.test(id)) return undefined; // other algorithms: not ours to judge, skipped
  if (!isRecord(entry) || typeof entry.key !== 'string') throw new KeyDocumentError(`key ${id} has no key`);
  let publicKey: KeyObject;
  try {
    publicKey = publicKeyFromBase64(entry.key);
  } catch {
    throw new KeyDocumentError(`key ${id} is not a 32-byte base64 ed25519 key`);
  }
  if (old && !Number.isSafeInteger(entry.expired_ts)) throw new KeyDocumentError(`old key ${id} has no expired_ts`);
  return { keyId: id, key: entry.key, publicKey, expiredTs: old ? (entry.expired_ts as number) : null };
}

/**
 * Checks a key document said to come from `serverName`: shape, server_name, and a valid
 * self-signature by each of its current ed25519 keys (at least one). Throws KeyDocumentError.
 */
export function checkServerKeys(doc: unknown, serverName: string): CheckedServerKeys {
  if (!isRecord(doc)) throw new KeyDocumentError('key document is not a JSON object');
  if (doc.server_name !== serverName) throw new KeyDocumentError(`key document is for ${JSON.stringify(doc.server_name)}, not ${serverName}`);
  if (!Number.isSafeInteger(doc.valid_until_ts)) throw new KeyDocumentError('key document has no valid_until_ts');
  if (!isRecord(doc.verify_keys)) throw new KeyDocumentError('key document has no verify_keys');
  if (doc.old_verify_keys !== undefined && !isRecord(doc.old_verify_keys)) throw new KeyDocumentError('old_verify_keys is not an object');
  try {
    canonicalJson(doc);
  } catch {
    throw new KeyDocumentError('key document is not canonical JSON (floats or invalid values)');
  }
  const current = Object.entries(doc.verify_keys).flatMap(([id, e]) => parseKey(id, e, false) ?? []);
  if (current.length === 0) throw new KeyDocumentError('key document lists no ed25519 verify key');
  for (const k of current) {
    if (!verifyJsonSignature(doc, serverName, k.keyId, k.publicKey)) throw new KeyDocumentError(`key document is not signed by its key ${k.keyId}`);
  }
  const old = Object.entries(doc.old_verify_keys ?? {}).flatMap(([id, e]) => (Object.hasOwn(doc.verify_keys as object, id) ? [] : (parseKey(id, e, true) ?? [])));
  return { serverName, validUntilTs: doc.valid_until_ts as number, keys: [...current, ...old], document: doc as unknown as ServerKeys };
}

/** The moment a fetched key stops being trusted for new signatures: valid_until_ts, at most 7 days after the fetch. */
export function effectiveValidUntil(validUntilTs: number, fetchedTs: number): number {
  return Math.min(validUntilTs, fetchedTs + MAX_KEY_VALIDITY_MS);
}
