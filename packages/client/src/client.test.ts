// HushClient against a fake homeserver (../test/fake-homeserver.ts): refusing bad input without a
// request, the serialised read-modify-write of the lists losing no concurrent change, events only on
// real changes (whoever wrote them), discarding pending invites, and refilling after an un-ignore —
// by /messages, or by a fresh sync where the gap cannot be filled.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MatrixError } from '@hush/protocol';
import { HushClient, type ClientOptions } from './client.ts';
import type { ExportedLists } from './invite-rules.ts';
import { FakeHomeserver } from '../test/fake-homeserver.ts';

const ME = '@me:hs';
const BOB = '@bob:hs';
const CAROL = '@carol:hs';

function setup(opts: ClientOptions = {}) {
  const hs = new FakeHomeserver(ME);
  const client = new HushClient({ homeserver: 'http://hs', userId: ME, deviceId: 'D', accessToken: 't' }, { fetch: hs.fetch, ...opts });
  return { hs, client };
}
const bodies = (c: HushClient, room: string) => (c.store.room(room)?.timeline() ?? []).filter((e) => e.type === 'm.room.message').map((e) => String(e.content['body']));
const isInvalid = (e: unknown) => e instanceof MatrixError && (e.errcode === 'M_INVALID_PARAM' || e.errcode === 'M_BAD_JSON');

test('ignoring yourself, a non-id or writing a bad list is refused before any request', async () => {
  const { hs, client } = setup();
  await assert.rejects(async () => client.ignoreUser(ME), (e: unknown) => e instanceof MatrixError && e.errcode === 'M_INVALID_PARAM' && /yourself/.test(e.message));
  await assert.rejects(async () => client.ignoreUser('bob'), isInvalid);
  await assert.rejects(async () => client.setIgnoredUsers([BOB, ME]), isInvalid);
  await assert.rejects(async () => client.inviteRules.ignoreInvitesFrom('server', 'not a server!'), isInvalid);
  await assert.rejects(async () => client.inviteRules.ignoreInvitesFrom('room', '#alias:hs'), isInvalid);
  await assert.rejects(async () => client.inviteRules.setGlobs({ blocked_users: [42 as unknown as string] }), isInvalid);
  const bad: ExportedLists = { version: 1, ignored_users: [BOB, '@'], ignored_invites: { users: [], servers: [], rooms: [] }, invite_permission: 'allow', msc4155: {}, policy_rooms: [] };
  await assert.rejects(client.inviteRules.importLists(bad), isInvalid);
  assert.deepEqual(hs.requests, []);
});

test('concurrent ignoreUser calls are serialised and lose nothing; each resolves after /sync echoed it', async () => {
  const { hs, client } = setup();
  const changes: { added: string[]; removed: string[] }[] = [];
  client.on('ignoredUsersChanged', (e) => changes.push(e));
  await Promise.all(['@a:hs', '@b:hs', '@c:hs', '@d:hs'].map((u) => client.ignoreUser(u)));
  const stored = hs.accountData.get('m.ignored_user_list')?.content as { ignored_users: object };
  assert.deepEqual(Object.keys(stored.ignored_users).sort(), ['@a:hs', '@b:hs', '@c:hs', '@d:hs']);
  assert.deepEqual(client.ignoredUsers().sort(), ['@a:hs', '@b:hs', '@c:hs', '@d:hs'], 'the store holds the echoed list');
  assert.deepEqual(changes.flatMap((e) => e.added).sort(), ['@a:hs', '@b:hs', '@c:hs', '@d:hs']);
  const gets = hs.requestsTo('/account_data/m.ignored_user_list').length;
  assert.equal(gets, 4, 'each write read the newest content first');
  const before = changes.length;
  await client.ignoreUser('@a:hs'); // no change
  assert.equal(changes.length, before, 'no event when nothing changed');
  await client.unignoreUser('@b:hs');
  assert.deepEqual(changes.at(-1), { added: [], removed: ['@b:hs'] });
});

