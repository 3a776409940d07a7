// Account endpoints in-process (buildApp + inject): versions, login, registration, logout, whoami,
// capabilities, profile, devices; routing, CORS, rate limits, and the bad-input classes that break
// homeservers. Every response is checked: never a 500, every error a Matrix error body, and every
// status the spec documents for the endpoint validated against the spec's OpenAPI.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, DEFAULT_PASSWORD, type Method, type ReqOptions, type Res, type Session, type TestApp } from '../helpers.ts';
import { assertResponseMatchesSpec } from '../../../../tests/support/openapi.ts';
import { freshPgDatabase } from '../../../../tests/support/postgres.ts';

const V3 = '/_matrix/client/v3';

/** The statuses the spec documents per endpoint (client-server API, v3 paths). */
const DOCUMENTED: [Method, RegExp, number[]][] = [
  ['GET', /^\/_matrix\/client\/versions$/, [200]],
  ['GET', /^\/_matrix\/client\/v3\/login$/, [200, 404, 429]],
  ['POST', /^\/_matrix\/client\/v3\/login$/, [200, 400, 403, 429]],
  ['POST', /^\/_matrix\/client\/v3\/register$/, [200, 400, 401, 403, 429]],
  ['GET', /^\/_matrix\/client\/v3\/register\/available$/, [200, 400, 429]],
  ['GET', /^\/_matrix\/client\/v1\/register\/m\.login\.registration_token\/validity$/, [200, 403, 429]],
  ['POST', /^\/_matrix\/client\/v3\/logout$/, [200]],
  ['POST', /^\/_matrix\/client\/v3\/logout\/all$/, [200]],
  ['GET', /^\/_matrix\/client\/v3\/account\/whoami$/, [200, 401, 403, 429]],
  ['GET', /^\/_matrix\/client\/v3\/capabilities$/, [200, 429]],
  ['GET', /^\/_matrix\/client\/v3\/profile\/[^/]+$/, [200, 403, 404]],
  ['GET', /^\/_matrix\/client\/v3\/profile\/[^/]+\/(displayname|avatar_url)$/, [200, 403, 404]],
  ['PUT', /^\/_matrix\/client\/v3\/profile\/[^/]+\/(displayname|avatar_url)$/, [200, 400, 403, 429]],
  ['GET', /^\/_matrix\/client\/v3\/devices$/, [200]],
  ['GET', /^\/_matrix\/client\/v3\/devices\/[^/]+$/, [200, 404]],
  ['PUT', /^\/_matrix\/client\/v3\/devices\/[^/]+$/, [200, 404]],
];

/** Checks every response: no 5xx, Matrix error bodies, and the spec's schema where documented. */
function checkResponse(method: Method, path: string, res: Res): void {
  const where = `${method} ${path.slice(0, 120)} → ${res.status} ${res.text.slice(0, 200)}`;
  assert.ok(res.status < 500, `server error: ${where}`);
  if (res.status >= 400) {
    assert.equal(typeof res.json?.errcode, 'string', `error without string errcode: ${where}`);
    assert.equal(typeof res.json?.error, 'string', `error without string error: ${where}`);
    assert.match(res.json.errcode, /^M_[A-Z_]+$/, where);
  }
  const specPath = (path.split('?')[0] ?? '').replace('/_matrix/client/r0/', '/_matrix/client/v3/');
  const doc = DOCUMENTED.find(([m, re]) => m === method && re.test(specPath));
  if (doc && doc[2].includes(res.status)) assertResponseMatchesSpec(method, specPath, res.status, res.json);
}

function expectError(res: Res, status: number, errcode?: string): void {
  const where = `${res.status} ${res.text.slice(0, 300)}`;
  assert.equal(res.status, status, where);
  if (errcode !== undefined) assert.equal(res.json?.errcode, errcode, where);
}

/** A TestApp whose `req` checks every response it returns. */
async function checkedApp(opts: Parameters<typeof createTestApp>[0] = {}): Promise<TestApp> {
  const t = await createTestApp(opts);
  const raw = t.req;
  t.req = async (method: Method, path: string, o?: ReqOptions) => {
    const res = await raw(method, path, o);
    checkResponse(method, path, res);
    return res;
  };
  return t;
}

const loginBody = (user: string, password: string = DEFAULT_PASSWORD, extra: Record<string, unknown> = {}) => ({
  type: 'm.login.password',
  identifier: { type: 'm.id.user', user },
  password,
  ...extra,
});

describe('versions and login flows', () => {
  let t: TestApp;
  before(async () => (t = await checkedApp()));
  after(() => t.close());

  it('GET /versions lists spec versions without authentication', async () => {
    const res = await t.req('GET', '/_matrix/client/versions');
    assert.equal(res.status, 200);
    assert.ok(Array.isArray(res.json.versions) && res.json.versions.length > 0);
    for (const v of res.json.versions) assert.match(v, /^(r0\.\d+\.\d+|v1\.\d+)$/);
    assert.equal(typeof res.json.unstable_features, 'object');
  });

  it('GET /versions lists every r0 release old clients look for (r0.5.0 among them) before the v1.x ones', async () => {
    const { versions } = (await t.req('GET', '/_matrix/client/versions')).json as { versions: string[] };
    const r0 = ['r0.0.1', 'r0.1.0', 'r0.2.0', 'r0.3.0', 'r0.4.0', 'r0.5.0', 'r0.6.0', 'r0.6.1'];
    assert.deepEqual(versions.slice(0, r0.length), r0);
    assert.ok(versions.includes('v1.1'));
    assert.match(versions[versions.length - 1]!, /^v1\.\d+$/, 'the last (highest) entry is a v1.x');
  });

  it('GET /login offers m.login.password', async () => {
    const res = await t.req('GET', `${V3}/login`);
    assert.equal(res.status, 200);
    assert.ok(res.json.flows.some((f: { type: string }) => f.type === 'm.login.password'));
  });
});

