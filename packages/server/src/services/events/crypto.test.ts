import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { EventId, Pdu, RoomId, UserId } from '@hush/protocol';
import {
  checkContentHash,
  contentHash,
  decodeBase64,
  decodeBase64Url,
  encodeBase64,
  encodeBase64Url,
  eventIdFor,
  generateKeyId,
  generateSigningKey,
  hashAndSignEvent,
  hashEvent,
  publicKeyBase64,
  publicKeyFromBase64,
  redactEvent,
  referenceHash,
  seedOf,
  signEvent,
  signingKeyFromSeed,
  signJson,
  verifyEventSignature,
  verifyJsonSignature,
  type UnhashedPdu,
} from './crypto.ts';

// Appendices, "Cryptographic Test Vectors".
const SEED = 'YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1';
const SERVER = 'domain';
const KEY_ID = 'ed25519:1';
const key = signingKeyFromSeed(SEED);
const publicKey = createPublicKey(key);

describe('unpadded base64', () => {
  it('matches the appendix examples', () => {
    const cases: [string, string][] = [['', ''], ['f', 'Zg'], ['fo', 'Zm8'], ['foo', 'Zm9v'], ['foob', 'Zm9vYg'], ['fooba', 'Zm9vYmE'], ['foobar', 'Zm9vYmFy']];
    for (const [plain, encoded] of cases) {
      assert.equal(encodeBase64(Buffer.from(plain)), encoded);
      assert.equal(decodeBase64(encoded).toString(), plain);
    }
  });

  it('uses - and _ in the URL-safe form and + and / in the standard form', () => {
    const bytes = Uint8Array.from([0xfb, 0xff, 0xbf]);
    assert.equal(encodeBase64(bytes), '+/+/');
    assert.equal(encodeBase64Url(bytes), '-_-_');
    assert.deepEqual([...decodeBase64Url('-_-_')], [...bytes]);
    assert.equal(encodeBase64Url(Uint8Array.from([0xff])), '_w');
  });

  it('encodes a view of a larger buffer correctly', () => {
    const big = Buffer.from('xxfooxx');
    assert.equal(encodeBase64(big.subarray(2, 5)), 'Zm9v');
    assert.equal(encodeBase64(new Uint8Array(big.buffer, big.byteOffset + 2, 3)), 'Zm9v');
  });

  it('accepts padded input', () => {
    assert.equal(decodeBase64('Zg==').toString(), 'f');
    assert.equal(decodeBase64('Zm8=').toString(), 'fo');
    assert.equal(decodeBase64Url('Zg==').toString(), 'f');
  });

  it('rejects malformed input', () => {
    for (const bad of ['Z', 'Zg=', 'Zm9v=', 'Zm9v!', 'Zm 9v', 'Zg==Zg', '-_', '===']) {
      assert.throws(() => decodeBase64(bad), TypeError, bad);
    }
    assert.throws(() => decodeBase64Url('+/'), TypeError);
  });
});

describe('signing keys', () => {
  it('loads the test vector seed and writes back the same 32 bytes', () => {
    assert.equal(key.asymmetricKeyType, 'ed25519');
    const seed = seedOf(key);
    assert.equal(seed.length, 43);
    // The vector's last character carries non-zero unused bits, so compare bytes, not text.
    assert.ok(decodeBase64(seed).equals(decodeBase64(SEED)));
  });

  it('round-trips a generated key through its seed', () => {
    const { keyId, privateKey } = generateSigningKey();
    assert.match(keyId, /^ed25519:[A-Za-z0-9]{6}$/);
    const restored = signingKeyFromSeed(seedOf(privateKey));
    assert.equal(seedOf(restored), seedOf(privateKey));
    assert.equal(publicKeyBase64(restored), publicKeyBase64(privateKey));
  });

  it('generates distinct key ids', () => {
    const ids = new Set(Array.from({ length: 50 }, () => generateKeyId()));
    assert.ok(ids.size > 45);
  });

  it('round-trips the public key through base64', () => {
    const encoded = publicKeyBase64(key);
    assert.equal(encoded.length, 43);
    assert.equal(publicKeyBase64(publicKey), encoded);
    const restored = publicKeyFromBase64(encoded);
    assert.equal(restored.type, 'public');
    assert.equal(publicKeyBase64(restored), encoded);
  });

  it('rejects seeds and public keys of the wrong size', () => {
    assert.throws(() => signingKeyFromSeed('Zm9v'), TypeError);
    assert.throws(() => signingKeyFromSeed('not base64!'), TypeError);
    assert.throws(() => publicKeyFromBase64('Zm9v'), TypeError);
  });

  it('refuses non-ed25519 keys', () => {
    const { privateKey } = generateKeyPairSync('x25519');
    assert.throws(() => seedOf(privateKey), TypeError);
    assert.throws(() => signJson({}, SERVER, KEY_ID, privateKey), TypeError);
    assert.throws(() => signJson({}, SERVER, KEY_ID, publicKey), TypeError);
  });
});

