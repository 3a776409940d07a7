// Accounts against a real `hush serve` process: the README's curl walk-through with plain fetch,
// graceful SIGTERM shutdown, the request log, server names with a port, and --config files.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client, startHush } from '../support/server.ts';

const V3 = '/_matrix/client/v3';

interface LogLine {
  msg?: string;
  level?: number;
  method?: string;
  url?: string;
  status?: number;
  ms?: number;
  [k: string]: unknown;
}

function parseLog(text: string): LogLine[] {
  return text
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => {
      try {
        return JSON.parse(l) as LogLine;
      } catch {
        throw new Error(`log line is not JSON: ${l}`);
      }
    });
}

describe('hush serve: the README walk-through with plain fetch', () => {
  it('register, login, whoami, logout (sent as curl -d sends them)', async () => {
    const hush = await startHush();
    try {
      // curl -d sends application/x-www-form-urlencoded; the body is still JSON.
      const post = (path: string, body: unknown, token?: string) =>
        fetch(`${hush.baseUrl}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify(body),
        });

      const reg = await post(`${V3}/register`, { username: 'alice', password: 'secret', auth: { type: 'm.login.dummy' } });
      assert.equal(reg.status, 200, await reg.clone().text());
      const regBody = (await reg.json()) as { user_id: string; access_token: string };
      assert.equal(regBody.user_id, '@alice:localhost');

      const login = await post(`${V3}/login`, { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'alice' }, password: 'secret' });
      assert.equal(login.status, 200);
      const { access_token: token, user_id, device_id } = (await login.json()) as { access_token: string; user_id: string; device_id: string };
      assert.equal(user_id, '@alice:localhost');
      assert.notEqual(token, regBody.access_token);

      const who = await fetch(`${hush.baseUrl}${V3}/account/whoami`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(who.status, 200);
      assert.deepEqual(await who.json(), { user_id: '@alice:localhost', device_id, is_guest: false });

      const out = await post(`${V3}/logout`, {}, token);
      assert.equal(out.status, 200);
      assert.deepEqual(await out.json(), {});

      const after = await fetch(`${hush.baseUrl}${V3}/account/whoami`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(after.status, 401);
      assert.equal(((await after.json()) as { errcode: string }).errcode, 'M_UNKNOWN_TOKEN');
      // The registration's own session is still valid.
      const still = await fetch(`${hush.baseUrl}${V3}/account/whoami`, { headers: { authorization: `Bearer ${regBody.access_token}` } });
      assert.equal(still.status, 200);
    } finally {
      await hush.stop();
    }
  });

  it('the same with the support client (UIA in two steps), and /versions without a token', async () => {
    const hush = await startHush();
    try {
      const c = client(hush.baseUrl);
      const versions = await c.request('GET', '/_matrix/client/versions');
      assert.equal(versions.status, 200);
      assert.ok(versions.json.versions.length > 0);
      assert.equal(versions.headers.get('access-control-allow-origin'), '*');
      const bob = await c.register('bob');
      assert.equal(bob.userId, '@bob:localhost');
      const again = await c.login('@bob:localhost');
      assert.equal((await c.request('GET', `${V3}/account/whoami`, { token: again.token })).json.user_id, '@bob:localhost');
      assert.equal((await c.request('POST', `${V3}/logout/all`, { token: again.token, body: {} })).status, 200);
      assert.equal((await c.request('GET', `${V3}/account/whoami`, { token: bob.token })).status, 401);
    } finally {
      await hush.stop();
    }
  });
});

describe('hush serve: shutdown and the request log', () => {
  it('SIGTERM exits 0; one JSON log line per request with status and duration; tokens never logged', async () => {
    const hush = await startHush();
    let stopped = false;
    try {
      const c = client(hush.baseUrl);
      const before = parseLog(hush.logs()).filter((l) => l.msg === 'request').length;
      const alice = await c.register('alice', 'hunter2-password'); // 2 requests
      const viaQuery = await fetch(`${hush.baseUrl}${V3}/account/whoami?access_token=${encodeURIComponent(alice.token)}`); // 1
      assert.equal(viaQuery.status, 200);
      const badQuery = await fetch(`${hush.baseUrl}${V3}/account/whoami?foo=1&access_token=${encodeURIComponent(alice.token)}x&bar=2`); // 1
      assert.equal(badQuery.status, 401);
      assert.equal((await c.request('GET', `${V3}/nope`)).status, 404); // 1
      assert.equal((await c.request('POST', `${V3}/login`, { body: 'x'.repeat(1_100_000) })).status, 413); // 1
      const made = 6;

      const info = await hush.stop();
      stopped = true;
      assert.deepEqual(info, { code: 0, signal: null }, `exit: ${JSON.stringify(info)}\nstderr: ${hush.stderr()}`);

      const text = hush.logs();
      const lines = parseLog(text);
      const requests = lines.filter((l) => l.msg === 'request');
      assert.equal(requests.length - before, made, `request lines:\n${requests.map((r) => JSON.stringify(r)).join('\n')}`);
      for (const r of requests) {
        assert.equal(typeof r.status, 'number', JSON.stringify(r));
        assert.equal(typeof r.ms, 'number', JSON.stringify(r));
        assert.ok((r.ms as number) >= 0);
        assert.equal(typeof r.method, 'string');
        assert.equal(typeof r.url, 'string');
      }
      assert.deepEqual(
        requests.slice(before).map((r) => r.status),
        [401, 200, 200, 401, 404, 413],
      );
      assert.ok(!text.includes(alice.token), 'the access token appears in the log');
      assert.ok(!text.includes(encodeURIComponent(alice.token)), 'the url-encoded access token appears in the log');
      assert.ok(!text.includes('hunter2-password'), 'the password appears in the log');
      assert.ok(requests.some((r) => r.url?.includes('access_token=') && r.url.includes('redacted')), 'the query token is shown redacted');
      assert.ok(lines.some((l) => l.msg === 'listening'));
      assert.ok(!hush.stderr().includes(alice.token));
    } finally {
      if (!stopped) await hush.stop();
    }
  });

  it('requests refused for a malformed path are logged too (one line per request)', async () => {
    const hush = await startHush();
    const paths = [`${V3}/profile/%FF`, `${V3}/profile/%ED%A0%80`, `${V3}/profile/${encodeURIComponent(`@${'a'.repeat(10_240)}:localhost`)}`];
    const statuses: number[] = [];
    try {
      for (const p of paths) statuses.push((await fetch(`${hush.baseUrl}${p}`)).status);
    } finally {
      await hush.stop();
    }
    for (const st of statuses) assert.ok(st >= 400 && st < 500, `status ${st}`);
    const requests = parseLog(hush.logs()).filter((l) => l.msg === 'request');
    assert.deepEqual(
      requests.map((r) => r.status),
      statuses,
      `statuses ${JSON.stringify(statuses)}; request lines: ${JSON.stringify(requests.map((r) => `${r.status} ${String(r.url).slice(0, 60)}`))}`,
    );
  });

  it('SIGTERM with idle keep-alive connections open still exits promptly with 0, and the port closes', async () => {
    const hush = await startHush();
    const c = client(hush.baseUrl);
    await c.register('carol'); // leaves keep-alive connections in fetch's pool
    const started = Date.now();
    const info = await hush.stop();
    assert.deepEqual(info, { code: 0, signal: null });
    assert.ok(Date.now() - started < 4_000, `shutdown took ${Date.now() - started} ms`);
    assert.ok(parseLog(hush.logs()).some((l) => l.msg === 'shutting down'));
    await assert.rejects(fetch(`${hush.baseUrl}/_matrix/client/versions`), 'the port is closed after shutdown');
  });
});

describe('hush serve: configuration', () => {
  it('--server-name localhost:8448: user ids carry the port', async () => {
    const hush = await startHush({ args: ['--server-name', 'localhost:8448'] });
    try {
      const c = client(hush.baseUrl);
      const alice = await c.register('alice');
      assert.equal(alice.userId, '@alice:localhost:8448');
      const who = await c.request('GET', `${V3}/account/whoami`, { token: alice.token });
      assert.equal(who.json.user_id, '@alice:localhost:8448');
      assert.equal((await c.login('@alice:localhost:8448')).userId, '@alice:localhost:8448');
      assert.equal((await c.login('alice')).userId, '@alice:localhost:8448');
      const profile = await c.request('GET', `${V3}/profile/${encodeURIComponent('@alice:localhost:8448')}`);
      assert.equal(profile.status, 200);
      // A user of plain `localhost` is another server's user here.
      assert.equal((await c.request('GET', `${V3}/profile/@alice:localhost`)).status, 404);
    } finally {
      await hush.stop();
    }
  });

  it('--config file.yaml supplies the same keys; flags override the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hush-config-'));
    const dbPath = join(dir, 'from-file.sqlite');
    const configPath = join(dir, 'hush.yaml');
    writeFileSync(
      configPath,
      [
        'server-name: file.example',
        'port: 1',
        `database: ${JSON.stringify(dbPath)}`,
        'registration: token',
        'registration-tokens:',
        '  - sesame',
        "rate-limits: 'on'",
        'log-level: info',
        '',
      ].join('\n'),
    );
    const hush = await startHush({
      defaults: false,
      args: ['--config', configPath, '--server-name', 'localhost:9999', '--rate-limits', 'off'],
    });
    try {
      assert.notEqual(new URL(hush.url).port, '1', '--port 0 overrides the file');
      assert.ok(existsSync(dbPath), 'the database path comes from the file');
      const c = client(hush.baseUrl);
      // registration: token (from the file)
      const first = await c.request('POST', `${V3}/register`, { body: { username: 'alice', password: 'pw' } });
      assert.equal(first.status, 401);
      assert.deepEqual(first.json.flows, [{ stages: ['m.login.registration_token'] }]);
      const wrong = await c.request('POST', `${V3}/register`, {
        body: { username: 'alice', password: 'pw', auth: { type: 'm.login.registration_token', token: 'nope', session: first.json.session } },
      });
      assert.equal(wrong.status, 401);
      const ok = await c.request('POST', `${V3}/register`, {
        body: { username: 'alice', password: 'pw', auth: { type: 'm.login.registration_token', token: 'sesame', session: first.json.session } },
      });
      assert.equal(ok.status, 200, ok.text);
      // server-name: the flag wins over the file.
      assert.equal(ok.json.user_id, '@alice:localhost:9999');
      // rate-limits: the flag (off) wins over the file (on): no 429 however many attempts.
      for (let i = 0; i < 15; i++) {
        const r = await c.request('POST', `${V3}/login`, { body: { type: 'm.login.token', token: 'x' } });
        assert.equal(r.status, 400, `attempt ${i}: ${r.status} ${r.text}`);
      }
    } finally {
      await hush.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--config keys may be spelled with underscores; the file alone configures the server', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hush-config-'));
    const configPath = join(dir, 'hush.yaml');
    writeFileSync(
      configPath,
      [`server_name: "localhost:8448"`, `database: ${JSON.stringify(join(dir, 'db.sqlite'))}`, 'rate_limits: true', 'registration: open', ''].join('\n'),
    );
    const hush = await startHush({ defaults: false, args: ['--config', configPath] });
    try {
      const c = client(hush.baseUrl);
      assert.equal((await c.register('alice')).userId, '@alice:localhost:8448');
      // rate_limits: true (from the file) limits repeated logins.
      let limited = false;
      for (let i = 0; i < 20 && !limited; i++) {
        const r = await c.request('POST', `${V3}/login`, { body: { type: 'm.login.token', token: 'x' } });
        if (r.status === 429) {
          limited = true;
          assert.equal(r.json.errcode, 'M_LIMIT_EXCEEDED');
          assert.ok(r.json.retry_after_ms > 0);
        }
      }
      assert.ok(limited, 'rate_limits from the file was not applied');
    } finally {
      await hush.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a missing config file or a bad value stops `hush serve` with a clear error', async () => {
    await assert.rejects(startHush({ args: ['--config', '/nonexistent/hush.yaml'] }), /exited \(code 2[^)]*\)[\s\S]*cannot read config file/);
    await assert.rejects(startHush({ args: ['--server-name', 'not a server name'] }), /exited \(code 2[^)]*\)[\s\S]*server-name/);
  });
});
