// GET /voip/turnServer (spec voip.yaml) and GET /thirdparty/protocols (third_party_lookup.yaml),
// in-process: `{}` without TURN settings; time-limited credentials from a shared secret (the
// scheme TURN servers check: `<expiry>:<user>` and its HMAC-SHA1); fixed credentials; both need a
// token; and the TURN settings are checked when the config is read.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createTestApp, type Session, type TestApp } from '../helpers.ts';
import { ConfigError, resolveConfig } from '../../src/config/config.ts';

const V3 = '/_matrix/client/v3';

/** Raw GET through the app (the helper's `req` checks 200s against the spec's schema, which
 *  requires the four TURN fields; `{}` is the deliberate exception). */
async function get(t: TestApp, path: string, token?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await t.app.inject({ method: 'GET', url: path, headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.statusCode, json: JSON.parse(res.body) as Record<string, unknown> };
}

describe('without TURN settings', () => {
  let t: TestApp;
  let alice: Session;
  before(async () => {
    t = await createTestApp();
    alice = await t.register('alice');
  });
  after(() => t.close());

  test('GET /voip/turnServer is {} (as Synapse answers: no TURN server)', async () => {
    const res = await get(t, `${V3}/voip/turnServer`, alice.token);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, {});
    assert.equal((await get(t, '/_matrix/client/r0/voip/turnServer', alice.token)).status, 200, 'the r0 alias too');
  });

  test('GET /thirdparty/protocols is {}: nothing is bridged', async () => {
    const res = await t.req('GET', `${V3}/thirdparty/protocols`, { token: alice.token });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, {});
  });

  test('both need an access token', async () => {
    for (const path of [`${V3}/voip/turnServer`, `${V3}/thirdparty/protocols`]) {
      const none = await get(t, path);
      assert.equal(none.status, 401);
      assert.equal(none.json['errcode'], 'M_MISSING_TOKEN');
      const bad = await get(t, path, 'not-a-token');
      assert.equal(bad.status, 401);
      assert.equal(bad.json['errcode'], 'M_UNKNOWN_TOKEN');
    }
  });
});

describe('with a TURN shared secret', () => {
  let t: TestApp;
  let alice: Session;
  before(async () => {
    t = await createTestApp({
      config: { 'turn-uris': 'turn:turn.example.org:3478?transport=udp, turns:turn.example.org:5349', 'turn-shared-secret': 'open sesame', 'turn-user-lifetime': '2h' },
    });
    alice = await t.register('alice');
  });
  after(() => t.close());

  test('time-limited credentials: `<expiry>:<user id>` and the base64 HMAC-SHA1 of it under the secret', async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await t.req('GET', `${V3}/voip/turnServer`, { token: alice.token });
    const after = Math.floor(Date.now() / 1000);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.uris, ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349']);
    assert.equal(res.json.ttl, 7200);
    const m = /^(\d+):(.+)$/.exec(res.json.username);
    assert.ok(m, res.json.username);
    assert.equal(m[2], alice.userId);
    const expiry = Number(m[1]);
    assert.ok(expiry >= before + 7200 && expiry <= after + 7200, `expiry ${expiry}`);
    assert.equal(res.json.password, createHmac('sha1', 'open sesame').update(res.json.username).digest('base64'));
  });
});

describe('with fixed TURN credentials (YAML keys)', () => {
  let t: TestApp;
  let alice: Session;
  before(async () => {
    t = await createTestApp({ config: { turn_uris: ['turn:turn.example.org'], turn_username: 'hush', turn_password: 'secret' } });
    alice = await t.register('alice');
  });
  after(() => t.close());

  test('the configured username and password, with the default one-hour ttl', async () => {
    const res = await t.req('GET', `${V3}/voip/turnServer`, { token: alice.token });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { username: 'hush', password: 'secret', uris: ['turn:turn.example.org'], ttl: 3600 });
  });
});

describe('TURN settings are checked when the config is read', () => {
  const turn = (input: Record<string, unknown>) => resolveConfig({ 'server-name': 'localhost', ...input }).turn;

  test('good settings', () => {
    assert.equal(turn({}), undefined);
    assert.equal(turn({ 'turn-uris': 'turn:a', 'turn-shared-secret': 's', 'turn-user-lifetime': '30m' })?.lifetimeSeconds, 1800);
    assert.equal(turn({ 'turn-uris': 'turn:a', 'turn-shared-secret': 's', 'turn-user-lifetime': 86400 })?.lifetimeSeconds, 86400);
    assert.deepEqual(turn({ 'turn-uris': 'turn:a,turns:b', 'turn-shared-secret': 's' })?.uris, ['turn:a', 'turns:b']);
  });

  test('bad settings are a ConfigError naming the key', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ 'turn-uris': 'turn:a' }, /turn-shared-secret/],
      [{ 'turn-uris': 'turn:a', 'turn-username': 'u' }, /turn-password/],
      [{ 'turn-uris': 'turn:a', 'turn-shared-secret': 's', 'turn-username': 'u', 'turn-password': 'p' }, /not both/],
      [{ 'turn-uris': 'http://turn.example.org', 'turn-shared-secret': 's' }, /turn: or turns:/],
      [{ 'turn-uris': [42], 'turn-shared-secret': 's' }, /turn: or turns:/],
      [{ 'turn-uris': '', 'turn-shared-secret': 's' }, /at least one/],
      [{ 'turn-uris': 'turn:a', 'turn-shared-secret': 's', 'turn-user-lifetime': 'soon' }, /turn-user-lifetime/],
      [{ 'turn-uris': 'turn:a', 'turn-shared-secret': 's', 'turn-user-lifetime': '0' }, /turn-user-lifetime/],
      [{ 'turn-shared-secret': 's' }, /turn-uris/],
      [{ 'turn-uris': 'turn:a', 'turn-shared-secret': '' }, /turn-shared-secret/],
    ];
    for (const [input, message] of bad) {
      assert.throws(() => turn(input), (err: unknown) => err instanceof ConfigError && message.test(err.message), JSON.stringify(input));
    }
  });
});