describe('signJson / verifyJsonSignature (appendix test vectors)', () => {
  it('signs an empty object', () => {
    assert.deepEqual(signJson({}, SERVER, KEY_ID, key), {
      signatures: {
        domain: { 'ed25519:1': 'K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ' },
      },
    });
  });

  it('signs an object with data values', () => {
    assert.deepEqual(signJson({ one: 1, two: 'Two' }, SERVER, KEY_ID, key), {
      one: 1,
      signatures: {
        domain: { 'ed25519:1': 'KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw' },
      },
      two: 'Two',
    });
  });

  it('ignores existing signatures and unsigned when signing, and keeps them', () => {
    const input = {
      one: 1,
      two: 'Two',
      unsigned: { age_ts: 5 },
      signatures: { other: { 'ed25519:x': 'abc' }, domain: { 'ed25519:0': 'old' } },
    };
    const signed = signJson(input, SERVER, KEY_ID, key);
    assert.deepEqual(signed.signatures, {
      other: { 'ed25519:x': 'abc' },
      domain: {
        'ed25519:0': 'old',
        'ed25519:1': 'KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw',
      },
    });
    assert.deepEqual(signed.unsigned, { age_ts: 5 });
    // The input is left alone.
    assert.deepEqual(input.signatures, { other: { 'ed25519:x': 'abc' }, domain: { 'ed25519:0': 'old' } });
  });

  it('verifies good signatures and rejects everything else', () => {
    const signed = signJson({ one: 1, two: 'Two' }, SERVER, KEY_ID, key);
    assert.equal(verifyJsonSignature(signed, SERVER, KEY_ID, publicKey), true);
    assert.equal(verifyJsonSignature({ ...signed, unsigned: { anything: true } }, SERVER, KEY_ID, publicKey), true);
    assert.equal(verifyJsonSignature({ ...signed, two: 'Three' }, SERVER, KEY_ID, publicKey), false);
    assert.equal(verifyJsonSignature(signed, 'elsewhere', KEY_ID, publicKey), false);
    assert.equal(verifyJsonSignature(signed, SERVER, 'ed25519:2', publicKey), false);
    assert.equal(verifyJsonSignature(signed, SERVER, 'curve25519:1', publicKey), false);
    assert.equal(verifyJsonSignature(signed, SERVER, KEY_ID, createPublicKey(generateSigningKey().privateKey)), false);
    assert.equal(verifyJsonSignature({ one: 1 }, SERVER, KEY_ID, publicKey), false);
    assert.equal(verifyJsonSignature({ ...signed, signatures: { domain: { 'ed25519:1': '!!' } } }, SERVER, KEY_ID, publicKey), false);
    assert.equal(verifyJsonSignature({ ...signed, signatures: { domain: { 'ed25519:1': 'Zm9v' } } }, SERVER, KEY_ID, publicKey), false);
    assert.equal(verifyJsonSignature({ ...signed, signatures: { domain: 'x' } }, SERVER, KEY_ID, publicKey), false);
    assert.equal(verifyJsonSignature({ ...signed, extra: 1.5 }, SERVER, KEY_ID, publicKey), false);
  });

  it('accepts padded signatures', () => {
    const signed = signJson({}, SERVER, KEY_ID, key);
    const padded = { signatures: { domain: { 'ed25519:1': signed.signatures.domain!['ed25519:1'] + '==' } } };
    assert.equal(verifyJsonSignature(padded, SERVER, KEY_ID, publicKey), true);
  });

  it('rejects malformed key ids when signing', () => {
    assert.throws(() => signJson({}, SERVER, 'ed25519:', key), TypeError);
    assert.throws(() => signJson({}, SERVER, 'ed25519:a-b', key), TypeError);
    assert.throws(() => signJson({}, SERVER, 'rsa:1', key), TypeError);
  });

  it('throws on values Canonical JSON cannot encode', () => {
    assert.throws(() => signJson({ x: 0.5 }, SERVER, KEY_ID, key), TypeError);
  });
});

