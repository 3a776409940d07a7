// InviteRules against the fake homeserver: what each helper writes (MSC3840 map form, MSC2270 for
// rooms, Invite permission, MSC4155, m.policies, policy rules keyed one per entity), lists written
// under unstable names read and lifted, and imports in few writes with progress, all or nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HushClient } from './client.ts';
import { ImportError } from './import-lists.ts';
import { FakeHomeserver } from '../test/fake-homeserver.ts';

const ME = '@me:hs';

function setup() {
  const hs = new FakeHomeserver(ME);
  const client = new HushClient({ homeserver: 'http://hs', userId: ME, deviceId: 'D', accessToken: 't' }, { fetch: hs.fetch });
  return { hs, client, stored: (type: string) => hs.accountData.get(type)?.content as Record<string, Record<string, unknown>> | undefined };
}

test('a room goes into MSC3840 (map form, with ts and reason) and MSC2270; lifting it removes both', async () => {
  const { client, stored } = setup();
  await client.inviteRules.ignoreInvitesFrom('room', '!r:hs', 'spam');
  const entry = stored('m.ignored_invites')?.['ignored_room_ids']?.['!r:hs'] as { ts: number; reason: string };
  assert.equal(entry.reason, 'spam');
  assert.equal(typeof entry.ts, 'number');
  assert.deepEqual(stored('m.ignored_room_list'), { ignored_rooms: { '!r:hs': {} } });
  assert.deepEqual(client.inviteRules.lists().rooms, ['!r:hs']);
  await client.inviteRules.unignoreInvitesFrom('room', '!r:hs');
  assert.deepEqual(stored('m.ignored_invites')?.['ignored_room_ids'], {});
  assert.deepEqual(stored('m.ignored_room_list'), { ignored_rooms: {} });
});

test('entries written under the unstable names are read, and lifted there too', async () => {
  const { hs, client, stored } = setup();
  hs.setAccountData('org.matrix.msc3840.ignored_invites', { ignored_user_ids: ['@x:hs'], ignored_servers: ['bad.example'] });
  hs.setAccountData('org.matrix.msc4380.invite_permission_config', { default_action: 'block' });
  hs.setAccountData('org.matrix.msc3847.policies', { 'org.matrix.msc3847.ignore.invites': { sources: ['!p:hs'] } });
  await client.syncOnce();
  const lists = client.inviteRules.lists();
  assert.deepEqual([lists.users, lists.servers, lists.inviteDefault, lists.policyRooms], [['@x:hs'], ['bad.example'], 'block', ['!p:hs']]);
  await client.inviteRules.unignoreInvitesFrom('user', '@x:hs');
  await client.inviteRules.setBlockAll(false);
  await client.inviteRules.unsubscribePolicyRoom('!p:hs');
  assert.deepEqual(stored('org.matrix.msc3840.ignored_invites')?.['ignored_user_ids'], {});
  assert.equal(stored('org.matrix.msc4380.invite_permission_config')?.['default_action'], undefined);
  const after = client.inviteRules.lists();
  assert.deepEqual([after.users, after.servers, after.inviteDefault, after.policyRooms], [[], ['bad.example'], 'allow', []]);
});

test('block-all, globs and policy subscriptions write the documented content', async () => {
  const { client, stored } = setup();
  await client.inviteRules.setBlockAll(true);
  assert.deepEqual(stored('m.invite_permission_config'), { default_action: 'block' });
  await client.inviteRules.setGlobs({ blocked_servers: ['*.spam.example'] });
  await client.inviteRules.setGlobs({ ignored_users: ['@bot*:hs'] });
  assert.deepEqual(stored('org.matrix.msc4155.invite_permission_config'), { blocked_servers: ['*.spam.example'], ignored_users: ['@bot*:hs'] }, 'fields not given are kept');
  assert.deepEqual(client.inviteRules.lists().globs, { blocked_servers: ['*.spam.example'], ignored_users: ['@bot*:hs'] });
});

test('a policy rule is one m.ban state event keyed rule:<entity>', async () => {
  const { hs, client } = setup();
  const eventId = await client.inviteRules.addPolicyRule('!p:hs', 'server', '*.spam.example', 'spam');
  assert.equal(hs.events.at(-1)?.event_id, eventId);
  const put = hs.requests.find((r) => r.method === 'PUT' && r.path.includes('/state/'));
  assert.equal(put?.path, '/_matrix/client/v3/rooms/!p:hs/state/m.policy.rule.server/rule:*.spam.example');
  assert.deepEqual(put?.body, { entity: '*.spam.example', recommendation: 'm.ban', reason: 'spam' });
});