describe('registration', () => {
  let t: TestApp;
  before(async () => (t = await checkedApp()));
  after(() => t.close());

  it('first asks for user-interactive auth (401 with flows and a session), then registers', async () => {
    const first = await t.req('POST', `${V3}/register`, { body: { username: 'alice', password: DEFAULT_PASSWORD } });
    expectError(first, 401);
    assert.equal(typeof first.json.session, 'string');
    assert.ok(first.json.session.length > 0);
    assert.ok(first.json.flows.some((f: { stages: string[] }) => f.stages.includes('m.login.dummy')));
    assert.equal(typeof first.json.params, 'object');

    const second = await t.req('POST', `${V3}/register`, {
      body: { username: 'alice', password: DEFAULT_PASSWORD, auth: { type: 'm.login.dummy', session: first.json.session } },
    });
    assert.equal(second.status, 200, second.text);
    assert.equal(second.json.user_id, '@alice:localhost');
    assert.equal(typeof second.json.access_token, 'string');
    assert.equal(typeof second.json.device_id, 'string');

    const who = await t.req('GET', `${V3}/account/whoami`, { token: second.json.access_token });
    assert.equal(who.status, 200);
    assert.equal(who.json.user_id, '@alice:localhost');
    assert.equal(who.json.device_id, second.json.device_id);
  });

  it('an unsupported auth type is answered with the flows again', async () => {
    const res = await t.req('POST', `${V3}/register`, { body: { username: 'dora', password: 'x', auth: { type: 'm.login.bogus' } } });
    expectError(res, 401);
    assert.ok(Array.isArray(res.json.flows));
    assert.equal(await t.services.accounts.usernameAvailable('dora'), true, 'no account was created');
  });

  it('uses the device_id and initial_device_display_name it is given', async () => {
    const s = await t.register('devuser', DEFAULT_PASSWORD, { device_id: 'MYDEVICE', initial_device_display_name: 'Laptop' });
    assert.equal(s.deviceId, 'MYDEVICE');
    const dev = await t.req('GET', `${V3}/devices/MYDEVICE`, { token: s.token });
    assert.equal(dev.status, 200);
    assert.equal(dev.json.display_name, 'Laptop');
  });

  it('inhibit_login returns only the user id; the account can then log in', async () => {
    const res = await t.req('POST', `${V3}/register`, {
      body: { username: 'quiet', password: DEFAULT_PASSWORD, inhibit_login: true, auth: { type: 'm.login.dummy' } },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.user_id, '@quiet:localhost');
    assert.equal(res.json.access_token, undefined);
    assert.equal(res.json.device_id, undefined);
    const rows = await t.database.db.selectFrom('access_tokens').selectAll().where('user_id', '=', '@quiet:localhost').execute();
    assert.equal(rows.length, 0);
    const s = await t.login('quiet');
    assert.equal(s.userId, '@quiet:localhost');
  });

  it('a taken username is 400 M_USER_IN_USE, before and after the auth stage', async () => {
    await t.register('taken');
    expectError(await t.req('POST', `${V3}/register`, { body: { username: 'taken', password: 'x' } }), 400, 'M_USER_IN_USE');
    expectError(
      await t.req('POST', `${V3}/register`, { body: { username: 'taken', password: 'x', auth: { type: 'm.login.dummy' } } }),
      400,
      'M_USER_IN_USE',
    );
    // The original account is untouched.
    assert.equal((await t.login('taken')).userId, '@taken:localhost');
  });

  it('an invalid username is 400 M_INVALID_USERNAME', async () => {
    for (const username of ['has space', 'colon:name', 'ünïcödé', '_reserved', 'quote"', '@alice:localhost', '']) {
      const res = await t.req('POST', `${V3}/register`, { body: { username, password: 'x', auth: { type: 'm.login.dummy' } } });
      expectError(res, 400, 'M_INVALID_USERNAME');
    }
  });

  it('registers with a generated localpart when no username is given', async () => {
    const res = await t.req('POST', `${V3}/register`, { body: { password: 'x', auth: { type: 'm.login.dummy' } } });
    assert.equal(res.status, 200, res.text);
    assert.match(res.json.user_id, /^@[a-z0-9._=\-/+]+:localhost$/);
  });

  it('kind=guest is 403 (no guest access); an unknown kind is 400', async () => {
    const res = await t.req('POST', `${V3}/register?kind=guest`, { body: { auth: { type: 'm.login.dummy' } } });
    expectError(res, 403);
    assert.ok(['M_GUEST_ACCESS_FORBIDDEN', 'M_FORBIDDEN'].includes(res.json.errcode), res.text);
    expectError(await t.req('POST', `${V3}/register?kind=admin`, { body: {} }), 400, 'M_INVALID_PARAM');
  });

  it('concurrent registrations of one name: exactly one succeeds, the rest are M_USER_IN_USE', async () => {
    const body = { username: 'race', password: 'x', auth: { type: 'm.login.dummy' } };
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map(() => t.req('POST', `${V3}/register`, { body })));
    assert.equal(results.filter((r) => r.status === 200).length, 1);
    for (const r of results.filter((x) => x.status !== 200)) expectError(r, 400, 'M_USER_IN_USE');
  });

  it('GET /register/available: free, taken, invalid, missing', async () => {
    const free = await t.req('GET', `${V3}/register/available?username=freshname`);
    assert.equal(free.status, 200);
    assert.equal(free.json.available, true);
    await t.register('occupied');
    expectError(await t.req('GET', `${V3}/register/available?username=occupied`), 400, 'M_USER_IN_USE');
    expectError(await t.req('GET', `${V3}/register/available?username=Not%20Valid`), 400, 'M_INVALID_USERNAME');
    expectError(await t.req('GET', `${V3}/register/available`), 400, 'M_MISSING_PARAM');
  });

  it('stores an scrypt hash, salted, never the password', async () => {
    await t.register('hash1', 'same password');
    await t.register('hash2', 'same password');
    const rows = await t.database.db
      .selectFrom('users')
      .select(['user_id', 'password_hash'])
      .where('user_id', 'in', ['@hash1:localhost', '@hash2:localhost'])
      .execute();
    assert.equal(rows.length, 2);
    for (const r of rows) {
      const hash = r.password_hash ?? '';
      assert.ok(hash.startsWith('scrypt$'), `not scrypt: ${hash}`);
      assert.ok(!hash.includes('same password'));
      assert.ok(!hash.includes(Buffer.from('same password').toString('base64')));
    }
    assert.notEqual(rows[0]?.password_hash, rows[1]?.password_hash, 'the same password hashes differently (salt)');
  });

  it('access tokens carry ≥ 256 random bits and are stored only as hashes', async () => {
    const sessions: Session[] = [await t.register('tokens')];
    for (let i = 0; i < 4; i++) sessions.push(await t.login('tokens'));
    const tokens = sessions.map((s) => s.token);
    assert.equal(new Set(tokens).size, tokens.length, 'tokens are unique');
    for (const tok of tokens) {
      // 43 url-safe base64 characters carry 258 bits.
      assert.match(tok, /[A-Za-z0-9_-]{43,}$/, `token too short for 256 bits: ${tok}`);
    }
    const rows = await t.database.db.selectFrom('access_tokens').selectAll().where('user_id', '=', '@tokens:localhost').execute();
    assert.equal(rows.length, tokens.length);
    const dump = JSON.stringify(await t.database.db.selectFrom('access_tokens').selectAll().execute());
    for (const tok of tokens) {
      assert.ok(!dump.includes(tok), 'a raw access token is stored');
      const tail = tok.slice(-40);
      assert.ok(!dump.includes(tail), 'part of a raw access token is stored');
    }
  });
});