describe('event hashing and signing (appendix test vectors)', () => {
  // These vectors predate room version 11: their events carry `origin` (and `event_id`), which the
  // v1-v10 redaction rules keep and the v11 rules drop, so they are checked against older versions.
  const minimal = {
    room_id: '!x:domain',
    sender: '@a:domain',
    origin: 'domain',
    origin_server_ts: 1000000,
    signatures: {},
    hashes: {},
    type: 'X',
    content: {},
    prev_events: [],
    auth_events: [],
    depth: 3,
    unsigned: { age_ts: 1000000 },
  };
  const minimalSigned = {
    auth_events: [],
    content: {},
    depth: 3,
    hashes: { sha256: '5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos' },
    origin: 'domain',
    origin_server_ts: 1000000,
    prev_events: [],
    room_id: '!x:domain',
    sender: '@a:domain',
    signatures: {
      domain: { 'ed25519:1': 'KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg' },
    },
    type: 'X',
    unsigned: { age_ts: 1000000 },
  };

  const message = {
    content: { body: 'Here is the message content' },
    event_id: '$0:domain',
    origin: 'domain',
    origin_server_ts: 1000000,
    type: 'm.room.message',
    room_id: '!r:domain',
    sender: '@u:domain',
    signatures: {},
    unsigned: { age_ts: 1000000 },
  };
  const messageSigned = {
    content: { body: 'Here is the message content' },
    event_id: '$0:domain',
    hashes: { sha256: 'onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g' },
    origin: 'domain',
    origin_server_ts: 1000000,
    type: 'm.room.message',
    room_id: '!r:domain',
    sender: '@u:domain',
    signatures: {
      domain: { 'ed25519:1': 'Wm+VzmOUOz08Ds+0NTWb1d4CZrVsJSikkeRxh6aCcUwu6pNC78FunoD7KNWzqFn241eYHYMGCA5McEiVPdhzBA' },
    },
    unsigned: { age_ts: 1000000 },
  };

  it('computes the content hashes (independent of room version)', () => {
    assert.equal(contentHash(minimal), '5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos');
    assert.equal(contentHash(message), 'onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g');
    assert.equal(contentHash(minimalSigned), '5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos');
  });

  it('hashes and signs the minimal event', () => {
    for (const version of ['1', '5', '10']) {
      assert.deepEqual(hashAndSignEvent(minimal, SERVER, KEY_ID, key, version), minimalSigned, `room version ${version}`);
    }
  });

  it('hashes and signs the event with redactable content', () => {
    for (const version of ['1', '9']) {
      assert.deepEqual(hashAndSignEvent(message, SERVER, KEY_ID, key, version), messageSigned, `room version ${version}`);
    }
  });

  it('verifies the vectors, also after redaction', () => {
    for (const signed of [minimalSigned, messageSigned]) {
      assert.equal(verifyEventSignature(signed, SERVER, KEY_ID, publicKey, '10'), true);
      assert.equal(verifyEventSignature(redactEvent(signed, '10'), SERVER, KEY_ID, publicKey, '10'), true);
      assert.equal(checkContentHash(signed), true);
    }
    assert.equal(checkContentHash(redactEvent(messageSigned, '10')), false);
  });

  it('signs only the redacted form: redactable content does not affect the signature', () => {
    const edited = { ...messageSigned, content: { body: 'something else' } };
    assert.equal(verifyEventSignature(edited, SERVER, KEY_ID, publicKey, '1'), true);
    assert.equal(checkContentHash(edited), false);
  });

  it('gives a different signature under v11, where origin is not protected', () => {
    const v11 = hashAndSignEvent(minimal, SERVER, KEY_ID, key, '11');
    assert.equal(v11.hashes.sha256, minimalSigned.hashes.sha256);
    assert.notEqual(v11.signatures.domain!['ed25519:1'], minimalSigned.signatures.domain['ed25519:1']);
    assert.equal(verifyEventSignature(v11, SERVER, KEY_ID, publicKey, '11'), true);
    // ... so changing origin does not break a v11 signature, but breaks a v10 one.
    assert.equal(verifyEventSignature({ ...v11, origin: 'evil' }, SERVER, KEY_ID, publicKey, '11'), true);
    assert.equal(verifyEventSignature({ ...minimalSigned, origin: 'evil' }, SERVER, KEY_ID, publicKey, '10'), false);
  });
});

