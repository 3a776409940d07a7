// The federation routes in process (issue 21): our key document (self-signed, a day of validity,
// replaced keys with their expiry), the version, the signed profile query and each way a signed
// request is refused (401 M_UNAUTHORIZED: no header, malformed, wrong destination, unknown key,
// forged signature), the notary endpoints, and federation off → 404.

import { test, after } from 'node:test';
import type { KeyObject } from 'node:crypto';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers.ts';
import { generateSigningKey, publicKeyBase64, publicKeyFromBase64, signJson, verifyJsonSignature } from '../../src/services/events/crypto.ts';
import { signRequest, formatXMatrix, parseXMatrix } from '../../src/federation/transport/x-matrix.ts';
import { remoteServerKeysStore } from '../../src/storage/remote-server-keys.store.ts';
import { rotateSigningKey } from '../../src/services/signing-key.ts';

const US = 'hs1.example';
// An IP literal on loopback: a key fetch from it is refused at once (outbound-allow-private off),
// so "unknown key" answers without waiting on the network.
const REMOTE = '127.0.0.1:9';
const remoteKey = generateSigningKey();

const apps: TestApp[] = [];
after(async () => {
  for (const a of apps) await a.close();
});

async function app(config: Record<string, unknown> = {}): Promise<TestApp> {
  const t = await createTestApp({ config: { 'server-name': US, federation: 'on', ...config } });
  apps.push(t);
  return t;
}

/** The remote server's key, as if fetched an hour ago, valid for a day. */
async function seedRemoteKey(t: TestApp): Promise<void> {
  const now = Date.now();
  const doc = signJson({ server_name: REMOTE, verify_keys: { [remoteKey.keyId]: { key: publicKeyBase64(remoteKey.privateKey) } }, valid_until_ts: now + 86_400_000 }, REMOTE, remoteKey.keyId, remoteKey.privateKey);
  await remoteServerKeysStore.upsert(t.database.db, [
    { serverName: REMOTE, keyId: remoteKey.keyId, key: publicKeyBase64(remoteKey.privateKey), validUntilTs: doc.valid_until_ts, expiredTs: null, fetchedTs: now - 3600_000, responseJson: JSON.stringify(doc) },
  ]);
}

function signedGet(uri: string, opts: { destination?: string; key?: { keyId: string; privateKey: KeyObject } } = {}) {
  const k = opts.key ?? remoteKey;
  return { authorization: signRequest({ method: 'GET', uri, origin: REMOTE, destination: opts.destination ?? US }, k.keyId, k.privateKey) };
}

test('GET /_matrix/key/v2/server: our current key, valid for a day, signed by it', async () => {
  const t = await app();
  const res = await t.req('GET', '/_matrix/key/v2/server');
  assert.equal(res.status, 200);
  const doc = res.json;
  assert.equal(doc.server_name, US);
  const ids = Object.keys(doc.verify_keys);
  assert.equal(ids.length, 1);
  const id = ids[0] as string;
  assert.match(id, /^ed25519:[a-zA-Z0-9_]+$/);
  assert.ok(verifyJsonSignature(doc, US, id, publicKeyFromBase64(doc.verify_keys[id].key)));
  const day = 86_400_000;
  assert.ok(Math.abs(doc.valid_until_ts - (Date.now() + day)) < 60_000, `valid_until_ts ${doc.valid_until_ts}`);
  assert.deepEqual(doc.old_verify_keys, {});
});

test('after a rotation the old key is served in old_verify_keys with expired_ts, and the new key signs', async () => {
  const t = await app();
  const first = (await t.req('GET', '/_matrix/key/v2/server')).json;
  const firstId = Object.keys(first.verify_keys)[0] as string;
  const rotated = await rotateSigningKey(t.database.db, 1_800_000_000_000);
  const restarted = await createTestAppOn(t);
  const doc = (await restarted.req('GET', '/_matrix/key/v2/server')).json;
  assert.deepEqual(Object.keys(doc.verify_keys), [rotated.keyId]);
  assert.deepEqual(doc.old_verify_keys, { [firstId]: { key: first.verify_keys[firstId].key, expired_ts: 1_800_000_000_000 } });
  assert.deepEqual(Object.keys(doc.signatures[US]), [rotated.keyId]);
  assert.ok(verifyJsonSignature(doc, US, rotated.keyId, rotated.privateKey));
  await restarted.close();
});