describe('registration modes', () => {
  it('registration closed: /register is 403', async () => {
    const t = await checkedApp({ config: { registration: 'closed' } });
    try {
      expectError(await t.req('POST', `${V3}/register`, { body: { username: 'alice', password: 'x' } }), 403, 'M_FORBIDDEN');
      expectError(
        await t.req('POST', `${V3}/register`, { body: { username: 'alice', password: 'x', auth: { type: 'm.login.dummy' } } }),
        403,
        'M_FORBIDDEN',
      );
      const avail = await t.req('GET', `${V3}/register/available?username=alice`);
      assert.notEqual(avail.status, 200);
      assert.equal(await t.database.db.selectFrom('users').selectAll().executeTakeFirst(), undefined);
    } finally {
      await t.close();
    }
  });

  it('registration token: the flow asks for a token; a wrong one is refused, a right one registers', async () => {
    const t = await checkedApp({ config: { registration: 'token', 'registration-tokens': 'open-sesame,second' } });
    try {
      const first = await t.req('POST', `${V3}/register`, { body: { username: 'alice', password: 'x' } });
      expectError(first, 401);
      assert.deepEqual(first.json.flows, [{ stages: ['m.login.registration_token'] }]);
      const session = first.json.session as string;

      const dummy = await t.req('POST', `${V3}/register`, { body: { username: 'alice', password: 'x', auth: { type: 'm.login.dummy', session } } });
      expectError(dummy, 401);
      const wrong = await t.req('POST', `${V3}/register`, {
        body: { username: 'alice', password: 'x', auth: { type: 'm.login.registration_token', token: 'guess', session } },
      });
      expectError(wrong, 401);
      assert.ok(Array.isArray(wrong.json.flows));
      const noToken = await t.req('POST', `${V3}/register`, {
        body: { username: 'alice', password: 'x', auth: { type: 'm.login.registration_token', session } },
      });
      expectError(noToken, 401);
      assert.equal(await t.database.db.selectFrom('users').selectAll().executeTakeFirst(), undefined);

      const ok = await t.req('POST', `${V3}/register`, {
        body: { username: 'alice', password: 'x', auth: { type: 'm.login.registration_token', token: 'second', session } },
      });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.json.user_id, '@alice:localhost');

      const valid = await t.req('GET', '/_matrix/client/v1/register/m.login.registration_token/validity?token=open-sesame');
      assert.equal(valid.status, 200);
      assert.equal(valid.json.valid, true);
      const invalid = await t.req('GET', '/_matrix/client/v1/register/m.login.registration_token/validity?token=nope');
      assert.equal(invalid.status, 200);
      assert.equal(invalid.json.valid, false);
    } finally {
      await t.close();
    }
  });
});

describe('login', () => {
  let t: TestApp;
  let alice: Session;
  before(async () => {
    t = await checkedApp();
    alice = await t.register('alice');
  });
  after(() => t.close());

  it('by localpart, by full user id, and by the legacy `user` field', async () => {
    const a = await t.req('POST', `${V3}/login`, { body: loginBody('alice') });
    assert.equal(a.status, 200, a.text);
    assert.equal(a.json.user_id, '@alice:localhost');
    assert.equal(typeof a.json.access_token, 'string');
    assert.equal(typeof a.json.device_id, 'string');
    const b = await t.req('POST', `${V3}/login`, { body: loginBody('@alice:localhost') });
    assert.equal(b.status, 200, b.text);
    assert.equal(b.json.user_id, '@alice:localhost');
    const c = await t.req('POST', `${V3}/login`, { body: { type: 'm.login.password', user: 'alice', password: DEFAULT_PASSWORD } });
    assert.equal(c.status, 200, c.text);
    assert.equal(c.json.user_id, '@alice:localhost');
    const tokens = new Set([alice.token, a.json.access_token, b.json.access_token, c.json.access_token]);
    assert.equal(tokens.size, 4);
    for (const tok of tokens) assert.equal((await t.req('GET', `${V3}/account/whoami`, { token: tok })).json.user_id, '@alice:localhost');
  });

  it('a wrong password is 403 M_FORBIDDEN', async () => {
    expectError(await t.req('POST', `${V3}/login`, { body: loginBody('alice', 'wrong') }), 403, 'M_FORBIDDEN');
    expectError(await t.req('POST', `${V3}/login`, { body: loginBody('alice', '') }), 403, 'M_FORBIDDEN');
  });

  it('an unknown user, or a user on another server, is 403 M_FORBIDDEN', async () => {
    expectError(await t.req('POST', `${V3}/login`, { body: loginBody('nobody') }), 403, 'M_FORBIDDEN');
    expectError(await t.req('POST', `${V3}/login`, { body: loginBody('@alice:elsewhere.example') }), 403, 'M_FORBIDDEN');
  });

  it('an unsupported login or identifier type is 400', async () => {
    const tok = await t.req('POST', `${V3}/login`, { body: { type: 'm.login.token', token: 'abc' } });
    expectError(tok, 400);
    const third = await t.req('POST', `${V3}/login`, {
      body: { type: 'm.login.password', identifier: { type: 'm.id.thirdparty', medium: 'email', address: 'a@b.c' }, password: 'x' },
    });
    expectError(third, 400);
    expectError(await t.req('POST', `${V3}/login`, { body: { type: 'm.login.password', password: 'x' } }), 400);
    expectError(await t.req('POST', `${V3}/login`, { body: { identifier: { type: 'm.id.user', user: 'alice' }, password: 'x' } }), 400, 'M_BAD_JSON');
  });

  it('logging in again with a device_id replaces that device’s old token', async () => {
    const first = await t.login('alice', DEFAULT_PASSWORD, { device_id: 'REUSED', initial_device_display_name: 'Phone' });
    assert.equal(first.deviceId, 'REUSED');
    const other = await t.login('alice');
    const second = await t.login('alice', DEFAULT_PASSWORD, { device_id: 'REUSED' });
    assert.equal(second.deviceId, 'REUSED');
    assert.notEqual(second.token, first.token);
    const old = await t.req('GET', `${V3}/account/whoami`, { token: first.token });
    expectError(old, 401, 'M_UNKNOWN_TOKEN');
    assert.equal((await t.req('GET', `${V3}/account/whoami`, { token: second.token })).json.device_id, 'REUSED');
    assert.equal((await t.req('GET', `${V3}/account/whoami`, { token: other.token })).status, 200, 'other devices keep their tokens');
    const devices = await t.req('GET', `${V3}/devices`, { token: second.token });
    const reused = devices.json.devices.filter((d: { device_id: string }) => d.device_id === 'REUSED');
    assert.equal(reused.length, 1);
    assert.equal(reused[0].display_name, 'Phone', 'the display name survives a login without one');
  });
});

