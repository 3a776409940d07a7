// `hush login`, `whoami`, `logout` as real processes against a real `hush serve`: the stored session
// (0600 in a 0700 dir), HUSH_* variables and flags, and every exit code (2, 3, 4, 5).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { client, startHush, type HushProcess } from '../support/server.ts';
import { closedUrl, countingServer, hushCli, tempConfigDir } from '../../packages/cli/test/harness.ts';

let hush: HushProcess;
let http: ReturnType<typeof client>;
const PASSWORD = 'correct horse';

before(async () => {
  hush = await startHush();
  http = client(hush.baseUrl);
});
after(() => hush?.stop());

const login = (dir: string, user: string, password = PASSWORD) =>
  hushCli(['login', '--homeserver', hush.baseUrl, '--user', user, '--password-stdin', '--json'], { configDir: dir, stdin: `${password}\n` });

describe('hush login / whoami / logout', () => {
  test('login --password-stdin stores a 0600 session in a 0700 dir; whoami uses it', async () => {
    const s = await http.register('cli_s_alice', PASSWORD);
    const dir = tempConfigDir();
    const r = await login(dir, 'cli_s_alice');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.user_id, s.userId);
    const file = join(dir, 'session.json');
    assert.equal(r.json.session_file, file);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    assert.deepEqual(Object.keys(stored).sort(), ['accessToken', 'deviceId', 'homeserver', 'userId']);
    assert.equal(stored.userId, s.userId);
    assert.equal(stored.homeserver, hush.baseUrl);

    const me = await hushCli(['whoami', '--json'], { configDir: dir });
    assert.equal(me.code, 0, me.stderr);
    assert.deepEqual(me.json, { user_id: s.userId, device_id: stored.deviceId, homeserver: hush.baseUrl });
    const human = await hushCli(['whoami'], { configDir: dir });
    assert.equal(human.stdout, `${s.userId} on ${hush.baseUrl} (device ${stored.deviceId})\n`);
    assert.equal(human.stderr, '');
  });

  test('a full user ID logs in too, and logging in again replaces the session (still 0600)', async () => {
    const s = await http.register('cli_s_full', PASSWORD);
    const dir = tempConfigDir();
    const first = await login(dir, 'cli_s_full');
    const second = await login(dir, s.userId);
    assert.equal(second.code, 0, second.stderr);
    assert.notEqual(second.json.device_id, first.json.device_id);
    assert.equal(JSON.parse(readFileSync(join(dir, 'session.json'), 'utf8')).deviceId, second.json.device_id);
    assert.equal(statSync(join(dir, 'session.json')).mode & 0o777, 0o600);
  });

  test('login --token stores a token you already have; HUSH_HOMESERVER / HUSH_TOKEN work; flags win over them', async () => {
    const s = await http.register('cli_s_token', PASSWORD);
    const dir = tempConfigDir();
    const r = await hushCli(['login', '--homeserver', hush.baseUrl, '--token', s.token, '--json'], { configDir: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([r.json.user_id, r.json.device_id], [s.userId, s.deviceId]);
    assert.equal((await hushCli(['whoami', '--json'], { configDir: dir })).json.user_id, s.userId);

    const env = await hushCli(['whoami', '--json'], { env: { HUSH_HOMESERVER: hush.baseUrl, HUSH_TOKEN: s.token } });
    assert.equal(env.code, 0, env.stderr);
    assert.equal(env.json.user_id, s.userId);
    const flags = await hushCli(['whoami', '--json', '--token', s.token], { env: { HUSH_HOMESERVER: hush.baseUrl, HUSH_TOKEN: 'not-a-token' } });
    assert.equal(flags.code, 0, flags.stderr);
    assert.equal(flags.json.user_id, s.userId);
  });

  test('a wrong password exits 5 and stores nothing', async () => {
    await http.register('cli_s_wrong', PASSWORD);
    const dir = tempConfigDir();
    const r = await login(dir, 'cli_s_wrong', 'not the password');
    assert.equal(r.code, 5);
    assert.deepEqual(JSON.parse(r.stderr), { error: 'wrong user name or password', exit_code: 5, errcode: 'M_FORBIDDEN' }, 'with --json the failure carries the errcode');
    assert.equal(r.stdout, '');
    assert.equal(existsSync(join(dir, 'session.json')), false);
  });

  test('an unreachable homeserver exits 4 naming the URL: "cannot reach …: connection refused"', async () => {
    const url = await closedUrl();
    const who = await hushCli(['whoami', '--homeserver', url, '--token', 't']);
    assert.equal(who.code, 4);
    assert.equal(who.stderr, `hush: cannot reach ${url}: connection refused\n`);
    const r = await hushCli(['login', '--homeserver', url, '--user', 'alice', '--password-stdin'], { stdin: 'x\n' });
    assert.equal(r.code, 4);
    assert.match(r.stderr, new RegExp(`cannot reach ${url.replace(/[.]/g, '\\.')}: connection refused`));
  });

  test('bad input exits 2 and sends nothing', async () => {
    const counting = await countingServer();
    try {
      const cases = [
        ['login', '--homeserver', counting.url, '--user', '@not valid', '--password-stdin'],
        ['login', '--homeserver', 'ftp://example.org', '--user', 'alice', '--password-stdin'],
        ['login', '--homeserver', counting.url, '--password-stdin'],
        ['whoami', '--homeserver', 'not a url', '--token', 't'],
        ['whoami', '--bogus-flag'],
        ['frobnicate'],
      ];
      for (const args of cases) {
        const r = await hushCli(args, { stdin: 'pw\n' });
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.notEqual(r.stderr, '', args.join(' '));
      }
      assert.equal(counting.count(), 0, 'not one request reached the homeserver');
    } finally {
      await counting.close();
    }
  });

  test('not logged in, a refused token and a damaged session file exit 3', async () => {
    const none = await hushCli(['whoami']);
    assert.equal(none.code, 3);
    assert.match(none.stderr, /not logged in: run hush login/);
    const refused = await hushCli(['whoami', '--homeserver', hush.baseUrl, '--token', 'no-such-token']);
    assert.equal(refused.code, 3);
    assert.match(refused.stderr, /M_UNKNOWN_TOKEN/);
    const noToken = await hushCli(['ignore', 'list', '--homeserver', hush.baseUrl]);
    assert.equal(noToken.code, 3);
    assert.match(noToken.stderr, new RegExp(`not logged in to ${hush.baseUrl.replace(/[.]/g, '\\.')}`));
    const dir = tempConfigDir();
    writeFileSync(join(dir, 'session.json'), '{"homeserver": ');
    const damaged = await hushCli(['whoami'], { configDir: dir });
    assert.equal(damaged.code, 3);
    assert.match(damaged.stderr, /session file .* is damaged/);
  });

  test('logout revokes the token and removes the file; a session the server already ended is removed too', async () => {
    await http.register('cli_s_out', PASSWORD);
    const dir = tempConfigDir();
    await login(dir, 'cli_s_out');
    const token = JSON.parse(readFileSync(join(dir, 'session.json'), 'utf8')).accessToken as string;
    const out = await hushCli(['logout', '--json'], { configDir: dir });
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.json.session_removed, true);
    assert.equal(existsSync(join(dir, 'session.json')), false);
    const revoked = await http.request('GET', '/_matrix/client/v3/account/whoami', { token });
    assert.equal(revoked.json.errcode, 'M_UNKNOWN_TOKEN');
    assert.equal((await hushCli(['logout'], { configDir: dir })).code, 3, 'nothing left to log out');

    await login(dir, 'cli_s_out');
    const stale = JSON.parse(readFileSync(join(dir, 'session.json'), 'utf8')).accessToken as string;
    assert.equal((await http.request('POST', '/_matrix/client/v3/logout', { token: stale, body: {} })).status, 200);
    const again = await hushCli(['logout'], { configDir: dir });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /had already ended this session/);
    assert.equal(existsSync(join(dir, 'session.json')), false);
  });

  test('logout --token ends that token only and keeps the stored session', async () => {
    const other = await http.register('cli_s_keep', PASSWORD);
    const dir = tempConfigDir();
    await login(dir, 'cli_s_keep');
    const r = await hushCli(['logout', '--token', other.token], { configDir: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await http.request('GET', '/_matrix/client/v3/account/whoami', { token: other.token })).json.errcode, 'M_UNKNOWN_TOKEN');
    assert.equal((await hushCli(['whoami', '--json'], { configDir: dir })).json.user_id, other.userId);
  });
});
