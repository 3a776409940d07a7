// Sessions against a fake fetch: registration through the dummy user-interactive step (with and
// without the 401 that names the session), login by localpart or full id, and logout.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MatrixError } from '@hush/protocol';
import { login, logout, register } from './session.ts';

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

test('register completes the dummy stage in the session a 401 names', async () => {
  const bodies: Record<string, unknown>[] = [];
  const session = await register({
    homeserver: 'http://hs/',
    username: 'alice',
    password: 'pw',
    fetch: async (_url, init) => {
      const body = JSON.parse(String(init?.body)) as Record<string, unknown>;
      bodies.push(body);
      const auth = body['auth'] as { session?: string } | undefined;
      if (auth?.session !== 'S1') return json(401, { session: 'S1', flows: [{ stages: ['m.login.dummy'] }], params: {} });
      return json(200, { user_id: '@alice:hs', device_id: 'DEV', access_token: 'tok' });
    },
  });
  assert.deepEqual(session, { homeserver: 'http://hs', userId: '@alice:hs', deviceId: 'DEV', accessToken: 'tok' });
  assert.deepEqual(bodies.map((b) => b['auth']), [{ type: 'm.login.dummy' }, { type: 'm.login.dummy', session: 'S1' }]);
});

test('a registration refused for another reason is thrown as it came', async () => {
  const err = await register({ homeserver: 'http://hs', username: 'taken', password: 'pw', fetch: async () => json(400, { errcode: 'M_USER_IN_USE', error: 'taken' }) }).catch((e: unknown) => e);
  assert.ok(err instanceof MatrixError && err.errcode === 'M_USER_IN_USE');
});

test('login sends the user as given (localpart or full id) as an m.id.user identifier; logout sends the token', async () => {
  const seen: { url: string; body: unknown; auth: string | undefined }[] = [];
  const fetch = async (url: RequestInfo | URL, init?: RequestInit) => {
    seen.push({ url: String(url), body: init?.body === undefined ? undefined : JSON.parse(String(init.body)), auth: (init?.headers as Record<string, string>)['authorization'] });
    return json(200, { user_id: '@bob:hs', device_id: 'D2', access_token: 'tok2' });
  };
  const s = await login({ homeserver: 'http://hs', user: 'bob', password: 'pw', deviceName: 'cli', fetch });
  await login({ homeserver: 'http://hs', user: '@bob:hs', password: 'pw', fetch });
  assert.equal(s.userId, '@bob:hs');
  assert.deepEqual(seen[0]?.body, { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'bob' }, password: 'pw', initial_device_display_name: 'cli' });
  assert.deepEqual((seen[1]?.body as { identifier: unknown }).identifier, { type: 'm.id.user', user: '@bob:hs' });
  assert.equal(seen[0]?.auth, undefined, 'no token on login');
  await logout({ homeserver: 'http://hs', accessToken: 'tok2' }, { fetch });
  assert.match(seen[2]?.url ?? '', /\/_matrix\/client\/v3\/logout$/);
  assert.equal(seen[2]?.auth, 'Bearer tok2');
});