describe('logout', () => {
  let t: TestApp;
  before(async () => (t = await checkedApp()));
  after(() => t.close());

  it('POST /logout invalidates that token and removes its device only', async () => {
    const a = await t.register('alice');
    const b = await t.login('alice');
    const res = await t.req('POST', `${V3}/logout`, { token: a.token });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, {});
    const after = await t.req('GET', `${V3}/account/whoami`, { token: a.token });
    expectError(after, 401, 'M_UNKNOWN_TOKEN');
    assert.equal(after.json.soft_logout, false);
    expectError(await t.req('POST', `${V3}/logout`, { token: a.token }), 401, 'M_UNKNOWN_TOKEN');
    const devices = await t.req('GET', `${V3}/devices`, { token: b.token });
    assert.equal(devices.status, 200);
    assert.deepEqual(
      devices.json.devices.map((d: { device_id: string }) => d.device_id),
      [b.deviceId],
    );
  });

  it('POST /logout/all invalidates every token of the user, and no one else’s', async () => {
    const sessions = [await t.register('bob'), await t.login('bob'), await t.login('bob')];
    const carol = await t.register('carol');
    const res = await t.req('POST', `${V3}/logout/all`, { token: sessions[1]!.token });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, {});
    for (const s of sessions) {
      const r = await t.req('GET', `${V3}/account/whoami`, { token: s.token });
      expectError(r, 401, 'M_UNKNOWN_TOKEN');
      assert.equal(r.json.soft_logout, false);
    }
    assert.equal((await t.req('GET', `${V3}/account/whoami`, { token: carol.token })).status, 200);
    const left = await t.database.db.selectFrom('devices').select('device_id').where('user_id', '=', '@bob:localhost').execute();
    assert.deepEqual(left, []);
    // The account itself survives: bob can log in again.
    assert.equal((await t.login('bob')).userId, '@bob:localhost');
  });

  it('logout without a token is 401 M_MISSING_TOKEN', async () => {
    expectError(await t.req('POST', `${V3}/logout`), 401, 'M_MISSING_TOKEN');
    expectError(await t.req('POST', `${V3}/logout/all`), 401, 'M_MISSING_TOKEN');
  });
});

describe('whoami and access tokens', () => {
  let t: TestApp;
  let alice: Session;
  before(async () => {
    t = await checkedApp();
    alice = await t.register('alice');
  });
  after(() => t.close());

  it('with an Authorization header', async () => {
    const res = await t.req('GET', `${V3}/account/whoami`, { token: alice.token });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { user_id: '@alice:localhost', device_id: alice.deviceId, is_guest: false });
  });

  it('with the access_token query parameter', async () => {
    const res = await t.req('GET', `${V3}/account/whoami?access_token=${encodeURIComponent(alice.token)}`);
    assert.equal(res.status, 200);
    assert.equal(res.json.user_id, '@alice:localhost');
  });

  it('no token is 401 M_MISSING_TOKEN; a wrong one 401 M_UNKNOWN_TOKEN', async () => {
    expectError(await t.req('GET', `${V3}/account/whoami`), 401, 'M_MISSING_TOKEN');
    expectError(await t.req('GET', `${V3}/account/whoami`, { headers: { authorization: 'Bearer' } }), 401, 'M_MISSING_TOKEN');
    expectError(await t.req('GET', `${V3}/account/whoami`, { token: 'not-a-token' }), 401, 'M_UNKNOWN_TOKEN');
    expectError(await t.req('GET', `${V3}/account/whoami`, { token: alice.token.slice(0, -1) }), 401, 'M_UNKNOWN_TOKEN');
    expectError(await t.req('GET', `${V3}/account/whoami`, { token: 'x'.repeat(10_000) }), 401, 'M_UNKNOWN_TOKEN');
    expectError(await t.req('GET', `${V3}/account/whoami?access_token=`), 401, 'M_MISSING_TOKEN');
  });

  it('a header and a query parameter naming different tokens: 401 M_MISSING_TOKEN, whichever is valid; the same token in both is fine', async () => {
    const bob = await t.register('bob_two_tokens');
    const q = (token: string) => `${V3}/account/whoami?access_token=${encodeURIComponent(token)}`;
    // Both valid but different users: neither identity may be picked silently.
    expectError(await t.req('GET', q(bob.token), { token: alice.token }), 401, 'M_MISSING_TOKEN');
    expectError(await t.req('GET', q('not-a-token'), { token: alice.token }), 401, 'M_MISSING_TOKEN');
    expectError(await t.req('GET', q(alice.token), { token: 'not-a-token' }), 401, 'M_MISSING_TOKEN');
    // Refused before anything is done: a write with two tokens changes nothing.
    const put = await t.req('PUT', `${V3}/profile/${encodeURIComponent(alice.userId)}/displayname?access_token=${encodeURIComponent(bob.token)}`, {
      token: alice.token,
      body: { displayname: 'two tokens' },
    });
    expectError(put, 401, 'M_MISSING_TOKEN');
    assert.notEqual((await t.req('GET', `${V3}/profile/${encodeURIComponent(alice.userId)}/displayname`)).json.displayname, 'two tokens');
    const same = await t.req('GET', q(alice.token), { token: alice.token });
    assert.equal(same.status, 200, same.text);
    assert.equal(same.json.user_id, '@alice:localhost');
  });
});