/** A second app over the same database handle (a restart after `rotate`). */
async function createTestAppOn(t: TestApp): Promise<TestApp> {
  const { buildApp } = await import('../../src/app.ts');
  const { createServices } = await import('../../src/services/index.ts');
  const pino = (await import('pino')).default;
  const services = await createServices(t.config, t.database);
  const a = await buildApp({ services, logger: pino({ level: 'silent' }) });
  await a.ready();
  return {
    ...t,
    app: a,
    services,
    req: async (method, path) => {
      const r = await a.inject({ method, url: path });
      return { status: r.statusCode, json: r.body ? JSON.parse(r.body) : undefined, text: r.body, headers: r.headers };
    },
    close: async () => {
      await a.close();
      await services.stop();
    },
  };
}

test('GET /_matrix/federation/v1/version needs no auth', async () => {
  const t = await app();
  const res = await t.req('GET', '/_matrix/federation/v1/version');
  assert.equal(res.status, 200);
  assert.equal(res.json.server.name, 'Hush');
  assert.equal(typeof res.json.server.version, 'string');
});

test('a signed profile query from a server whose key we hold answers our user’s profile; field filters; other users 404', async () => {
  const t = await app();
  await seedRemoteKey(t);
  const alice = await t.register('alice');
  assert.equal((await t.req('PUT', `/_matrix/client/v3/profile/${encodeURIComponent(alice.userId)}/displayname`, { token: alice.token, body: { displayname: 'Alice' } })).status, 200);
  const uri = `/_matrix/federation/v1/query/profile?user_id=${encodeURIComponent(alice.userId)}`;
  const ok = await t.req('GET', uri, { headers: signedGet(uri) });
  assert.equal(ok.status, 200, ok.text);
  assert.deepEqual(ok.json, { displayname: 'Alice' });
  const field = `${uri}&field=displayname`;
  assert.deepEqual((await t.req('GET', field, { headers: signedGet(field) })).json, { displayname: 'Alice' });
  const avatar = `${uri}&field=avatar_url`;
  assert.deepEqual((await t.req('GET', avatar, { headers: signedGet(avatar) })).json, {});
  const unknownField = `${uri}&field=nope`;
  assert.equal((await t.req('GET', unknownField, { headers: signedGet(unknownField) })).json.errcode, 'M_NOT_FOUND');
  for (const user of ['@bob:hs1.example', '@alice:other.example']) {
    const u = `/_matrix/federation/v1/query/profile?user_id=${encodeURIComponent(user)}`;
    const res = await t.req('GET', u, { headers: signedGet(u) });
    assert.equal(res.status, 404, user);
    assert.equal(res.json.errcode, 'M_NOT_FOUND');
  }
  const bad = `/_matrix/federation/v1/query/profile?user_id=not-a-user`;
  assert.equal((await t.req('GET', bad, { headers: signedGet(bad) })).json.errcode, 'M_INVALID_PARAM');
  const missing = `/_matrix/federation/v1/query/profile`;
  assert.equal((await t.req('GET', missing, { headers: signedGet(missing) })).json.errcode, 'M_MISSING_PARAM');
});