test('a change another device overwrote is made again', async () => {
  const { hs } = setup();
  let overwrite = true;
  const fetch = hs.fetch;
  const racing = new HushClient({ homeserver: 'http://hs', userId: ME, deviceId: 'D', accessToken: 't' }, {
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      if (overwrite && init?.method === 'PUT') {
        overwrite = false;
        hs.setAccountData('m.ignored_user_list', { ignored_users: { [CAROL]: {} } }); // the other device's stale write
      }
      return res;
    },
  });
  await racing.ignoreUser(BOB);
  assert.deepEqual(racing.ignoredUsers().sort(), [BOB, CAROL]);
  assert.equal(hs.requestsTo('/account_data/m.ignored_user_list', 'PUT').length, 2);
});

test('lists written by another device: ignoredUsersChanged and invitesDiscarded fire from /sync', async () => {
  const { hs, client } = setup();
  hs.invite('!spam:bad.example', '@x:bad.example');
  hs.invite('!fine:hs', CAROL);
  await client.syncOnce();
  assert.equal(client.pendingInvites().length, 2);
  const changed: unknown[] = [];
  const discarded: string[][] = [];
  client.on('ignoredUsersChanged', (e) => changed.push(e));
  client.on('invitesDiscarded', (e) => discarded.push(e.roomIds));
  hs.setAccountData('m.ignored_invites', { ignored_servers: { 'bad.example': {} } });
  await client.syncOnce();
  assert.deepEqual(discarded, [['!spam:bad.example']]);
  assert.deepEqual(client.pendingInvites().map((i) => i.roomId), ['!fine:hs']);
  assert.deepEqual(changed, [], 'an invite list is not an ignored-users change');
  hs.setAccountData('m.ignored_user_list', { ignored_users: { [CAROL]: {} } });
  await client.syncOnce();
  assert.deepEqual(changed, [{ added: [CAROL], removed: [] }]);
  assert.deepEqual(discarded.at(-1), ['!fine:hs'], "an ignored user's invite is discarded too");
  hs.setAccountData('m.push_rules', {});
  await client.syncOnce();
  assert.equal(changed.length, 1, 'other account data changes nothing');
});

test('un-ignoring refills the room through /messages: what the server never sent comes back, in order', async () => {
  const { hs, client } = setup();
  hs.join(ME);
  hs.join(BOB);
  hs.send(BOB, { body: 'bob 1' });
  await client.syncOnce();
  await client.ignoreUser(BOB);
  assert.deepEqual(bodies(client, hs.room), []);
  hs.send(BOB, { body: 'bob while ignored' });
  hs.send(CAROL, { body: 'carol 1' });
  await client.syncOnce();
  assert.deepEqual(bodies(client, hs.room), ['carol 1']);
  await client.unignoreUser(BOB);
  assert.deepEqual(bodies(client, hs.room), ['bob 1', 'bob while ignored', 'carol 1'], 'refilled by the time unignoreUser resolves');
  assert.ok(hs.requestsTo('/messages').length > 0);
  assert.equal(hs.requestsTo('/sync').filter((r) => r.query.get('since') === null).length, 1, 'no fresh sync was needed');
});

test('a gap the refill cannot fill makes the client start over with a sync without since', async () => {
  const { hs, client } = setup({ refillPages: 1, timelineLimit: 5 });
  hs.timelineLimit = 5;
  hs.join(ME);
  hs.join(BOB);
  await client.syncOnce();
  await client.ignoreUser(BOB);
  for (let i = 0; i < 60; i++) hs.send(BOB, { body: `bob ${i}` }); // more than one page of 50
  hs.send(CAROL, { body: 'carol' });
  await client.syncOnce();
  assert.deepEqual(bodies(client, hs.room), ['carol']);
  await client.unignoreUser(BOB);
  assert.equal(hs.requestsTo('/sync').filter((r) => r.query.get('since') === null).length, 2, 'the initial sync and the fresh one');
  assert.deepEqual(bodies(client, hs.room), ['bob 56', 'bob 57', 'bob 58', 'bob 59', 'carol']);
  assert.equal(client.store.room(hs.room)?.canPaginate, true);
});

