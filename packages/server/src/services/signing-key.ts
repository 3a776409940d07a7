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

/** The current key (the oldest not replaced); made and stored on first start. */
export async function loadSigningKey(db: Db): Promise<SigningKey> {
  let row = await serverKeysStore.current(db);
  if (!row) {
    const fresh = generateSigningKey();
    await serverKeysStore.insertIfAbsent(db, fresh.keyId, seedOf(fresh.privateKey));
    row = await serverKeysStore.current(db);
    if (!row) throw new Error('signing key could not be stored');
  }
  return { keyId: row.keyId, privateKey: signingKeyFromSeed(row.seed) };
}

/** Replaces the current key by a new one: the old key is served as an old verify key, expired now.
 *  Processes already running keep signing with the key they loaded until restarted. */
export async function rotateSigningKey(db: Db, now = Date.now()): Promise<SigningKey> {
  const fresh = generateSigningKey();
  await db.transaction().execute(async (tx) => {
    await serverKeysStore.expireCurrent(tx, now);
    await serverKeysStore.insertIfAbsent(tx, fresh.keyId, seedOf(fresh.privateKey), now);
  });
  return fresh;
}
