// Every `hush` client command as a real child process against a real `hush serve`: two users, real
// rooms, real invites. Sessions live in a temp HUSH_CONFIG_DIR per test user.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client, HUSH_BIN, startHush, type ClientSession, type HushProcess } from '../support/server.ts';
import { steps } from './support/steps.ts';

let hush: HushProcess;
let w: ReturnType<typeof steps>;
const PASSWORD = 'correct horse';

before(async () => {
  hush = await startHush();
  w = steps(client(hush.baseUrl));
});
after(() => hush?.stop());

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

function hushCli(args: string[], opts: { configDir?: string; stdin?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HUSH_BIN, ...args], {
      env: { ...process.env, HUSH_CONFIG_DIR: opts.configDir ?? mkdtempSync(join(tmpdir(), 'hush-cli-')), ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code, stdout, stderr, json });
    });
    child.stdin.end(opts.stdin ?? '');
  });
}

/** A registered user logged in through the CLI, with its own config dir. */
async function cliUser(name: string): Promise<{ s: ClientSession; dir: string }> {
  const s = await w.user(name);
  const dir = mkdtempSync(join(tmpdir(), 'hush-cli-'));
  const r = await hushCli(['login', '--homeserver', hush.baseUrl, '--user', name, '--password-stdin', '--json'], { configDir: dir, stdin: `${PASSWORD}\n` });
  assert.equal(r.code, 0, r.stderr);
  return { s, dir };
}

