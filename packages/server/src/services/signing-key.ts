// The homeserver's ed25519 signing key: created on first start, stored as a seed in the database,
// so every process on one database signs with the same key.

import type { KeyObject } from 'node:crypto';
import type { Db } from '../storage/db.ts';
import { serverKeysStore } from '../storage/server-keys.store.ts';
import { generateSigningKey, seedOf, signingKeyFromSeed } from './events/crypto.ts';

export interface SigningKey {
  keyId: string;
  privateKey: KeyObject;
}

export async function loadSigningKey(db: Db): Promise<SigningKey> {
  let row = await serverKeysStore.first(db);
  if (!row) {
    const fresh = generateSigningKey();
    await serverKeysStore.insertIfAbsent(db, fresh.keyId, seedOf(fresh.privateKey));
    row = await serverKeysStore.first(db);
    if (!row) throw new Error('signing key could not be stored');
  }
  return { keyId: row.keyId, privateKey: signingKeyFromSeed(row.seed) };
}
