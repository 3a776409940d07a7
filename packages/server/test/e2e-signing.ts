// Test support for the end-to-end key suites: real ed25519 keys made with node:crypto, JSON signed
// as the spec's "Signing JSON" says, device keys and cross-signing keys in the shapes clients upload.

import { generateKeyPairSync, sign as edSign, type KeyObject } from 'node:crypto';
import { canonicalJson } from '@hush/protocol';
import { encodeBase64, publicKeyBase64 } from '../src/services/events/crypto.ts';
import type { Session } from './helpers.ts';

export interface Signer {
  priv: KeyObject;
  pub: string;
}

export const newKey = (): Signer => {
  const { privateKey } = generateKeyPairSync('ed25519');
  return { priv: privateKey, pub: publicKeyBase64(privateKey) };
};

type Signed<T> = T & { signatures: Record<string, Record<string, string>> };

/** Signs `obj` as `userId` with key `ed25519:<name>`, keeping the signatures it already has. */
export function sign<T extends object>(obj: T, userId: string, name: string, k: Signer): Signed<T> {
  const { signatures, unsigned: _u, ...rest } = obj as T & { signatures?: Record<string, Record<string, string>>; unsigned?: unknown };
  const signature = encodeBase64(edSign(null, Buffer.from(canonicalJson(rest)), k.priv));
  return { ...obj, signatures: { ...signatures, [userId]: { ...signatures?.[userId], [`ed25519:${name}`]: signature } } };
}

/** A device's keys, signed by the device's ed25519 key `k`. */
export function deviceKeys(s: Session, k: Signer) {
  const keys = {
    user_id: s.userId,
    device_id: s.deviceId,
    algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
    keys: { [`curve25519:${s.deviceId}`]: 'curve' + s.deviceId, [`ed25519:${s.deviceId}`]: k.pub },
  };
  return sign(keys, s.userId, s.deviceId, k);
}

/** A cross-signing key of `s`'s user for `usage`, unsigned. */
export const crossKey = (s: Session, usage: string, k: Signer) => ({ user_id: s.userId, usage: [usage], keys: { [`ed25519:${k.pub}`]: k.pub } });

/** The three cross-signing keys of `s`'s user, the other two signed by the master key. */
export function crossSigningKeys(s: Session) {
  const master = newKey();
  const selfSigning = newKey();
  const userSigning = newKey();
  return {
    master,
    selfSigning,
    userSigning,
    body: {
      master_key: crossKey(s, 'master', master),
      self_signing_key: sign(crossKey(s, 'self_signing', selfSigning), s.userId, master.pub, master),
      user_signing_key: sign(crossKey(s, 'user_signing', userSigning), s.userId, master.pub, master),
    },
  };
}
