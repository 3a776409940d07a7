// Signed key objects (spec "Signing JSON", "Cross-signing"): reading the ed25519 key a key object
// names, checking a user's signature on it with node:crypto over its canonical JSON, and comparing
// two uploads of the same key without their signatures.

import { canonicalJson, ErrCode, MatrixError } from '@hush/protocol';
import { publicKeyFromBase64, verifyJsonSignature } from '../events/crypto.ts';

export type JsonRecord = Record<string, unknown>;

export const isRecord = (v: unknown): v is JsonRecord => typeof v === 'object' && v !== null && !Array.isArray(v);

export const INVALID_SIGNATURE = 'M_INVALID_SIGNATURE';

/** Whether `obj` carries a valid signature by `signer`'s key `ed25519:<name>` whose public key is
 *  `publicKey` (unpadded base64). */
export function signedBy(obj: JsonRecord, signer: string, keyName: string, publicKey: string): boolean {
  let key;
  try {
    key = publicKeyFromBase64(publicKey);
  } catch {
    return false;
  }
  return verifyJsonSignature(obj, signer, `ed25519:${keyName}`, key);
}

/** The signatures `obj` carries for `signer`: key id → signature. */
export function signaturesOf(obj: JsonRecord, signer: string): Record<string, string> {
  const all = obj['signatures'];
  const mine = isRecord(all) ? all[signer] : undefined;
  if (!isRecord(mine)) return {};
  return Object.fromEntries(Object.entries(mine).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** The signed part of a key object as canonical JSON: without `signatures` and `unsigned`. Throws
 *  400 M_BAD_JSON when it cannot be encoded (floats, too-large numbers). */
export function signedContent(obj: JsonRecord): string {
  const { signatures: _s, unsigned: _u, ...rest } = obj;
  try {
    return canonicalJson(rest);
  } catch {
    throw new MatrixError(400, ErrCode.BAD_JSON, 'Key object is not canonical JSON');
  }
}

/** The object without `unsigned`, as canonical JSON: what is stored for an uploaded key. */
export function storedForm(obj: JsonRecord): string {
  const { unsigned: _u, ...rest } = obj;
  try {
    return canonicalJson(rest);
  } catch {
    throw new MatrixError(400, ErrCode.BAD_JSON, 'Key object is not canonical JSON');
  }
}

/** `base` with the string signatures of `extra` added (those of `extra` win on the same key id). */
export function mergedSignatures(base: JsonRecord, extra: JsonRecord): JsonRecord {
  const out: Record<string, Record<string, string>> = {};
  for (const src of [base, extra]) {
    const all = src['signatures'];
    if (!isRecord(all)) continue;
    for (const signer of Object.keys(all)) Object.assign((out[signer] ??= {}), signaturesOf(src, signer));
  }
  return { ...base, signatures: out };
}

/** A cross-signing key's one ed25519 public key ("keys: … Must contain only one key"). */
export function crossSigningPublicKey(obj: JsonRecord): string | undefined {
  const keys = obj['keys'];
  if (!isRecord(keys)) return undefined;
  const entries = Object.entries(keys);
  if (entries.length !== 1) return undefined;
  const [id, value] = entries[0] as [string, unknown];
  if (typeof value !== 'string' || id !== `ed25519:${value}`) return undefined;
  try {
    publicKeyFromBase64(value);
  } catch {
    return undefined;
  }
  return value;
}
