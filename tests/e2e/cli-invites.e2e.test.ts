// `hush invites …` as real processes against a real `hush serve`, with two users and real invites:
// pending, ignore/unignore by user, server and room, hidden with the rule that hid each, and block
// (the inviter gets M_INVITE_BLOCKED).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientSession } from '../support/server.ts';
import { countingServer, hushCli, hushForTests } from '../../packages/cli/test/harness.ts';

const fx = hushForTests();
const { loggedIn } = fx;

/** bob creates a room named `name` and invites `invitee`. */
async function invited(bob: ClientSession, invitee: string, name: string): Promise<string> {
  const room = await fx.w.createRoom(bob, { name });
  await fx.w.invite(bob, room, invitee);
  return room;
}

const inviteStatus = async (from: ClientSession, room: string, to: string) =>
  fx.w.http.request('POST', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/invite`, { token: from.token, body: { user_id: to } });

describe('hush invites', () => {
  test('pending shows a real invite, in JSON and as text', async () => {
    const { s: alice, dir } = await loggedIn('cli_v_alice');
    const bob = await fx.w.user('cli_v_bob');
    const none = await hushCli(['invites', 'pending'], { configDir: dir });
    assert.equal(none.stdout, '');
    assert.match(none.stderr, /no pending invites/);
    const room = await invited(bob, alice.userId, 'Party');
    const pending = await hushCli(['invites', 'pending', '--json'], { configDir: dir });
    assert.equal(pending.code, 0, pending.stderr);
    assert.equal(pending.json.invites.length, 1);
    assert.deepEqual({ ...pending.json.invites[0], ts: undefined }, { room_id: room, inviter: bob.userId, name: 'Party', ts: undefined });
    assert.equal((await hushCli(['invites', 'pending'], { configDir: dir })).stdout, `${room}  from ${bob.userId}  "Party"\n`);
  });

  test('ignore --user hides the invite; hidden names the rule; unignore brings it back', async () => {
    const { s: alice, dir } = await loggedIn('cli_v_carol');
    const bob = await fx.w.user('cli_v_dan');
    const room = await invited(bob, alice.userId, 'Offers');
    const ign = await hushCli(['invites', 'ignore', '--user', bob.userId, '--reason', 'spam', '--json'], { configDir: dir });
    assert.equal(ign.code, 0, ign.stderr);
    assert.deepEqual(ign.json.ignored_invites.users, [bob.userId]);
    assert.deepEqual(ign.json.ignored_invites.reasons, { [bob.userId]: 'spam' }, '--reason is kept with the entry');
    assert.deepEqual((await hushCli(['invites', 'pending', '--json'], { configDir: dir })).json.invites, []);

    const hidden = await hushCli(['invites', 'hidden', '--json'], { configDir: dir });
    assert.equal(hidden.code, 0, hidden.stderr);
    assert.deepEqual(
      hidden.json.invites.map((i: { room_id: string; inviter: string; rule: string; name: string; reason: string | null }) => [i.room_id, i.inviter, i.rule, i.name, i.reason]),
      [[room, bob.userId, 'm.ignored_invites ignored_user_ids', 'Offers', 'spam']],
    );
    const text = await hushCli(['invites', 'hidden'], { configDir: dir });
    assert.equal(text.stdout, `${room}  from ${bob.userId}  "Offers"\n    hidden by m.ignored_invites ignored_user_ids (reason: "spam")\n`);
    const exported = await hushCli(['lists', 'export', '-'], { configDir: dir });
    assert.deepEqual(JSON.parse(exported.stdout).ignored_invites.reasons, { [bob.userId]: 'spam' }, 'and exported with it');

    const un = await hushCli(['invites', 'unignore', '--user', bob.userId], { configDir: dir });
    assert.equal(un.code, 0, un.stderr);
    assert.deepEqual((await hushCli(['invites', 'pending', '--json'], { configDir: dir })).json.invites.map((i: { room_id: string }) => i.room_id), [room]);
    const empty = await hushCli(['invites', 'hidden'], { configDir: dir });
    assert.equal(empty.stdout, '');
    assert.match(empty.stderr, /hides no invites/);
  });

  test('ignore --server and --room: each hidden invite names its own rule', async () => {
    const { s: alice, dir } = await loggedIn('cli_v_erin');
    const bob = await fx.w.user('cli_v_frank');
    const byServer = await invited(bob, alice.userId, 'A');
    const server = bob.userId.slice(bob.userId.indexOf(':') + 1);
    assert.equal((await hushCli(['invites', 'ignore', '--server', server], { configDir: dir })).code, 0);
    let rules = (await hushCli(['invites', 'hidden', '--json'], { configDir: dir })).json.invites.map((i: { room_id: string; rule: string }) => [i.room_id, i.rule]);
    assert.deepEqual(rules, [[byServer, 'm.ignored_invites ignored_servers']]);
    assert.equal((await hushCli(['invites', 'unignore', '--server', server], { configDir: dir })).code, 0);

    const r = await hushCli(['invites', 'ignore', '--room', byServer, '--json'], { configDir: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json.ignored_invites, { users: [], servers: [], rooms: [byServer], reasons: {} });
    rules = (await hushCli(['invites', 'hidden', '--json'], { configDir: dir })).json.invites.map((i: { room_id: string; rule: string; reason: string | null }) => [i.room_id, i.rule, i.reason]);
    assert.deepEqual(rules, [[byServer, 'm.ignored_room_list / m.ignored_invites ignored_room_ids', null]]);
  });

  test('block on: the inviter gets M_INVITE_BLOCKED; block off: invites arrive again', async () => {
    const { s: alice, dir } = await loggedIn('cli_v_gina');
    const bob = await fx.w.user('cli_v_hank');
    const on = await hushCli(['invites', 'block', 'on', '--json'], { configDir: dir });
    assert.equal(on.code, 0, on.stderr);
    assert.equal(on.json.blocked, true);
    assert.equal(on.json.invite_permission, 'block');
    const room = await fx.w.createRoom(bob, {});
    const refused = await inviteStatus(bob, room, alice.userId);
    assert.equal(refused.status, 403);
    assert.equal(refused.json.errcode, 'M_INVITE_BLOCKED');

    const off = await hushCli(['invites', 'block', 'off'], { configDir: dir });
    assert.equal(off.stdout, 'invites are allowed again\n');
    assert.equal((await inviteStatus(bob, room, alice.userId)).status, 200);
    assert.deepEqual((await hushCli(['invites', 'pending', '--json'], { configDir: dir })).json.invites.map((i: { room_id: string }) => i.room_id), [room]);
  });

  test('bad targets exit 2 before any request', async () => {
    const counting = await countingServer();
    try {
      for (const args of [
        ['ignore'],
        ['ignore', '--room', 'nope'],
        ['ignore', '--server', 'bad server'],
        ['ignore', '--user', 'bob'],
        ['unignore', '--user', '@ok:example.org', '--room', '#alias:example.org'],
        ['block', 'maybe'],
      ]) {
        const r = await hushCli(['invites', ...args, '--homeserver', counting.url, '--token', 't']);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      }
      assert.equal(counting.count(), 0);
    } finally {
      await counting.close();
    }
  });
});