describe('capabilities, profile and devices', () => {
  let t: TestApp;
  let alice: Session;
  let bob: Session;
  before(async () => {
    t = await checkedApp();
    alice = await t.register('alice');
    bob = await t.register('bob');
  });
  after(() => t.close());

  it('GET /capabilities needs a token and names the room versions', async () => {
    expectError(await t.req('GET', `${V3}/capabilities`), 401, 'M_MISSING_TOKEN');
    const res = await t.req('GET', `${V3}/capabilities`, { token: alice.token });
    assert.equal(res.status, 200);
    const rv = res.json.capabilities['m.room_versions'];
    assert.equal(typeof rv.default, 'string');
    assert.ok(rv.default in rv.available);
    assert.equal(typeof res.json.capabilities['m.change_password'].enabled, 'boolean');
  });

  it('a new user has a profile; GET needs no token', async () => {
    const res = await t.req('GET', `${V3}/profile/${encodeURIComponent('@alice:localhost')}`);
    assert.equal(res.status, 200);
    assert.equal(typeof res.json.displayname, 'string');
  });

  it('set and read back displayname and avatar_url', async () => {
    const base = `${V3}/profile/${encodeURIComponent('@alice:localhost')}`;
    const put = await t.req('PUT', `${base}/displayname`, { token: alice.token, body: { displayname: 'Alice 🐇' } });
    assert.equal(put.status, 200, put.text);
    const av = await t.req('PUT', `${base}/avatar_url`, { token: alice.token, body: { avatar_url: 'mxc://localhost/abc' } });
    assert.equal(av.status, 200, av.text);
    assert.deepEqual((await t.req('GET', `${base}/displayname`)).json, { displayname: 'Alice 🐇' });
    assert.deepEqual((await t.req('GET', `${base}/avatar_url`)).json, { avatar_url: 'mxc://localhost/abc' });
    assert.deepEqual((await t.req('GET', base, { token: bob.token })).json, { displayname: 'Alice 🐇', avatar_url: 'mxc://localhost/abc' });
  });

  it('displayname null removes it', async () => {
    const base = `${V3}/profile/${encodeURIComponent('@bob:localhost')}`;
    assert.equal((await t.req('PUT', `${base}/displayname`, { token: bob.token, body: { displayname: null } })).status, 200);
    const one = await t.req('GET', `${base}/displayname`);
    assert.equal(one.status, 200);
    assert.equal(one.json.displayname ?? null, null);
    const all = await t.req('GET', base);
    assert.equal(all.json.displayname ?? null, null);
  });

  it("changing another user's profile is 403; an unknown user is 404; a bad id is 400", async () => {
    const res = await t.req('PUT', `${V3}/profile/${encodeURIComponent('@bob:localhost')}/displayname`, {
      token: alice.token,
      body: { displayname: 'hijacked' },
    });
    expectError(res, 403, 'M_FORBIDDEN');
    assert.notEqual((await t.req('GET', `${V3}/profile/@bob:localhost/displayname`)).json.displayname, 'hijacked');
    expectError(
      await t.req('PUT', `${V3}/profile/@nobody:localhost/avatar_url`, { token: alice.token, body: { avatar_url: 'mxc://a/b' } }),
      403,
      'M_FORBIDDEN',
    );
    for (const suffix of ['', '/displayname', '/avatar_url']) {
      expectError(await t.req('GET', `${V3}/profile/${encodeURIComponent('@nobody:localhost')}${suffix}`), 404, 'M_NOT_FOUND');
      expectError(await t.req('GET', `${V3}/profile/not-a-user-id${suffix}`), 400, 'M_INVALID_PARAM');
    }
    expectError(await t.req('PUT', `${V3}/profile/@alice:localhost/displayname`, { body: { displayname: 'x' } }), 401, 'M_MISSING_TOKEN');
  });

  it('a displayname of the wrong type is 400 M_BAD_JSON; missing or oversized is 400', async () => {
    const url = `${V3}/profile/@alice:localhost/displayname`;
    for (const body of [{ displayname: 42 }, { displayname: ['a'] }, { displayname: { a: 1 } }, { displayname: true }]) {
      expectError(await t.req('PUT', url, { token: alice.token, body }), 400, 'M_BAD_JSON');
    }
    expectError(await t.req('PUT', url, { token: alice.token, body: {} }), 400);
    expectError(await t.req('PUT', url, { token: alice.token, body: { displayname: 'x'.repeat(100_000) } }), 400);
    assert.notEqual((await t.req('GET', url)).json.displayname, 42);
  });

  it('devices: list, get, rename; unknown or foreign devices are 404', async () => {
    const list = await t.req('GET', `${V3}/devices`, { token: alice.token });
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.json.devices.map((d: { device_id: string }) => d.device_id),
      [alice.deviceId],
    );
    const mine = await t.req('GET', `${V3}/devices/${alice.deviceId}`, { token: alice.token });
    assert.equal(mine.status, 200);
    assert.equal(mine.json.device_id, alice.deviceId);
    assert.equal(typeof mine.json.last_seen_ts, 'number');

    const rename = await t.req('PUT', `${V3}/devices/${alice.deviceId}`, { token: alice.token, body: { display_name: 'Kitchen tablet' } });
    assert.equal(rename.status, 200, rename.text);
    assert.equal((await t.req('GET', `${V3}/devices/${alice.deviceId}`, { token: alice.token })).json.display_name, 'Kitchen tablet');

    expectError(await t.req('GET', `${V3}/devices/NOSUCHDEVICE`, { token: alice.token }), 404, 'M_NOT_FOUND');
    expectError(await t.req('PUT', `${V3}/devices/NOSUCHDEVICE`, { token: alice.token, body: { display_name: 'x' } }), 404, 'M_NOT_FOUND');
    expectError(await t.req('GET', `${V3}/devices/${bob.deviceId}`, { token: alice.token }), 404, 'M_NOT_FOUND');
    expectError(await t.req('PUT', `${V3}/devices/${bob.deviceId}`, { token: alice.token, body: { display_name: 'mine now' } }), 404, 'M_NOT_FOUND');
    assert.notEqual((await t.req('GET', `${V3}/devices/${bob.deviceId}`, { token: bob.token })).json.display_name, 'mine now');
    expectError(await t.req('GET', `${V3}/devices`), 401, 'M_MISSING_TOKEN');
    expectError(await t.req('PUT', `${V3}/devices/${alice.deviceId}`, { token: alice.token, body: { display_name: 7 } }), 400, 'M_BAD_JSON');
  });

  // Spec (device_management.yaml, PUT /devices/{deviceId}): display_name "If not given, the
  // display name is unchanged."
  it('PUT /devices/{deviceId} without display_name leaves the name unchanged', async () => {
    const s = await t.login('bob', DEFAULT_PASSWORD, { initial_device_display_name: 'Named phone' });
    assert.equal((await t.req('GET', `${V3}/devices/${s.deviceId}`, { token: s.token })).json.display_name, 'Named phone');
    const res = await t.req('PUT', `${V3}/devices/${s.deviceId}`, { token: s.token, body: {} });
    assert.equal(res.status, 200, res.text);
    assert.equal((await t.req('GET', `${V3}/devices/${s.deviceId}`, { token: s.token })).json.display_name, 'Named phone');
  });
});

