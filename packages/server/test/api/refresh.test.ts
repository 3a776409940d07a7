// In-process tests of POST /_matrix/client/v3/refresh: Hush issues no refresh tokens, so every one
// is unknown; asking for one at login or registration is accepted and yields none.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSuiteApp, type TestApp } from '../helpers.ts';

const V3 = '/_matrix/client/v3';
let t: TestApp;

before(async () => {
  t = await createSuiteApp();
});
after(() => t.close());

describe('refresh', () => {
  test('login and registration with refresh_token: true succeed without a refresh token; the access token does not expire', async () => {
    const reg = await t.register('alice', undefined, { refresh_token: true });
    const login = await t.req('POST', `${V3}/login`, {
      body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'alice' }, password: 'correct horse', refresh_token: true },
    });
    assert.equal(login.status, 200);
    assert.equal(login.json.refresh_token, undefined);
    assert.equal(login.json.expires_in_ms, undefined);
    const whoami = await t.req('GET', `${V3}/account/whoami`, { token: reg.token });
    assert.equal(whoami.status, 200);
  });

  test('any refresh token — an access token included — is 401 M_UNKNOWN_TOKEN, soft_logout false', async () => {
    const s = await t.register('bob');
    for (const token of ['some_token', s.token]) {
      const res = await t.req('POST', `${V3}/refresh`, { body: { refresh_token: token } });
      assert.equal(res.status, 401);
      assert.equal(res.json.errcode, 'M_UNKNOWN_TOKEN');
      assert.equal(res.json.soft_logout, false);
    }
    assert.equal((await t.req('GET', `${V3}/account/whoami`, { token: s.token })).status, 200, 'the access token still works');
  });

  test('bad bodies: not JSON, a missing or non-string refresh_token', async () => {
    const notJson = await t.req('POST', `${V3}/refresh`, { rawBody: 'refresh' });
    assert.equal(notJson.status, 400);
    assert.equal(notJson.json.errcode, 'M_NOT_JSON');
    for (const body of [{}, { refresh_token: 5 }, { refresh_token: null }]) {
      const res = await t.req('POST', `${V3}/refresh`, { body });
      assert.equal(res.status, 400);
      assert.equal(res.json.errcode, 'M_BAD_JSON');
    }
  });
});