function makePdu(overrides: Partial<UnhashedPdu> = {}): UnhashedPdu {
  return {
    auth_events: ['$auth1' as EventId, '$auth2' as EventId],
    prev_events: ['$prev' as EventId],
    content: { msgtype: 'm.text', body: 'hello' },
    depth: 12,
    origin_server_ts: 1700000000000,
    room_id: '!room:hush.test' as RoomId,
    sender: '@alice:hush.test' as UserId,
    type: 'm.room.message',
    ...overrides,
  };
}

describe('v11 events', () => {
  it('produces a full PDU from hashAndSignEvent that verifies', () => {
    const pdu: Pdu = hashAndSignEvent(makePdu(), 'hush.test', KEY_ID, key);
    assert.equal(pdu.hashes.sha256, contentHash(pdu));
    assert.deepEqual(Object.keys(pdu.signatures), ['hush.test']);
    assert.equal(checkContentHash(pdu), true);
    assert.equal(verifyEventSignature(pdu, 'hush.test', KEY_ID, publicKey), true);
    assert.equal(verifyEventSignature(redactEvent(pdu), 'hush.test', KEY_ID, publicKey), true);
    assert.equal(verifyEventSignature({ ...pdu, depth: 13 }, 'hush.test', KEY_ID, publicKey), false);
    assert.equal(verifyEventSignature({ ...pdu, sender: '@mallory:hush.test' as UserId }, 'hush.test', KEY_ID, publicKey), false);
  });

  it('lets a second server co-sign without touching hashes or the first signature', () => {
    const pdu = hashAndSignEvent(makePdu(), 'hush.test', KEY_ID, key);
    const other = generateSigningKey();
    const cosigned = signEvent(pdu, 'other.test', other.keyId, other.privateKey);
    assert.deepEqual(cosigned.hashes, pdu.hashes);
    assert.equal(cosigned.signatures['hush.test']![KEY_ID], pdu.signatures['hush.test']![KEY_ID]);
    assert.equal(verifyEventSignature(cosigned, 'hush.test', KEY_ID, publicKey), true);
    assert.equal(verifyEventSignature(cosigned, 'other.test', other.keyId, createPublicKey(other.privateKey)), true);
    assert.equal(eventIdFor(cosigned), eventIdFor(pdu));
  });

  it('refuses to sign an event without hashes', () => {
    assert.throws(() => signEvent(makePdu(), 'hush.test', KEY_ID, key), TypeError);
  });

  it('hashEvent replaces stale hashes and does not modify its input', () => {
    const input = makePdu({ hashes: { sha256: 'stale' } });
    const hashed = hashEvent(input);
    assert.equal(hashed.hashes.sha256, contentHash(input));
    assert.equal(input.hashes!.sha256, 'stale');
  });

  it('the content hash ignores unsigned, signatures and hashes but covers everything else', () => {
    const base = makePdu();
    const h = contentHash(base);
    assert.equal(contentHash({ ...base, unsigned: { age: 1 }, signatures: { a: { b: 'c' } }, hashes: { sha256: 'x' } }), h);
    assert.notEqual(contentHash({ ...base, content: { body: 'hello!' } }), h);
    assert.notEqual(contentHash({ ...base, custom_top_level: 1 } as UnhashedPdu), h);
    assert.equal(h.length, 43);
    assert.doesNotMatch(h, /=/);
  });

  it('checkContentHash accepts a padded hash and rejects junk', () => {
    const pdu = hashEvent(makePdu());
    assert.equal(checkContentHash({ ...pdu, hashes: { sha256: pdu.hashes.sha256 + '=' } }), true);
    assert.equal(checkContentHash({ ...pdu, hashes: { sha256: 'nope!' } }), false);
    assert.equal(checkContentHash({ ...pdu, hashes: {} }), false);
    assert.equal(checkContentHash(makePdu()), false);
  });

  it('throws on unknown room versions', () => {
    assert.throws(() => redactEvent(makePdu(), '99'), RangeError);
    assert.throws(() => referenceHash(makePdu(), 'x'), RangeError);
    assert.throws(() => verifyEventSignature(hashAndSignEvent(makePdu(), SERVER, KEY_ID, key), SERVER, KEY_ID, publicKey, '0'), RangeError);
    assert.throws(() => eventIdFor(makePdu(), '2'), RangeError);
  });
});

