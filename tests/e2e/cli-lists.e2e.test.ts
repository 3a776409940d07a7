// `hush lists export|import` as real processes against a real `hush serve`: 5,000 ignored users and
// invite lists moved from one account to another (file and pipe), files checked before any request,
// imports all or nothing (an unknown policy room stops it before any write; a last write the server
// refuses puts everything back), and a summary of every change and of what was left out.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { countingServer, hushCli, tempConfigDir, hushForTests } from '../../packages/cli/test/harness.ts';

const fx = hushForTests();
const { loggedIn } = fx;

/** An export with its lists sorted, so two accounts' exports compare as sets. */
function normalised(text: string) {
  const d = JSON.parse(text);
  const inv = d.ignored_invites;
  return { ...d, ignored_users: [...d.ignored_users].sort(), ignored_invites: { ...inv, users: [...inv.users].sort(), servers: [...inv.servers].sort(), rooms: [...inv.rooms].sort() } };
}

const exportOf = async (dir: string) => {
  const r = await hushCli(['lists', 'export', '-'], { configDir: dir });
  assert.equal(r.code, 0, r.stderr);
  return normalised(r.stdout);
};

describe('hush lists', () => {
  test('export from one account, import into another: 5,000 ignored users and the invite lists arrive', async () => {
    const { s: alice, dir: aliceDir } = await loggedIn('cli_l_alice');
    const { s: dave, dir: daveDir } = await loggedIn('cli_l_dave');
    const ids = Array.from({ length: 5000 }, (_, i) => `@spam${i}:spam.example`);
    await fx.w.ignore(alice, ids);
    assert.equal((await hushCli(['invites', 'ignore', '--server', 'spam.example', '--user', '@bot:other.example'], { configDir: aliceDir })).code, 0);
    assert.equal((await hushCli(['invites', 'block', 'on'], { configDir: aliceDir })).code, 0);

    const file = join(aliceDir, 'lists.json');
    const exp = await hushCli(['lists', 'export', file, '--json'], { configDir: aliceDir });
    assert.equal(exp.code, 0, exp.stderr);
    assert.equal(exp.json.ignored_users, 5000);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const written = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(written.version, 1);
    assert.equal(written.invite_permission, 'block');

    const imp = await hushCli(['lists', 'import', file, '--json'], { configDir: daveDir });
    assert.equal(imp.code, 0, imp.stderr);
    assert.equal(imp.json.ignored_users, 5000);
    assert.equal(imp.json.added_ignored_users, 5000);
    assert.equal(imp.stderr, '', 'no progress bar when stderr is not a terminal');
    assert.deepEqual(await exportOf(daveDir), await exportOf(aliceDir));
    const head = await hushCli(['lists', 'export', '-'], { configDir: daveDir, closeStdout: true });
    assert.deepEqual([head.code, head.stderr], [0, ''], 'a reader that went away (| head) ends the export quietly');
    const held = await fx.w.get(dave, `/_matrix/client/v3/user/${encodeURIComponent(dave.userId)}/account_data/m.ignored_user_list`);
    assert.equal(Object.keys(held.json.ignored_users).length, 5000);
  });

  test('import merges: what the account had stays; a pipe works as the file (-)', async () => {
    const { s: erin, dir: erinDir } = await loggedIn('cli_l_erin');
    const { dir: frankDir } = await loggedIn('cli_l_frank');
    await fx.w.ignore(erin, ['@erin-own:elsewhere.example']);
    const doc = { version: 1, ignored_users: ['@a:x.example', '@b:x.example'], ignored_invites: { users: [], servers: ['y.example'], rooms: [] }, invite_permission: 'allow', msc4155: {}, policy_rooms: [] };
    writeFileSync(join(frankDir, 'in.json'), JSON.stringify(doc));
    const piped = await hushCli(['lists', 'import', '-'], { configDir: erinDir, stdin: JSON.stringify(doc) });
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stdout, `imported into ${erin.userId}:\n  ignored users: 2 added (3 in all)\n  ignored invites from servers: 1 added\n`);
    const erinNow = await exportOf(erinDir);
    assert.deepEqual(erinNow.ignored_users, ['@a:x.example', '@b:x.example', '@erin-own:elsewhere.example']);
    assert.deepEqual(erinNow.ignored_invites.servers, ['y.example']);
  });

  test('a file that is not an export, or has one bad ID among many, exits 2 before any request', async () => {
    const dir = tempConfigDir();
    const ids = Array.from({ length: 100 }, (_, i) => `@ok${i}:x.example`);
    const files: [string, string][] = [
      ['garbage.json', '{"not": "a list"}'],
      ['broken.json', '{"version": 1, "ignored_users": ['],
      ['bad-id.json', JSON.stringify({ version: 1, ignored_users: [...ids, 'not-an-id'] })],
      ['bad-room.json', JSON.stringify({ version: 1, ignored_invites: { rooms: ['#alias:x.example'] } })],
      ['bad-permission.json', JSON.stringify({ version: 1, invite_permission: 'sometimes' })],
    ];
    const counting = await countingServer();
    try {
      for (const [name, text] of files) {
        writeFileSync(join(dir, name), text);
        const r = await hushCli(['lists', 'import', join(dir, name), '--homeserver', counting.url, '--token', 't']);
        assert.equal(r.code, 2, `${name}: ${r.stderr}`);
      }
      const missing = await hushCli(['lists', 'import', join(dir, 'missing.json'), '--homeserver', counting.url, '--token', 't']);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /cannot read/);
      assert.equal(counting.count(), 0);
    } finally {
      await counting.close();
    }
    const bad = await hushCli(['lists', 'import', join(dir, 'bad-id.json'), '--homeserver', fx.baseUrl, '--token', 't']);
    assert.match(bad.stderr, /ignored_users: not a Matrix user ID: "not-an-id"/);
  });

  test('an unknown policy room stops the import before anything is written: exit 1 naming the entry', async () => {
    const { s: gina, dir } = await loggedIn('cli_l_gina');
    const before = await exportOf(dir);
    const doc = { version: 1, ignored_users: ['@x:x.example'], ignored_invites: { users: [], servers: ['spam.example'], rooms: [] }, invite_permission: 'block', policy_rooms: ['!nowhere:localhost'] };
    const r = await hushCli(['lists', 'import', '-'], { configDir: dir, stdin: JSON.stringify(doc) });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^hush: policy_rooms: !nowhere:localhost: M_NOT_FOUND: .+; nothing was changed\n$/);
    assert.deepEqual(await exportOf(dir), before);
    for (const type of ['m.ignored_user_list', 'm.ignored_invites', 'm.invite_permission_config']) {
      const held = await fx.w.get(gina, `/_matrix/client/v3/user/${encodeURIComponent(gina.userId)}/account_data/${type}`);
      assert.equal(held.status, 404, `${type} was never written`);
    }
    const json = await hushCli(['lists', 'import', '-', '--json'], { configDir: dir, stdin: JSON.stringify(doc) });
    assert.equal(JSON.parse(json.stderr).errcode, 'M_NOT_FOUND');
  });

  test('a last write the homeserver refuses (an MSC4155 list over its 1 MiB body limit) puts every earlier change back', async () => {
    const { s: hank, dir } = await loggedIn('cli_l_hank');
    const owner = await fx.w.user('cli_l_ivan');
    const policyRoom = await fx.w.createRoom(owner, { preset: 'public_chat' });
    await fx.w.ignore(hank, ['@keep:x.example']);
    assert.equal((await hushCli(['invites', 'ignore', '--server', 'keep.example', '--reason', 'mine'], { configDir: dir })).code, 0);
    const before = await exportOf(dir);
    assert.deepEqual(before.ignored_invites.reasons, { 'keep.example': 'mine' });
    const globs = Array.from({ length: 4000 }, (_, i) => `@bot${i}-${'x'.repeat(280)}:*`);
    const doc = {
      version: 1,
      ignored_users: ['@new1:x.example', '@new2:x.example'],
      ignored_invites: { users: ['@inv:x.example'], servers: ['spam.example'], rooms: ['!r:x.example'], reasons: { 'spam.example': 'spam' } },
      invite_permission: 'block',
      msc4155: { ignored_users: globs },
      policy_rooms: [policyRoom],
    };
    const r = await hushCli(['lists', 'import', '-'], { configDir: dir, stdin: JSON.stringify(doc) });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^hush: msc4155: M_TOO_LARGE: .+; what the import had changed was put back\n$/);
    assert.deepEqual(await exportOf(dir), before, 'ignored users, invite lists and reasons, invite permission, globs and policy rooms as they were');
    const member = await fx.w.get(owner, `/_matrix/client/v3/rooms/${encodeURIComponent(policyRoom)}/state/m.room.member/${encodeURIComponent(hank.userId)}`);
    assert.equal(member.json.membership, 'leave', 'the policy room it joined was left again');
  });

  test('the summary names every kind of change and every entry left out; reasons travel with the entries', async () => {
    const { s: jane, dir } = await loggedIn('cli_l_jane');
    const doc = {
      version: 1,
      ignored_users: ['@a:x.example', '@a:x.example', jane.userId],
      ignored_invites: { users: ['@b:x.example'], servers: [], rooms: [], reasons: { '@b:x.example': 'bot' } },
      invite_permission: 'block',
      msc4155: { ignored_users: ['@spam*:*'] },
    };
    const r = await hushCli(['lists', 'import', '-'], { configDir: dir, stdin: JSON.stringify(doc) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        `imported into ${jane.userId}:`,
        '  ignored users: 1 added (1 in all)',
        '  ignored invites from users: 1 added',
        '  reasons kept: 1',
        '  invite permission: allow → block',
        '  MSC4155 globs added: ignored_users 1',
        `  left out 2 entries: @a:x.example (ignored_users: listed twice), ${jane.userId} (ignored_users: your own user ID)`,
        '',
      ].join('\n'),
    );
    const after = await exportOf(dir);
    assert.deepEqual(after.ignored_invites.reasons, { '@b:x.example': 'bot' });
    assert.equal(after.invite_permission, 'block');
    const again = await hushCli(['lists', 'import', '-', '--json'], { configDir: dir, stdin: JSON.stringify(doc) });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.json.changes.unchanged, 4, 'the second time every entry was there already');
    assert.deepEqual(again.json.changes.added.ignored_users, []);
  });
});
