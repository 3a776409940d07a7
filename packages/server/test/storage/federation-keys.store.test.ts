// Federation key storage on SQLite and PostgreSQL: our keys across a rotation (the current key is
// the oldest not replaced; replaced keys keep their expiry), and the remote key cache (upsert by
// server and key id, the newer fetch wins; big timestamps come back as numbers).

import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, type DatabaseHandle } from '../../src/storage/db.ts';
import { serverKeysStore } from '../../src/storage/server-keys.store.ts';
import { remoteServerKeysStore, type RemoteKeyRow } from '../../src/storage/remote-server-keys.store.ts';
import { loadSigningKey, rotateSigningKey } from '../../src/services/signing-key.ts';
import { freshPgDatabase } from '../../../../tests/support/postgres.ts';

const BACKENDS: { name: string; open(): Promise<{ h: DatabaseHandle; drop(): Promise<void> }> }[] = [
  { name: 'SQLite', open: async () => ({ h: await openDatabase(':memory:'), drop: async () => undefined }) },
  {
    name: 'PostgreSQL',
    open: async () => {
      assert.ok(process.env['HUSH_TEST_PG_URL'], 'HUSH_TEST_PG_URL must be set: run the tests with `npm test` (scripts/test.mjs)');
      const loc = await freshPgDatabase();
      return { h: await openDatabase(loc.url), drop: () => loc.drop() };
    },
  },
];

for (const backend of BACKENDS) {
  describe(`federation key storage on ${backend.name}`, () => {
    let h: DatabaseHandle;
    let drop: () => Promise<void>;
    beforeEach(async () => {
      ({ h, drop } = await backend.open());
    });
    afterEach(async () => {
      await h.close();
      await drop();
    });

    it('rotation: the new key signs, the old one is kept with its expiry; loading again finds the new key', async () => {
      const first = await loadSigningKey(h.db);
      assert.equal((await loadSigningKey(h.db)).keyId, first.keyId);
      const rotated = await rotateSigningKey(h.db, 1_900_000_000_000);
      assert.notEqual(rotated.keyId, first.keyId);
      assert.equal((await loadSigningKey(h.db)).keyId, rotated.keyId);
      const rows = await serverKeysStore.all(h.db);
      assert.deepEqual(
        rows.map((r) => [r.keyId, r.expiredTs]),
        [
          [first.keyId, 1_900_000_000_000],
          [rotated.keyId, null],
        ],
      );
      assert.equal(typeof rows[0]?.createdTs, 'number');
    });

    it('remote keys: get, list per server, upsert replaces the same server and key id', async () => {
      const row = (keyId: string, key: string, fetchedTs: number, expiredTs: number | null = null): RemoteKeyRow => ({
        serverName: 'remote.example:8448',
        keyId,
        key,
        validUntilTs: 4_102_444_800_000,
        expiredTs,
        fetchedTs,
        responseJson: `{"n":${fetchedTs}}`,
      });
      assert.equal(await remoteServerKeysStore.get(h.db, 'remote.example:8448', 'ed25519:a'), undefined);
      await remoteServerKeysStore.upsert(h.db, [row('ed25519:a', 'KEYA', 1), row('ed25519:old', 'KEYO', 1, 1_500_000_000_000)]);
      await remoteServerKeysStore.upsert(h.db, [row('ed25519:a', 'KEYA2', 2)]);
      assert.deepEqual(await remoteServerKeysStore.get(h.db, 'remote.example:8448', 'ed25519:a'), row('ed25519:a', 'KEYA2', 2));
      assert.deepEqual(await remoteServerKeysStore.forServer(h.db, 'remote.example:8448'), [row('ed25519:a', 'KEYA2', 2), row('ed25519:old', 'KEYO', 1, 1_500_000_000_000)]);
      assert.deepEqual(await remoteServerKeysStore.forServer(h.db, 'other.example'), []);
    });
  });
}