describe('event IDs and reference hashes', () => {
  const pdu = hashAndSignEvent(makePdu(), 'hush.test', KEY_ID, key);

  it('is $ + 43 URL-safe base64 characters, and stable', () => {
    const id = eventIdFor(pdu);
    assert.equal(id.length, 44);
    assert.match(id, /^\$[A-Za-z0-9_-]{43}$/);
    assert.equal(eventIdFor(pdu), id);
    assert.equal(eventIdFor(structuredClone(pdu)), id);
    assert.equal(id, `$${referenceHash(pdu)}`);
  });

  it('does not depend on key order, signatures, unsigned or redactable content', () => {
    const id = eventIdFor(pdu);
    const reordered = Object.fromEntries(Object.entries(pdu).reverse());
    assert.equal(eventIdFor(reordered), id);
    assert.equal(eventIdFor({ ...pdu, signatures: {}, unsigned: { age: 5, transaction_id: 't' } }), id);
    assert.equal(eventIdFor({ ...pdu, age_ts: 5 }), id);
    assert.equal(eventIdFor(redactEvent(pdu)), id);
    assert.equal(eventIdFor({ ...pdu, content: { body: 'different' } }), id); // same hashes: content is covered only through them
  });

  it('changes when a protected field or the content hash changes', () => {
    const id = eventIdFor(pdu);
    assert.notEqual(eventIdFor({ ...pdu, depth: 13 }), id);
    assert.notEqual(eventIdFor({ ...pdu, prev_events: [] }), id);
    assert.notEqual(eventIdFor(hashEvent({ ...pdu, content: { body: 'different' } })), id);
  });

  it('uses standard base64 for room version 3', () => {
    const id3 = eventIdFor(pdu, '3');
    assert.equal(id3.length, 44);
    assert.deepEqual(decodeBase64(id3.slice(1)), decodeBase64Url(eventIdFor(pdu, '4').slice(1)));
  });

  it('drops origin from the v11 reference hash but not the v10 one', () => {
    assert.equal(eventIdFor({ ...pdu, origin: 'x' }), eventIdFor(pdu));
    assert.notEqual(eventIdFor({ ...pdu, origin: 'x' }, '10'), eventIdFor(pdu, '10'));
  });
});