test('refused with 401 M_UNAUTHORIZED: no header, a bearer token, malformed, wrong destination, unknown key, forged or replayed signature', async () => {
  const t = await app();
  await seedRemoteKey(t);
  const alice = await t.register('alice');
  const uri = `/_matrix/federation/v1/query/profile?user_id=${encodeURIComponent(alice.userId)}`;
  const good = signedGet(uri).authorization;
  const auth = parseXMatrix(good);
  const forger = generateSigningKey();
  const cases: [string, Record<string, string>, RegExp][] = [
    ['no header', {}, /Missing Authorization/],
    ['bearer', { authorization: `Bearer ${alice.token}` }, /Missing Authorization/],
    ['malformed', { authorization: 'X-Matrix origin="a' }, /Malformed/],
    ['bad origin', { authorization: formatXMatrix({ ...auth, origin: 'not a name' }) }, /origin/],
    ['wrong destination', { authorization: signRequest({ method: 'GET', uri, origin: REMOTE, destination: 'elsewhere.example' }, remoteKey.keyId, remoteKey.privateKey) }, /destination "elsewhere.example" is not this server/],
    ['unknown key id', { authorization: signRequest({ method: 'GET', uri, origin: REMOTE, destination: US }, 'ed25519:unknown', remoteKey.privateKey) }, /Unknown key ed25519:unknown/],
    ['forged signature', { authorization: signRequest({ method: 'GET', uri, origin: REMOTE, destination: US }, remoteKey.keyId, forger.privateKey) }, /Invalid X-Matrix signature/],
    ['signature of another request', { authorization: signedGet(`${uri}&field=displayname`).authorization }, /Invalid X-Matrix signature/],
  ];
  for (const [what, headers, message] of cases) {
    const res = await t.req('GET', uri, { headers });
    assert.equal(res.status, 401, what);
    assert.equal(res.json.errcode, 'M_UNAUTHORIZED', what);
    assert.match(res.json.error, message, what);
  }
  // A header without destination (older servers) is accepted: the signature covers our name.
  const noDest = formatXMatrix({ origin: auth.origin, key: auth.key, sig: auth.sig });
  assert.equal((await t.req('GET', uri, { headers: { authorization: noDest } })).status, 200);
});

test('notary: our own keys through GET and POST query, signed by us; an unreachable server with nothing stored is []', async () => {
  const t = await app();
  const mine = await t.req('GET', `/_matrix/key/v2/query/${US}`);
  assert.equal(mine.status, 200);
  assert.equal(mine.json.server_keys.length, 1);
  assert.equal(mine.json.server_keys[0].server_name, US);
  const none = await t.req('GET', `/_matrix/key/v2/query/${encodeURIComponent('127.0.0.1:1')}?minimum_valid_until_ts=0`);
  assert.deepEqual(none.json, { server_keys: [] });
  await seedRemoteKey(t);
  const post = await t.req('POST', '/_matrix/key/v2/query', { body: { server_keys: { [REMOTE]: {}, [US]: {} } } });
  assert.equal(post.status, 200);
  const remote = post.json.server_keys.find((d: { server_name: string }) => d.server_name === REMOTE);
  assert.ok(remote, 'the stored document of the remote server is served (unreachable now)');
  assert.ok(verifyJsonSignature(remote, REMOTE, remoteKey.keyId, remoteKey.privateKey), 'its own signature kept');
  const ours = Object.keys((await t.req('GET', '/_matrix/key/v2/server')).json.verify_keys)[0] as string;
  const ourKey = publicKeyFromBase64((await t.req('GET', '/_matrix/key/v2/server')).json.verify_keys[ours].key);
  assert.ok(verifyJsonSignature(remote, US, ours, ourKey), 'our notary signature added');
  assert.equal((await t.req('GET', '/_matrix/key/v2/query/bad%20name')).json.errcode, 'M_INVALID_PARAM');
  assert.equal((await t.req('POST', '/_matrix/key/v2/query', { body: { server_keys: { 'bad name': {} } } })).json.errcode, 'M_INVALID_PARAM');
  assert.equal((await t.req('POST', '/_matrix/key/v2/query', { body: { server_keys: [] } })).json.errcode, 'M_BAD_JSON');
  assert.equal((await t.req('POST', '/_matrix/key/v2/query', { rawBody: 'nope' })).json.errcode, 'M_NOT_JSON');
});

test('federation off (the default for a server named localhost): the routes are 404 M_UNRECOGNIZED', async () => {
  const t = await createTestApp();
  apps.push(t);
  assert.equal(t.config.federation.enabled, false);
  for (const path of ['/_matrix/key/v2/server', '/_matrix/federation/v1/version']) {
    const res = await t.req('GET', path);
    assert.equal(res.status, 404, path);
    assert.equal(res.json.errcode, 'M_UNRECOGNIZED');
  }
});
