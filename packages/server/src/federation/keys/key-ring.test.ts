// The key ring with a fake fetcher: a direct fetch is checked (server_name, self-signature by every
// current key) before it is kept; cache in memory and database; 7-day cap; notaries as a fallback,
// their signature required; fetches spaced per server so made-up key ids cost nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { openDatabase } from '../../storage/db.ts';
import { generateSigningKey, publicKeyBase64, signJson } from '../../services/events/crypto.ts';
import { loadSigningKey } from '../../services/signing-key.ts';
import { OurKeys } from './our-keys.ts';
import { KeyRing, REFETCH_SPACING_MS, type KeyFetcher } from './key-ring.ts';
import { checkServerKeys, KeyDocumentError, MAX_KEY_VALIDITY_MS } from './server-keys.ts';
import type { TrustedKeyServer } from '../../config/federation.ts';

const quiet = { warn: () => undefined };
type Key = { keyId: string; privateKey: KeyObject };

function keyDoc(server: string, keys: Key[], validUntil: number, signers: Key[] = keys, extra: Record<string, unknown> = {}) {
  let doc: Record<string, unknown> = {
    server_name: server,
    verify_keys: Object.fromEntries(keys.map((k) => [k.keyId, { key: publicKeyBase64(k.privateKey) }])),
    valid_until_ts: validUntil,
    ...extra,
  };
  for (const s of signers) doc = signJson(doc, server, s.keyId, s.privateKey);
  return doc;
}

async function ring(fetcher: KeyFetcher, trusted: TrustedKeyServer[] = [], clock = { now: 1_000_000 }) {
  const h = await openDatabase(':memory:');
  const ours = new OurKeys(h.db, 'us.example', await loadSigningKey(h.db), () => clock.now);
  return { kr: new KeyRing(h.db, ours, fetcher, trusted, quiet, () => clock.now), h, clock };
}

test('checkServerKeys: wrong server_name, a key that did not sign, a bad key, floats — all refused', () => {
  const a = generateSigningKey();
  const b = generateSigningKey();
  assert.equal(checkServerKeys(keyDoc('r.example', [a], 5), 'r.example').keys.length, 1);
  assert.throws(() => checkServerKeys(keyDoc('r.example', [a], 5), 'other.example'), KeyDocumentError);
  assert.throws(() => checkServerKeys(keyDoc('r.example', [a, b], 5, [a]), 'r.example'), /not signed by its key/);
  assert.throws(() => checkServerKeys(keyDoc('r.example', [a], 5, [b]), 'r.example'), /not signed/);
  assert.throws(() => checkServerKeys({ ...keyDoc('r.example', [a], 5), verify_keys: { [a.keyId]: { key: 'short' } } }, 'r.example'), /32-byte/);
  assert.throws(() => checkServerKeys({ ...keyDoc('r.example', [a], 5), valid_until_ts: 5.5 }, 'r.example'), KeyDocumentError);
  assert.throws(() => checkServerKeys({ ...keyDoc('r.example', [a], 5), extra: 1.5 }, 'r.example'), /canonical/);
  assert.throws(() => checkServerKeys('nope', 'r.example'), KeyDocumentError);
  const old = checkServerKeys(keyDoc('r.example', [a], 5, [a], { old_verify_keys: { [b.keyId]: { key: publicKeyBase64(b.privateKey), expired_ts: 3 } } }), 'r.example');
  assert.deepEqual(old.keys.map((k) => [k.keyId, k.expiredTs]), [[a.keyId, null], [b.keyId, 3]]);
});

