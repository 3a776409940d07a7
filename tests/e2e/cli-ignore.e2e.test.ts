// `hush ignore add|remove|list` as real processes against a real `hush serve`: the list the server
// holds, --json and human output, other devices' entries kept, bad IDs refused before any request.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientSession } from '../support/server.ts';
import { countingServer, hushCli, hushForTests } from '../../packages/cli/test/harness.ts';

const fx = hushForTests();
const { loggedIn } = fx;

const serverList = async (s: ClientSession): Promise<string[]> =>
  Object.keys((await fx.w.get(s, `/_matrix/client/v3/user/${encodeURIComponent(s.userId)}/account_data/m.ignored_user_list`)).json.ignored_users ?? {}).sort();

describe('hush ignore', () => {
  test('add / list / remove with --json; the server holds the same list', async () => {
    const { s, dir } = await loggedIn('cli_i_alice');
    const bob = (await fx.w.user('cli_i_bob')).userId;
    const carol = (await fx.w.user('cli_i_carol')).userId;

    const add = await hushCli(['ignore', 'add', bob, carol, '--json'], { configDir: dir });
    assert.equal(add.code, 0, add.stderr);
    assert.deepEqual(add.json, { added: [bob, carol], ignored_users: [bob, carol].sort() });
    assert.deepEqual(await serverList(s), [bob, carol].sort());

    const list = await hushCli(['ignore', 'list', '--json'], { configDir: dir });
    assert.deepEqual(list.json, { ignored_users: [bob, carol].sort() });

    const again = await hushCli(['ignore', 'add', bob, '--json'], { configDir: dir });
    assert.deepEqual(again.json.added, [], 'adding someone already ignored changes nothing');

    const rm = await hushCli(['ignore', 'remove', bob, '--json'], { configDir: dir });
    assert.equal(rm.code, 0, rm.stderr);
    assert.deepEqual(rm.json, { removed: [bob], ignored_users: [carol] });
    assert.deepEqual(await serverList(s), [carol]);
  });

  test('human output: one user per line; an empty list prints nothing on stdout and says so on stderr', async () => {
    const { dir } = await loggedIn('cli_i_human');
    const empty = await hushCli(['ignore', 'list'], { configDir: dir });
    assert.equal(empty.code, 0);
    assert.equal(empty.stdout, '');
    assert.match(empty.stderr, /you ignore nobody/);
    const users = ['@zed:elsewhere.example', '@amy:elsewhere.example'];
    const add = await hushCli(['ignore', 'add', ...users], { configDir: dir });
    assert.match(add.stdout, /^now ignoring @zed:elsewhere\.example, @amy:elsewhere\.example \(2 ignored in all\)\n$/);
    assert.equal((await hushCli(['ignore', 'list'], { configDir: dir })).stdout, '@amy:elsewhere.example\n@zed:elsewhere.example\n');
  });

  test('an entry another device wrote is kept when the CLI adds and removes', async () => {
    const { s, dir } = await loggedIn('cli_i_devices');
    await fx.w.ignore(s, ['@other-device:elsewhere.example']);
    assert.equal((await hushCli(['ignore', 'add', '@cli:elsewhere.example'], { configDir: dir })).code, 0);
    assert.deepEqual(await serverList(s), ['@cli:elsewhere.example', '@other-device:elsewhere.example']);
    assert.equal((await hushCli(['ignore', 'remove', '@cli:elsewhere.example'], { configDir: dir })).code, 0);
    assert.deepEqual(await serverList(s), ['@other-device:elsewhere.example']);
  });

  test('a bad user ID exits 2 before any request; ignoring yourself exits 2 and changes nothing', async () => {
    const counting = await countingServer();
    try {
      for (const args of [['add', 'bob'], ['add', '@bob:good.example', '@bad id:x'], ['remove', '#room:example.org'], ['add']]) {
        const r = await hushCli(['ignore', ...args, '--homeserver', counting.url, '--token', 't']);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      }
      const bad = await hushCli(['ignore', 'add', '@bob:good.example', 'not-an-id', '--homeserver', counting.url, '--token', 't']);
      assert.equal(bad.stderr, 'hush: not a Matrix user ID: "not-an-id" (expected @name:server)\n');
      const badJson = await hushCli(['ignore', 'add', 'not-an-id', '--json', '--homeserver', counting.url, '--token', 't']);
      assert.equal(badJson.code, 2);
      assert.deepEqual(JSON.parse(badJson.stderr), { error: 'not a Matrix user ID: "not-an-id" (expected @name:server)', exit_code: 2 }, 'with --json the failure is one JSON line');
      assert.equal(counting.count(), 0, 'not one request was sent');
    } finally {
      await counting.close();
    }
    const { s, dir } = await loggedIn('cli_i_self');
    const self = await hushCli(['ignore', 'add', s.userId], { configDir: dir });
    assert.equal(self.code, 2);
    assert.match(self.stderr, /cannot ignore yourself/);
    assert.deepEqual(await serverList(s), []);
  });

  test('an ignored user\'s messages leave the timeline the server serves', async () => {
    const { s: alice, dir } = await loggedIn('cli_i_effect');
    const mallory = await fx.w.user('cli_i_mallory');
    const room = await fx.w.createRoom(alice, { preset: 'public_chat' });
    await fx.w.join(mallory, room);
    await fx.w.send(mallory, room, 'spam spam spam');
    const bodies = async () =>
      ((await fx.w.get(alice, `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/messages?dir=b&limit=50`)).json.chunk as { type: string; content: { body?: string } }[])
        .filter((e) => e.type === 'm.room.message')
        .map((e) => e.content.body);
    assert.deepEqual(await bodies(), ['spam spam spam']);
    assert.equal((await hushCli(['ignore', 'add', mallory.userId], { configDir: dir })).code, 0);
    assert.deepEqual(await bodies(), []);
  });
});