describe('routing and CORS', () => {
  let t: TestApp;
  let alice: Session;
  before(async () => {
    t = await checkedApp();
    alice = await t.register('alice');
  });
  after(() => t.close());

  it('r0 paths are aliases of v3', async () => {
    assert.equal((await t.req('GET', '/_matrix/client/r0/login')).status, 200);
    const who = await t.req('GET', '/_matrix/client/r0/account/whoami', { token: alice.token });
    assert.equal(who.status, 200);
    assert.equal(who.json.user_id, '@alice:localhost');
    const login = await t.req('POST', '/_matrix/client/r0/login', { body: loginBody('alice') });
    assert.equal(login.status, 200);
    const reg = await t.req('POST', '/_matrix/client/r0/register', { body: { username: 'rzero', password: 'x', auth: { type: 'm.login.dummy' } } });
    assert.equal(reg.status, 200, reg.text);
    assert.equal((await t.req('GET', '/_matrix/client/r0/profile/@rzero:localhost')).status, 200);
  });

  it('an unknown route is 404 M_UNRECOGNIZED', async () => {
    // `/` is the web client's page (tests/web); everything else unknown is 404.
    for (const path of [`${V3}/nope`, '/_matrix/client/v3', '/_matrix/client/v9/login', '/nope', '/_matrix/client/v3/account/whoami/extra']) {
      expectError(await t.req('GET', path, { token: alice.token }), 404, 'M_UNRECOGNIZED');
    }
  });

  it('a known path with the wrong method is 405 M_UNRECOGNIZED', async () => {
    expectError(await t.req('DELETE', `${V3}/login`), 405, 'M_UNRECOGNIZED');
    expectError(await t.req('GET', `${V3}/logout`, { token: alice.token }), 405, 'M_UNRECOGNIZED');
    expectError(await t.req('POST', '/_matrix/client/versions', { body: {} }), 405, 'M_UNRECOGNIZED');
    expectError(await t.req('POST', `${V3}/devices/ABC`, { token: alice.token, body: {} }), 405, 'M_UNRECOGNIZED');
    expectError(await t.req('PUT', '/_matrix/client/r0/account/whoami', { body: {} }), 405, 'M_UNRECOGNIZED');
  });

  it('every response carries CORS headers and Server: Hush/<version>, errors included', async () => {
    for (const res of [
      await t.req('GET', '/_matrix/client/versions'),
      await t.req('GET', `${V3}/account/whoami`),
      await t.req('GET', `${V3}/nope`),
      await t.req('POST', `${V3}/login`, { rawBody: '{' }),
    ]) {
      assert.equal(res.headers['access-control-allow-origin'], '*');
      const methods = String(res.headers['access-control-allow-methods']);
      // v1.13 (MSC4138) added HEAD and PATCH to the recommended methods.
      for (const m of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) assert.ok(methods.includes(m), methods);
      const allowed = String(res.headers['access-control-allow-headers']).toLowerCase();
      for (const h of ['authorization', 'content-type', 'x-requested-with']) assert.ok(allowed.includes(h), allowed);
      assert.match(String(res.headers['server']), /^Hush\/\d+\.\d+\.\d+$/);
    }
  });

  it('OPTIONS preflight succeeds on any path without a token', async () => {
    for (const path of [`${V3}/login`, `${V3}/account/whoami`, `${V3}/rooms/!x:localhost/send/m.room.message/1`]) {
      const res = await t.req('OPTIONS', path, {
        headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
      });
      assert.ok(res.status === 200 || res.status === 204, `${path}: ${res.status}`);
      assert.equal(res.headers['access-control-allow-origin'], '*');
      assert.ok(String(res.headers['access-control-allow-methods']).includes('POST'));
    }
  });
});

describe('rate limits', () => {
  it('when on, repeated logins and registrations get 429 M_LIMIT_EXCEEDED with retry_after_ms', async () => {
    const t = await checkedApp({ config: { 'rate-limits': true } });
    try {
      let limited: Res | undefined;
      for (let i = 0; i < 30 && !limited; i++) {
        const res = await t.req('POST', `${V3}/login`, { body: { type: 'm.login.token', token: 'x' } });
        if (res.status === 429) limited = res;
        else expectError(res, 400);
      }
      assert.ok(limited, 'no 429 after 30 login attempts');
      assert.equal(limited.json.errcode, 'M_LIMIT_EXCEEDED');
      assert.equal(typeof limited.json.retry_after_ms, 'number');
      assert.ok(limited.json.retry_after_ms > 0);

      let regLimited: Res | undefined;
      for (let i = 0; i < 30 && !regLimited; i++) {
        const res = await t.req('POST', `${V3}/register`, { body: { username: 'Invalid Name' } });
        if (res.status === 429) regLimited = res;
      }
      assert.ok(regLimited, 'no 429 after 30 registration attempts');
      assert.equal(regLimited.json.errcode, 'M_LIMIT_EXCEEDED');
      assert.ok(regLimited.json.retry_after_ms > 0);
    } finally {
      await t.close();
    }
  });

  it('when off (the test default), never', async () => {
    const t = await checkedApp();
    try {
      for (let i = 0; i < 60; i++) {
        const res = await t.req('POST', `${V3}/login`, { body: { type: 'm.login.token', token: 'x' } });
        expectError(res, 400);
      }
      for (let i = 0; i < 30; i++) {
        const res = await t.req('GET', `${V3}/register/available?username=free${i}`);
        assert.equal(res.status, 200);
      }
    } finally {
      await t.close();
    }
  });
});