test('with the loop running, a fresh sync replaces the long-poll in flight', async () => {
  const { hs, client } = setup({ syncTimeoutMs: 5_000, refillPages: 1, timelineLimit: 3 });
  hs.timelineLimit = 3;
  hs.join(ME);
  hs.join(BOB);
  await client.start();
  try {
    await client.ignoreUser(BOB);
    for (let i = 0; i < 55; i++) hs.send(BOB, { body: `bob ${i}` });
    hs.send(CAROL, { body: 'carol' });
    await new Promise<void>((resolve) => {
      const off = client.on('sync', () => bodies(client, hs.room).includes('carol') && (off(), resolve()));
    });
    const errors: unknown[] = [];
    client.on('error', (e) => errors.push(e.error));
    await client.unignoreUser(BOB);
    assert.deepEqual(bodies(client, hs.room), ['bob 53', 'bob 54', 'carol']);
    assert.deepEqual(errors, [], 'the aborted long-poll is not reported');
  } finally {
    client.stop();
  }
});

test('start() that fails can be tried again; M_UNKNOWN_TOKEN ends the loop', async () => {
  let answer: 'down' | 'ok' | 'gone' = 'down';
  const hs = new FakeHomeserver(ME);
  const client = new HushClient(
    { homeserver: 'http://hs', userId: ME, deviceId: 'D', accessToken: 't' },
    {
      syncTimeoutMs: 5_000,
      fetch: async (input, init) => {
        if (answer === 'down') throw new TypeError('fetch failed');
        if (answer === 'gone') return new Response(JSON.stringify({ errcode: 'M_UNKNOWN_TOKEN', error: 'gone' }), { status: 401 });
        return hs.fetch(input, init);
      },
    },
  );
  await assert.rejects(client.start(), (e: unknown) => (e as Error).name === 'NetworkError');
  answer = 'ok';
  await client.start();
  assert.equal(client.isRunning, true);
  const failed = new Promise<unknown>((resolve) => client.on('error', (e) => resolve(e.error)));
  answer = 'gone';
  hs.send(CAROL, { body: 'wake the long-poll' });
  const err = await failed;
  assert.ok(err instanceof MatrixError && err.errcode === 'M_UNKNOWN_TOKEN');
  assert.equal(client.isRunning, false);
});

test('isIgnored gives the verdict the store applies: the list, an ignored server (MSC3840), never yourself', async () => {
  const { hs, client } = setup();
  hs.setAccountData('m.ignored_user_list', { ignored_users: { [BOB]: {} } });
  hs.setAccountData('m.ignored_invites', { ignored_servers: { 'bad.example': {} } });
  await client.syncOnce();
  assert.equal(client.isIgnored(BOB), true);
  assert.equal(client.isIgnored('@anyone:bad.example'), true, 'a user of an ignored server');
  assert.equal(client.isIgnored(CAROL), false);
  assert.equal(client.isIgnored(ME), false);
  assert.deepEqual(client.ignoredUsers(), [BOB], 'ignoredUsers() is still the list itself');
});

test('paginating back stops at the start of the room although the last page carries end (as Hush and Synapse send it)', async () => {
  for (const withCreate of [true, false]) {
    const { hs, client } = setup({ timelineLimit: 3 });
    hs.timelineLimit = 3;
    if (withCreate) hs.send(ME, { room_version: '11' }, 'm.room.create', '');
    hs.join(ME);
    for (let i = 0; i < 10; i++) hs.send(ME, { body: `m${i}` });
    await client.syncOnce();
    let calls = 0;
    while (client.store.room(hs.room)?.canPaginate) {
      assert.ok(++calls < 20, 'pagination ends');
      await client.paginateBack(hs.room, 4);
    }
    assert.deepEqual(bodies(client, hs.room), Array.from({ length: 10 }, (_, i) => `m${i}`), `every message once (create event: ${withCreate})`);
    // With the create event held the client stops on it (3 pages); without it, on the empty page
    // after the last (also 3: the 8 events older than the sync's 3 fill two pages of 4, the third is empty).
    assert.equal(hs.requestsTo('/messages').length, 3, `requests made (create event: ${withCreate})`);
    assert.equal(await client.paginateBack(hs.room, 4), 0, 'nothing more');
  }
});