test('a direct fetch is kept (memory, then database) and reused; an old key is not good for requests', async () => {
  const a = generateSigningKey();
  const b = generateSigningKey();
  let fetches = 0;
  const { kr, clock } = await ring({
    direct: async () => {
      fetches++;
      return keyDoc('r.example', [a], 1_000_000 + 86_400_000, [a], { old_verify_keys: { [b.keyId]: { key: publicKeyBase64(b.privateKey), expired_ts: 5 } } });
    },
    notary: async () => assert.fail('no notary configured'),
  });
  assert.ok(await kr.requestKey('r.example', a.keyId));
  assert.ok(await kr.requestKey('r.example', a.keyId));
  assert.equal(fetches, 1);
  assert.equal(await kr.requestKey('r.example', b.keyId), undefined);
  // After valid_until_ts the key is fetched again.
  clock.now += 86_400_000 + REFETCH_SPACING_MS + 1;
  assert.equal(await kr.requestKey('r.example', a.keyId), undefined); // the same (now stale) answer again
  assert.equal(fetches, 2);
});

test('valid_until_ts is capped at 7 days after the fetch', async () => {
  const a = generateSigningKey();
  let fetches = 0;
  const { kr, clock } = await ring({
    direct: async () => {
      fetches++;
      return keyDoc('r.example', [a], 1_000_000 + 365 * 86_400_000);
    },
    notary: async () => ({}),
  });
  assert.ok(await kr.requestKey('r.example', a.keyId));
  clock.now += MAX_KEY_VALIDITY_MS;
  assert.ok(await kr.requestKey('r.example', a.keyId));
  assert.equal(fetches, 1, 'trusted for 7 days');
  clock.now += 1;
  assert.ok(await kr.requestKey('r.example', a.keyId));
  assert.equal(fetches, 2, 'fetched again after 7 days although valid_until_ts is a year away');
});

test('made-up key ids: one fetch per 30 s per server, concurrent requests share it', async () => {
  const a = generateSigningKey();
  let fetches = 0;
  const { kr, clock } = await ring({
    direct: async () => {
      fetches++;
      await new Promise((r) => setTimeout(r, 5));
      return keyDoc('r.example', [a], 10 ** 13);
    },
    notary: async () => ({}),
  });
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => kr.requestKey('r.example', `ed25519:fake${i}`)));
  assert.ok(results.every((r) => r === undefined));
  assert.equal(fetches, 1);
  await kr.requestKey('r.example', 'ed25519:another');
  assert.equal(fetches, 1);
  clock.now += REFETCH_SPACING_MS;
  await kr.requestKey('r.example', 'ed25519:another');
  assert.equal(fetches, 2);
});

test('notary fallback: used when the server is unreachable; its answer needs the notary signature', async () => {
  const a = generateSigningKey();
  const notaryKey = generateSigningKey();
  const stranger = generateSigningKey();
  const signedBy = (k: Key) => signJson(keyDoc('r.example', [a], 10 ** 13), 'notary.example', k.keyId, k.privateKey);
  let answer = signedBy(stranger);
  const fetcher: KeyFetcher = {
    direct: async (name) => {
      if (name === 'notary.example') return keyDoc('notary.example', [notaryKey], 10 ** 13);
      throw new Error('unreachable');
    },
    notary: async (notary, body) => {
      assert.equal(notary, 'notary.example');
      assert.deepEqual(Object.keys((body as { server_keys: object }).server_keys), ['r.example']);
      return { server_keys: [answer] };
    },
  };
  // A notary whose key is fetched from it directly.
  const { kr, clock } = await ring(fetcher, [{ serverName: 'notary.example' }]);
  assert.equal(await kr.requestKey('r.example', a.keyId), undefined, 'signed by a key the notary does not have');
  answer = signedBy(notaryKey);
  clock.now += REFETCH_SPACING_MS;
  assert.ok(await kr.requestKey('r.example', a.keyId));
  // A notary pinned by configuration: only its configured key counts.
  const pinned = await ring(fetcher, [{ serverName: 'notary.example', verifyKeys: { [stranger.keyId]: publicKeyBase64(stranger.privateKey) } }]);
  answer = signedBy(notaryKey);
  assert.equal(await pinned.kr.requestKey('r.example', a.keyId), undefined);
  pinned.clock.now += REFETCH_SPACING_MS;
  answer = signedBy(stranger);
  assert.ok(await pinned.kr.requestKey('r.example', a.keyId));
});