describe('bad input', () => {
  let t: TestApp;
  let alice: Session;
  before(async () => {
    t = await checkedApp();
    alice = await t.register('alice');
  });
  after(() => t.close());

  const bodyEndpoints = (): [Method, string, string | undefined][] => [
    ['POST', `${V3}/login`, undefined],
    ['POST', `${V3}/register`, undefined],
    ['PUT', `${V3}/profile/@alice:localhost/displayname`, alice.token],
    ['PUT', `${V3}/devices/${alice.deviceId}`, alice.token],
  ];

  it('malformed JSON is 400 M_NOT_JSON', async () => {
    for (const [method, path, token] of bodyEndpoints()) {
      for (const rawBody of ['{', '{"type": "m.login.password",}', "{'a': 1}", 'not json', '{"a":1}}', '\u0000']) {
        expectError(await t.req(method, path, { rawBody, ...(token ? { token } : {}) }), 400, 'M_NOT_JSON');
      }
    }
  });

  it('a JSON body that is not an object is 400 M_BAD_JSON', async () => {
    for (const [method, path, token] of bodyEndpoints()) {
      // register and devices have all-optional bodies, so null is {} there (optionalBody, wire.test.ts).
      const optional = path.endsWith('/register') || path.includes('/devices/');
      for (const rawBody of [...(optional ? [] : ['null']), '[]', '[{"type":"m.login.password"}]', '42', '"string"', 'true']) {
        expectError(await t.req(method, path, { rawBody, ...(token ? { token } : {}) }), 400, 'M_BAD_JSON');
      }
    }
  });

  it('wrong types are 400 M_BAD_JSON and are never coerced', async () => {
    await t.register('numeric', '1');
    const bad: unknown[] = [
      { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'numeric' }, password: 1 },
      { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'numeric' }, password: ['1'] },
      { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'numeric' }, password: true },
      { type: 'm.login.password', user: 1, password: '1' },
      { type: 'm.login.password', identifier: 'numeric', password: '1' },
      { type: 1, user: 'numeric', password: '1' },
      { type: 'm.login.password', user: 'numeric', password: '1', device_id: 5 },
      { type: 'm.login.password', user: 'numeric', password: '1', device_id: '' },
    ];
    for (const body of bad) expectError(await t.req('POST', `${V3}/login`, { body }), 400, 'M_BAD_JSON');
    // The same login with the right types works, so the 400s above were about types alone.
    assert.equal((await t.req('POST', `${V3}/login`, { body: loginBody('numeric', '1') })).status, 200);
    for (const body of [
      { username: 7, password: 'x', auth: { type: 'm.login.dummy' } },
      { username: 'typed', password: 123, auth: { type: 'm.login.dummy' } },
      { username: 'typed', password: 'x', inhibit_login: 'true', auth: { type: 'm.login.dummy' } },
      { username: 'typed', password: 'x', auth: 'm.login.dummy' },
      { username: 'typed', password: 'x', auth: { type: 5 } },
      { username: 'typed', password: 'x', auth: { type: 'm.login.dummy', session: 12 } },
    ]) {
      expectError(await t.req('POST', `${V3}/register`, { body }), 400, 'M_BAD_JSON');
    }
    assert.equal((await t.req('GET', `${V3}/register/available?username=typed`)).status, 200, 'no account was created');
  });

  it('`auth: null` is 400, not a crash', async () => {
    const res = await t.req('POST', `${V3}/register`, { body: { username: 'nullauth', password: 'x', auth: null } });
    expectError(res, 400, 'M_BAD_JSON');
  });

  it('a lone surrogate in a string or key is 400 M_BAD_JSON', async () => {
    const cases = [
      '{"type":"m.login.password","identifier":{"type":"m.id.user","user":"alice"},"password":"\\ud800"}',
      '{"type":"m.login.password","identifier":{"type":"m.id.user","user":"\\udfff"},"password":"x"}',
      '{"type":"m.login.password","user":"alice","password":"x","initial_device_display_name":"a\\ud83d"}',
      '{"type":"m.login.password","user":"alice","password":"x","\\ud800":1}',
    ];
    for (const rawBody of cases) expectError(await t.req('POST', `${V3}/login`, { rawBody }), 400, 'M_BAD_JSON');
    expectError(
      await t.req('PUT', `${V3}/profile/@alice:localhost/displayname`, { token: alice.token, rawBody: '{"displayname":"x\\ud800y"}' }),
      400,
      'M_BAD_JSON',
    );
    expectError(
      await t.req('POST', `${V3}/register`, { rawBody: '{"username":"surrogate","password":"\\udc00","auth":{"type":"m.login.dummy"}}' }),
      400,
      'M_BAD_JSON',
    );
    // A well-formed surrogate pair is fine.
    const ok = await t.req('PUT', `${V3}/profile/@alice:localhost/displayname`, { token: alice.token, rawBody: '{"displayname":"\\ud83d\\udc07"}' });
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await t.req('GET', `${V3}/profile/@alice:localhost/displayname`)).json.displayname, '🐇');
  });

  it('a body over the limit is 413 M_TOO_LARGE', async () => {
    const big = JSON.stringify({ type: 'm.login.password', user: 'alice', password: 'x', pad: 'x'.repeat(t.config.maxBodyBytes + 10) });
    expectError(await t.req('POST', `${V3}/login`, { rawBody: big }), 413, 'M_TOO_LARGE');
    expectError(await t.req('PUT', `${V3}/profile/@alice:localhost/displayname`, { token: alice.token, rawBody: big }), 413, 'M_TOO_LARGE');
  });

  it('an empty body where fields are required is 400 M_BAD_JSON', async () => {
    expectError(await t.req('POST', `${V3}/login`, { rawBody: '' }), 400, 'M_BAD_JSON');
    expectError(await t.req('PUT', `${V3}/profile/@alice:localhost/displayname`, { token: alice.token, rawBody: '' }), 400, 'M_BAD_JSON');
  });

  it('deep nesting and prototype keys are 400 or ignored, never a crash', async () => {
    const deep = `{"type":"m.login.password","user":"alice","password":"x","pad":${'['.repeat(50_000)}${']'.repeat(50_000)}}`;
    expectError(await t.req('POST', `${V3}/login`, { rawBody: deep }), 400, 'M_BAD_JSON');
    const proto = `{"type":"m.login.password","identifier":{"type":"m.id.user","user":"alice"},"password":"${DEFAULT_PASSWORD}","__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}`;
    const res = await t.req('POST', `${V3}/login`, { rawBody: proto });
    assert.ok(res.status === 200 || res.status === 400, res.text);
    assert.equal(({} as Record<string, unknown>)['admin'], undefined);
  });

  it('a bad percent-escape in a path parameter is 400 with a Matrix error', async () => {
    for (const bad of ['%FF', '%ED%A0%80', '%', '%E0%A4%A', '%C0%AF', '%00']) {
      expectError(await t.req('GET', `${V3}/profile/${bad}`), 400);
      expectError(await t.req('GET', `${V3}/profile/${bad}/displayname`), 400);
      expectError(await t.req('PUT', `${V3}/profile/${bad}/displayname`, { token: alice.token, body: { displayname: 'x' } }), 400);
      const dev = await t.req('GET', `${V3}/devices/${bad}`, { token: alice.token });
      assert.ok(dev.status === 400 || dev.status === 404, `${bad}: ${dev.status}`);
    }
    // The server is still up and serving.
    assert.equal((await t.req('GET', '/_matrix/client/versions')).status, 200);
  });

  it('a bad percent-escape or odd value in a query parameter is a 4xx, never a crash', async () => {
    for (const q of ['username=%FF', 'username=%ED%A0%80', 'username=%', 'username=a&username=b', 'username[]=a', `username=${'a'.repeat(5000)}`]) {
      const res = await t.req('GET', `${V3}/register/available?${q}`);
      assert.ok(res.status >= 400 || res.json?.available === true, `${q}: ${res.status}`);
    }
    for (const q of ['access_token=%FF', 'access_token=a&access_token=b', 'access_token=%ED%A0%80']) {
      const res = await t.req('GET', `${V3}/account/whoami?${q}`);
      assert.equal(res.status, 401, `${q}: ${res.status} ${res.text}`);
    }
    expectError(await t.req('POST', `${V3}/register?kind=%FF`, { body: {} }), 400, 'M_INVALID_PARAM');
  });

  it('a user id over 255 bytes in a path is 400 M_INVALID_PARAM', async () => {
    const long = `@${'a'.repeat(300)}:localhost`;
    expectError(await t.req('GET', `${V3}/profile/${encodeURIComponent(long)}`), 400, 'M_INVALID_PARAM');
  });

  it('a 10 KB user id in a path is 400 M_INVALID_PARAM', async () => {
    const huge = `@${'a'.repeat(10 * 1024)}:localhost`;
    expectError(await t.req('GET', `${V3}/profile/${encodeURIComponent(huge)}`), 400, 'M_INVALID_PARAM');
    expectError(await t.req('GET', `${V3}/profile/${encodeURIComponent(huge)}/displayname`), 400, 'M_INVALID_PARAM');
    expectError(
      await t.req('PUT', `${V3}/profile/${encodeURIComponent(huge)}/displayname`, { token: alice.token, body: { displayname: 'x' } }),
      400,
      'M_INVALID_PARAM',
    );
  });

  it('NUL and control characters in stored strings never cause a 500', async () => {
    const res = await t.req('PUT', `${V3}/profile/@alice:localhost/displayname`, { token: alice.token, body: { displayname: 'a\u0000b\u0007c' } });
    assert.ok(res.status === 200 || res.status === 400, res.text);
    const dev = await t.req('PUT', `${V3}/devices/${alice.deviceId}`, { token: alice.token, body: { display_name: 'nul\u0000here' } });
    assert.ok(dev.status === 200 || dev.status === 400, dev.text);
    // U+0000 is refused at the edge for every body (PostgreSQL cannot store it in text).
    const reg = await t.req('POST', `${V3}/login`, { body: loginBody('alice', 'pass\u0000word') });
    expectError(reg, 400, 'M_BAD_JSON');
  });
});