test('an import writes long lists in chunks of 1,000 with progress, and an export round-trips', async () => {
  const { hs, client } = setup();
  const users = Array.from({ length: 2500 }, (_, i) => `@u${i}:hs`);
  const progress: [number, number][] = [];
  await client.inviteRules.importLists(
    { version: 1, ignored_users: [...users, ME], ignored_invites: { users: [], servers: ['bad.example'], rooms: [] }, invite_permission: 'allow', msc4155: {}, policy_rooms: [] },
    (done, total) => progress.push([done, total]),
  );
  assert.deepEqual(progress, [[0, 2501], [1000, 2501], [2000, 2501], [2500, 2501], [2501, 2501]], 'your own id is left out');
  assert.equal(hs.requestsTo('/account_data/m.ignored_user_list', 'PUT').length, 3);
  const out = client.inviteRules.exportLists();
  assert.equal(out.ignored_users.length, 2500);
  assert.deepEqual(out.ignored_invites.servers, ['bad.example']);
});

test('showInviteAgain lifts the one entry that hid an invite, and refuses a rule that covers many invites', async () => {
  const { hs, client, stored } = setup();
  await client.inviteRules.ignoreInvitesFrom('server', 'bad.example');
  await client.inviteRules.ignoreInvitesFrom('room', '!r:hs');
  await client.inviteRules.setGlobs({ ignored_users: ['@bot*:hs'] });
  hs.setAccountData('m.ignored_inviters_list', { ignored_inviters: { '@x:hs': {}, '@y:hs': {} } });
  await client.syncOnce();
  await client.inviteRules.showInviteAgain({ rule: 'm.ignored_invites ignored_servers', inviter: '@a:bad.example', room_id: '!q:hs' });
  assert.deepEqual(client.inviteRules.lists().servers, []);
  await client.inviteRules.showInviteAgain({ rule: 'm.ignored_room_list / m.ignored_invites ignored_room_ids', inviter: '@a:hs', room_id: '!r:hs' });
  assert.deepEqual(client.inviteRules.lists().rooms, []);
  await client.inviteRules.showInviteAgain({ rule: 'org.matrix.msc4155.invite_permission_config ignored', inviter: '@bot1:hs', room_id: '!s:hs' });
  assert.deepEqual(stored('org.matrix.msc4155.invite_permission_config'), { ignored_users: ['@bot*:hs'], allowed_users: ['@bot1:hs'] });
  await client.inviteRules.showInviteAgain({ rule: 'm.ignored_inviters_list', inviter: '@x:hs', room_id: '!t:hs' });
  assert.deepEqual(stored('m.ignored_inviters_list'), { ignored_inviters: { '@y:hs': {} } });
  const writes = hs.accountData.size;
  await assert.rejects(
    client.inviteRules.showInviteAgain({ rule: 'm.invite_permission_config default_action block', inviter: '@a:hs', room_id: '!u:hs' }),
    (e: { errcode?: string }) => e.errcode === 'M_INVALID_PARAM',
  );
  assert.equal(hs.accountData.size, writes);
});

/** A client over the fake homeserver whose `failAt`-th account-data PUT fails with a 500 (and whose
 *  room summary says `summary` for every room). */
function failing(failAt: number, summary?: { status: number; body: unknown }) {
  const hs = new FakeHomeserver(ME);
  let puts = 0;
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const path = new URL(String(input)).pathname;
    if (summary && path.includes('/room_summary/')) return new Response(JSON.stringify(summary.body), { status: summary.status });
    if (init?.method === 'PUT' && path.includes('/account_data/') && ++puts === failAt) return new Response(JSON.stringify({ errcode: 'M_UNKNOWN', error: 'disk full' }), { status: 500 });
    return hs.fetch(input, init);
  };
  const client = new HushClient({ homeserver: 'http://hs', userId: ME, deviceId: 'D', accessToken: 't' }, { fetch });
  return { hs, client, puts: () => puts };
}

const BEFORE: Record<string, unknown> = {
  'm.ignored_user_list': { ignored_users: { '@old:hs': {} } },
  'm.ignored_invites': { ignored_servers: { 'old.example': { reason: 'kept' } } },
};
const IMPORT = {
  version: 1 as const,
  ignored_users: ['@a:hs', '@a:hs', ME],
  ignored_invites: { users: ['@b:hs'], servers: ['x.example'], rooms: ['!r:hs'], reasons: { 'x.example': 'spam' } },
  invite_permission: 'block' as const,
  msc4155: { ignored_users: ['@bot*:hs'] },
  policy_rooms: [],
};
/** Seven writes: the user list, three MSC3840 fields, MSC2270, Invite permission, MSC4155. */
const WRITES = 7;