describe('redactEvent (room version 11)', () => {
  const full = {
    ...makePdu(),
    hashes: { sha256: 'h' },
    signatures: { 'hush.test': { 'ed25519:1': 's' } },
    state_key: '',
    unsigned: { age_ts: 1 },
    origin: 'hush.test',
    membership: 'join',
    prev_state: [],
    redacts: '$x',
    event_id: '$e',
    age_ts: 1,
    custom: 'x',
  };

  const redactContent = (type: string, content: Record<string, unknown>, roomVersion = '11'): unknown =>
    redactEvent({ ...full, type, content }, roomVersion).content;

  it('keeps exactly the v11 top-level keys', () => {
    const redacted = redactEvent(full);
    assert.deepEqual(Object.keys(redacted).sort(), [
      'auth_events', 'content', 'depth', 'event_id', 'hashes', 'origin_server_ts', 'prev_events', 'room_id', 'sender', 'signatures', 'state_key', 'type',
    ]);
    assert.deepEqual(redacted.content, {});
    assert.deepEqual(redacted.signatures, full.signatures);
  });

  it('keeps origin, membership and prev_state before v11', () => {
    const redacted = redactEvent(full, '10');
    for (const key of ['origin', 'membership', 'prev_state']) assert.ok(key in redacted, key);
    assert.ok(!('redacts' in redacted));
    assert.ok(!('unsigned' in redacted));
  });

  it('does not add absent keys and does not modify the input', () => {
    const pdu = makePdu();
    const before = structuredClone(pdu);
    const redacted = redactEvent(pdu);
    assert.ok(!('state_key' in redacted));
    assert.ok(!('hashes' in redacted));
    assert.deepEqual(pdu, before);
  });

  it('m.room.member keeps membership, join_authorised_via_users_server and third_party_invite.signed', () => {
    const signed = { mxid: '@a:b', token: 't', signatures: {} };
    assert.deepEqual(
      redactContent('m.room.member', {
        membership: 'join',
        displayname: 'Alice',
        avatar_url: 'mxc://a/b',
        join_authorised_via_users_server: '@mod:hush.test',
        third_party_invite: { display_name: 'alice@example.org', signed },
        reason: 'hi',
      }),
      { membership: 'join', join_authorised_via_users_server: '@mod:hush.test', third_party_invite: { signed } },
    );
    assert.deepEqual(redactContent('m.room.member', { membership: 'invite', third_party_invite: { display_name: 'x' } }), {
      membership: 'invite',
      third_party_invite: {},
    });
    assert.deepEqual(redactContent('m.room.member', { membership: 'invite', third_party_invite: 'junk' }), { membership: 'invite' });
    assert.deepEqual(
      redactContent('m.room.member', { membership: 'join', join_authorised_via_users_server: '@m:x', third_party_invite: { signed } }, '9'),
      { membership: 'join', join_authorised_via_users_server: '@m:x' },
    );
    assert.deepEqual(redactContent('m.room.member', { membership: 'join', join_authorised_via_users_server: '@m:x' }, '8'), { membership: 'join' });
  });

  it('m.room.create keeps all of its content (only creator before v11)', () => {
    const content = { creator: '@a:b', room_version: '11', 'm.federate': false, predecessor: { room_id: '!old:b' } };
    assert.deepEqual(redactContent('m.room.create', content), content);
    assert.deepEqual(redactContent('m.room.create', content, '10'), { creator: '@a:b' });
  });

  it('m.room.join_rules keeps join_rule and allow (allow from v8)', () => {
    const content = { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: '!r:b' }], other: 1 };
    assert.deepEqual(redactContent('m.room.join_rules', content), { join_rule: 'restricted', allow: content.allow });
    assert.deepEqual(redactContent('m.room.join_rules', content, '8'), { join_rule: 'restricted', allow: content.allow });
    assert.deepEqual(redactContent('m.room.join_rules', content, '7'), { join_rule: 'restricted' });
  });

  it('m.room.power_levels keeps the auth-relevant keys, invite only from v11', () => {
    const content = {
      ban: 50, events: { 'm.room.name': 50 }, events_default: 0, invite: 0, kick: 50, redact: 50,
      state_default: 50, users: { '@a:b': 100 }, users_default: 0, notifications: { room: 50 }, historical: 100,
    };
    const { notifications: _n, historical: _h, ...kept } = content;
    assert.deepEqual(redactContent('m.room.power_levels', content), kept);
    const { invite: _i, ...keptV10 } = kept;
    assert.deepEqual(redactContent('m.room.power_levels', content, '10'), keptV10);
  });

  it('m.room.history_visibility keeps history_visibility', () => {
    assert.deepEqual(redactContent('m.room.history_visibility', { history_visibility: 'shared', x: 1 }), { history_visibility: 'shared' });
  });

  it('m.room.redaction keeps content.redacts from v11 only', () => {
    assert.deepEqual(redactContent('m.room.redaction', { redacts: '$e', reason: 'spam' }), { redacts: '$e' });
    assert.deepEqual(redactContent('m.room.redaction', { redacts: '$e', reason: 'spam' }, '10'), {});
  });

  it('m.room.aliases keeps aliases only in v1-v5', () => {
    assert.deepEqual(redactContent('m.room.aliases', { aliases: ['#a:b'] }, '5'), { aliases: ['#a:b'] });
    assert.deepEqual(redactContent('m.room.aliases', { aliases: ['#a:b'] }, '6'), {});
    assert.deepEqual(redactContent('m.room.aliases', { aliases: ['#a:b'] }), {});
  });

  it('strips the content of every other type, including look-alike keys', () => {
    assert.deepEqual(redactContent('m.room.message', { body: 'x', membership: 'join', 'm.relates_to': { rel_type: 'm.thread', event_id: '$x' } }), {});
    assert.deepEqual(redactContent('m.room.name', { name: 'Secret' }), {});
    assert.deepEqual(redactContent('m.room.topic', { topic: 'Secret' }), {});
  });

  it('treats missing or non-object content as empty', () => {
    assert.deepEqual(redactEvent({ type: 'm.room.create', content: 'junk' }).content, {});
    assert.deepEqual(redactEvent({ type: 'm.room.member' }).content, {});
  });

  it('is idempotent', () => {
    const once = redactEvent({ ...full, type: 'm.room.member', content: { membership: 'join', displayname: 'A', third_party_invite: { signed: {} } } });
    assert.deepEqual(redactEvent(once), once);
  });
});