// The same server on PostgreSQL: the basic flow, and strings PostgreSQL cannot store in `text`
// (U+0000) — a client must get a 4xx for those, never a 500.
describe('on PostgreSQL', () => {
  let t: TestApp;
  let drop: () => Promise<void> = async () => undefined;
  let alice: Session;
  before(async () => {
    assert.ok(process.env['HUSH_TEST_PG_URL'], 'HUSH_TEST_PG_URL must be set: run the tests with `npm test`');
    const pgdb = await freshPgDatabase();
    drop = pgdb.drop;
    t = await checkedApp({ database: pgdb.url });
    alice = await t.register('alice');
  });
  after(async () => {
    await t?.close();
    await drop();
  });

  it('runs on PostgreSQL: register, login, whoami, devices, logout', async () => {
    assert.equal(t.database.dialect, 'postgres');
    const s = await t.login('@alice:localhost', DEFAULT_PASSWORD, { device_id: 'PGDEV' });
    const who = await t.req('GET', `${V3}/account/whoami`, { token: s.token });
    assert.equal(who.json.user_id, '@alice:localhost');
    const devices = await t.req('GET', `${V3}/devices`, { token: s.token });
    assert.deepEqual(devices.json.devices.map((d: { device_id: string }) => d.device_id).sort(), [alice.deviceId, 'PGDEV'].sort());
    assert.equal(typeof devices.json.devices[0].last_seen_ts, 'number');
    assert.equal((await t.req('POST', `${V3}/logout`, { token: s.token })).status, 200);
    expectError(await t.req('GET', `${V3}/account/whoami`, { token: s.token }), 401, 'M_UNKNOWN_TOKEN');
  });

  it('U+0000 in a stored string is a 4xx, never a 500', async () => {
    const nul = 'a\u0000b';
    const cases: [Method, string, ReqOptions][] = [
      ['PUT', `${V3}/profile/@alice:localhost/displayname`, { token: alice.token, body: { displayname: nul } }],
      ['PUT', `${V3}/profile/@alice:localhost/avatar_url`, { token: alice.token, body: { avatar_url: `mxc://localhost/${nul}` } }],
      ['PUT', `${V3}/devices/${alice.deviceId}`, { token: alice.token, body: { display_name: nul } }],
      ['GET', `${V3}/devices/a%00b`, { token: alice.token }],
      ['POST', `${V3}/login`, { body: loginBody(nul) }],
      ['POST', `${V3}/login`, { body: loginBody('alice', DEFAULT_PASSWORD, { device_id: nul }) }],
      ['POST', `${V3}/login`, { body: loginBody('alice', DEFAULT_PASSWORD, { initial_device_display_name: nul }) }],
    ];
    const failures: string[] = [];
    for (const [method, path, opts] of cases) {
      const res = await t.req(method, path, opts).catch((e: Error) => ({ status: 500, text: e.message }) as Res);
      if (res.status >= 500) failures.push(`${method} ${path} ${JSON.stringify(opts.body ?? '')} → ${res.status}`);
    }
    assert.deepEqual(failures, []);
  });

  it('a registration refused for U+0000 leaves no half-created account behind', async () => {
    const res = await t
      .req('POST', `${V3}/register`, {
        body: { username: 'nully', password: 'x', initial_device_display_name: 'a\u0000b', auth: { type: 'm.login.dummy' } },
      })
      .catch((e: Error) => ({ status: 500, text: e.message }) as Res);
    const problems: string[] = [];
    if (res.status >= 500) problems.push(`register → ${res.status} ${res.text}`);
    if (res.status !== 200) {
      const avail = await t.req('GET', `${V3}/register/available?username=nully`);
      if (avail.status !== 200) problems.push(`the refused registration left an account behind: available → ${avail.status} ${avail.text}`);
    }
    assert.deepEqual(problems, []);
  });
});