describe('hush CLI', () => {
  test('login --password-stdin stores a 0600 session; whoami uses it; logout revokes it', async () => {
    const { s, dir } = await cliUser('cli_login');
    const file = join(dir, 'session.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const me = await hushCli(['whoami', '--json'], { configDir: dir });
    assert.equal(me.code, 0, me.stderr);
    assert.equal(me.json.user_id, s.userId);
    const human = await hushCli(['whoami'], { configDir: dir });
    assert.match(human.stdout, new RegExp(`^${s.userId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} on `));
    const token = JSON.parse(readFileSync(file, 'utf8')).accessToken as string;
    assert.equal((await hushCli(['logout'], { configDir: dir })).code, 0);
    const after = await hushCli(['whoami', '--homeserver', hush.baseUrl, '--token', token]);
    assert.equal(after.code, 3, 'the revoked token is refused: exit 3');
    assert.match(after.stderr, /M_UNKNOWN_TOKEN/);
  });

  test('a wrong password exits 5, an unreachable homeserver 4 with the URL, no session 3, bad usage 2', async () => {
    await w.user('cli_wrong');
    const wrong = await hushCli(['login', '--homeserver', hush.baseUrl, '--user', 'cli_wrong', '--password-stdin'], { stdin: 'nope\n' });
    assert.equal(wrong.code, 5);
    assert.match(wrong.stderr, /wrong user name or password/);
    const down = await hushCli(['whoami', '--homeserver', 'http://127.0.0.1:9', '--token', 't']);
    assert.equal(down.code, 4);
    assert.match(down.stderr, /cannot reach http:\/\/127\.0\.0\.1:9/);
    const none = await hushCli(['ignore', 'list']);
    assert.equal(none.code, 3);
    assert.match(none.stderr, /not logged in/);
    assert.equal((await hushCli(['ignore', 'frobnicate'])).code, 2);
    assert.equal((await hushCli(['login', '--homeserver', 'ftp://x', '--user', 'a', '--password-stdin'], { stdin: 'x' })).code, 2);
  });

  test('HUSH_HOMESERVER and HUSH_TOKEN work without a stored session', async () => {
    const s = await w.user('cli_env');
    const r = await hushCli(['whoami', '--json'], { env: { HUSH_HOMESERVER: hush.baseUrl, HUSH_TOKEN: s.token } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.user_id, s.userId);
  });

  test('ignore add / list / remove; a bad user id exits 2 and sends nothing; yourself is refused', async () => {
    const { s, dir } = await cliUser('cli_ign');
    const server = s.userId.split(':').slice(1).join(':');
    const [bob, carol] = [`@bob:${server}`, `@carol:${server}`];
    const add = await hushCli(['ignore', 'add', bob, carol, '--json'], { configDir: dir });
    assert.equal(add.code, 0, add.stderr);
    assert.deepEqual([...add.json.ignored_users].sort(), [bob, carol].sort());
    const list = await hushCli(['ignore', 'list', '--json'], { configDir: dir });
    assert.deepEqual(list.json.ignored_users, [bob, carol].sort());
    const bad = await hushCli(['ignore', 'add', 'not-an-id', '--json'], { configDir: dir });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not a Matrix user ID/);
    assert.equal((await hushCli(['ignore', 'add', s.userId], { configDir: dir })).code, 2);
    assert.equal((await hushCli(['ignore', 'remove', bob], { configDir: dir })).code, 0);
    assert.deepEqual((await hushCli(['ignore', 'list', '--json'], { configDir: dir })).json.ignored_users, [carol]);
    const server_side = await w.get(s, `/_matrix/client/v3/user/${encodeURIComponent(s.userId)}/account_data/m.ignored_user_list`);
    assert.deepEqual(Object.keys(server_side.json.ignored_users), [carol], 'the server holds the same list');
  });

  test('invites: pending shows a real invite; ignore --user hides it with the rule named by hidden; block makes the inviter get M_INVITE_BLOCKED', async () => {
    const { s: alice, dir } = await cliUser('cli_inv_alice');
    const bob = await w.user('cli_inv_bob');
    const room = await w.createRoom(bob, { name: 'Party' });
    await w.invite(bob, room, alice.userId);
    const pending = await hushCli(['invites', 'pending', '--json'], { configDir: dir });
    assert.deepEqual(pending.json.invites, [{ room_id: room, inviter: bob.userId, name: 'Party' }]);
    assert.match((await hushCli(['invites', 'pending'], { configDir: dir })).stdout, /from @cli_inv_bob/);

    assert.equal((await hushCli(['invites', 'ignore', '--user', bob.userId, '--reason', 'spam'], { configDir: dir })).code, 0);
    assert.deepEqual((await hushCli(['invites', 'pending', '--json'], { configDir: dir })).json.invites, []);
    const hidden = await hushCli(['invites', 'hidden', '--json'], { configDir: dir });
    assert.deepEqual(
      hidden.json.invites.map((i: { room_id: string; rule: string }) => [i.room_id, i.rule]),
      [[room, 'm.ignored_invites ignored_user_ids']],
    );
    assert.match((await hushCli(['invites', 'hidden'], { configDir: dir })).stdout, /hidden by m\.ignored_invites ignored_user_ids/);
    assert.equal((await hushCli(['invites', 'unignore', '--user', bob.userId], { configDir: dir })).code, 0);
    assert.equal((await hushCli(['invites', 'pending', '--json'], { configDir: dir })).json.invites.length, 1);
    assert.equal((await hushCli(['invites', 'ignore', '--room', 'nope'], { configDir: dir })).code, 2);
    assert.equal((await hushCli(['invites', 'ignore'], { configDir: dir })).code, 2);

    assert.equal((await hushCli(['invites', 'block', 'on'], { configDir: dir })).code, 0);
    const another = await w.createRoom(bob, {});
    const refused = await w.http.request('POST', `/_matrix/client/v3/rooms/${encodeURIComponent(another)}/invite`, { token: bob.token, body: { user_id: alice.userId } });
    assert.equal(refused.status, 403);
    assert.equal(refused.json.errcode, 'M_INVITE_BLOCKED');
    assert.equal((await hushCli(['invites', 'block', 'off', '--json'], { configDir: dir })).json.blocked, false);
  });

  test('lists export from one account and import into another: 5,000 ids arrive, lists equal', async () => {
    const { s: alice, dir: aliceDir } = await cliUser('cli_lists_alice');
    const { dir: daveDir } = await cliUser('cli_lists_dave');
    const server = alice.userId.split(':').slice(1).join(':');
    const ids = Array.from({ length: 5000 }, (_, i) => `@spam${i}:${server}`);
    const input = join(aliceDir, 'seed.json');
    writeFileSync(input, JSON.stringify({ version: 1, ignored_users: ids, ignored_invites: { users: [], servers: ['spam.example'], rooms: [] }, invite_permission: 'allow', msc4155: {}, policy_rooms: [] }));
    assert.equal((await hushCli(['lists', 'import', input], { configDir: aliceDir })).code, 0);
    const out = join(aliceDir, 'export.json');
    const exp = await hushCli(['lists', 'export', out, '--json'], { configDir: aliceDir });
    assert.equal(exp.code, 0, exp.stderr);
    assert.equal(exp.json.ignored_users, 5000);
    const imp = await hushCli(['lists', 'import', out, '--json'], { configDir: daveDir });
    assert.equal(imp.code, 0, imp.stderr);
    const aliceList = await hushCli(['lists', 'export', '-'], { configDir: aliceDir });
    const daveList = await hushCli(['lists', 'export', '-'], { configDir: daveDir });
    const norm = (t: string) => {
      const d = JSON.parse(t);
      return { ...d, ignored_users: [...d.ignored_users].sort() };
    };
    assert.deepEqual(norm(daveList.stdout), norm(aliceList.stdout));
    const garbage = join(daveDir, 'garbage.json');
    writeFileSync(garbage, '{"not": "a list"}');
    assert.equal((await hushCli(['lists', 'import', garbage], { configDir: daveDir })).code, 2);
  });

  test('--help of every command is complete', async () => {
    for (const args of [['--help'], ['login', '--help'], ['ignore', 'add', '--help'], ['invites', 'ignore', '--help'], ['invites', 'block', '--help'], ['lists', 'import', '--help']]) {
      const r = await hushCli(args);
      assert.equal(r.code, 0, args.join(' '));
      assert.match(r.stdout, /Usage: hush/);
    }
    assert.match((await hushCli(['--help'])).stdout, /Exit codes:/);
    assert.match((await hushCli(['invites', 'ignore', '--help'])).stdout, /--server <name\.\.\.>/);
  });
});