test('an import that fails at any of its writes puts every list back as it was (the Nth write fails, for each N)', async () => {
  for (let n = 1; n <= WRITES; n++) {
    const { hs, client } = failing(n);
    for (const [type, content] of Object.entries(BEFORE)) hs.setAccountData(type, content);
    await client.syncOnce();
    const err = await client.inviteRules.importLists(IMPORT).catch((e: unknown) => e);
    assert.ok(err instanceof ImportError, `write ${n}: ${String(err)}`);
    assert.deepEqual([err.notRestored, err.changedAnything], [[], true], `write ${n}`);
    assert.match(err.message, /disk full/);
    for (const [type, content] of Object.entries(BEFORE)) assert.deepEqual(hs.accountData.get(type)?.content, content, `write ${n}: ${type} is back`);
    // Types the account did not have hold no entries again.
    const empty = (t: string) => hs.accountData.get(t)?.content;
    for (const [t, none] of [
      ['m.ignored_room_list', { ignored_rooms: {} }],
      ['m.invite_permission_config', {}],
      ['org.matrix.msc4155.invite_permission_config', {}],
    ] as const) {
      const c = empty(t);
      assert.ok(c === undefined || JSON.stringify(c) === JSON.stringify(none), `write ${n}: ${t} = ${JSON.stringify(c)}`);
    }
    assert.equal(client.inviteRules.lists().inviteDefault, 'allow');
    assert.deepEqual(client.ignoredUsers(), ['@old:hs']);
  }
});

test('a complete import reports every kind of change, and what it left out', async () => {
  const { hs, client } = failing(0);
  for (const [type, content] of Object.entries(BEFORE)) hs.setAccountData(type, content);
  hs.setAccountData('org.matrix.msc4155.invite_permission_config', { ignored_users: ['@mine*:hs'] });
  await client.syncOnce();
  const report = await client.inviteRules.importLists({ ...IMPORT, ignored_invites: { ...IMPORT.ignored_invites, servers: ['x.example', 'old.example'] } });
  assert.deepEqual(report.added, {
    ignored_users: ['@a:hs'],
    ignored_invites: { user: ['@b:hs'], server: ['x.example'], room: ['!r:hs'] },
    msc4155: { ignored_users: ['@bot*:hs'] },
    policy_rooms: [],
  });
  assert.deepEqual(report.invite_permission, { before: 'allow', after: 'block' });
  assert.equal(report.reasons, 1);
  assert.equal(report.unchanged, 1, 'old.example was there already');
  assert.deepEqual(report.dropped, [
    { field: 'ignored_users', entry: '@a:hs', why: 'listed twice' },
    { field: 'ignored_users', entry: ME, why: 'your own user ID' },
  ]);
  assert.deepEqual(hs.accountData.get('org.matrix.msc4155.invite_permission_config')?.content, { ignored_users: ['@mine*:hs', '@bot*:hs'] }, 'globs are merged, not replaced');
  assert.equal(client.inviteRules.lists().reasons['x.example'], 'spam');
  assert.equal(client.inviteRules.lists().reasons['old.example'], 'kept');
  // A weaker invite default than the account's is left out, not applied.
  const again = await client.inviteRules.importLists({ ...IMPORT, invite_permission: 'deny_public' });
  assert.deepEqual(again.invite_permission, { before: 'block', after: 'block' });
  assert.deepEqual(again.dropped.at(-1), { field: 'invite_permission', entry: 'deny_public', why: 'less strict than yours (block)' });
});

test('a policy room the room summary does not know stops the import before anything is written', async () => {
  const { client, puts } = failing(0, { status: 404, body: { errcode: 'M_NOT_FOUND', error: 'Room not found' } });
  const err = await client.inviteRules.importLists({ ...IMPORT, policy_rooms: ['!nowhere:hs'] }).catch((e: unknown) => e);
  assert.ok(err instanceof ImportError);
  assert.deepEqual([err.step, err.changedAnything, err.notRestored, puts()], ['policy_rooms: !nowhere:hs', false, [], 0]);
  assert.equal(err.message, 'policy_rooms: !nowhere:hs: Room not found');
  const invite = failing(0, { status: 200, body: { room_id: '!p:hs', join_rule: 'invite', num_joined_members: 1, world_readable: true, guest_can_join: false } });
  const closed = await invite.client.inviteRules.importLists({ ...IMPORT, policy_rooms: ['!p:hs'] }).catch((e: unknown) => e);
  assert.ok(closed instanceof ImportError && /join rule is invite/.test(closed.message) && invite.puts() === 0);
});
