// An ignore-list write builds the user's new view from the one parse that validated it (issue 17.2,
// "parse once per write"). Whatever path built it, the view must equal one loaded afresh from the
// stored lists: across list types, policy-room subscriptions changing, and writes of other types.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { viewFromLists, type IgnoreView } from '@hush/protocol';
import { createTestApp, type Session, type TestApp } from '../helpers.ts';
import { roomSteps, type RoomSteps } from '../room-helpers.ts';
import { accountDataStore } from '../../src/storage/account-data.store.ts';
import { IGNORE_LIST_TYPES } from '../../src/policy/ignore-lists.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

let t: TestApp;
let r: RoomSteps;
let me: Session;

before(async () => {
  t = await createTestApp();
  r = roomSteps(t);
  me = await t.register('writer');
});
after(() => t.close());

async function put(type: string, content: unknown): Promise<void> {
  const res = await t.req('PUT', `${V3}/user/${enc(me.userId)}/account_data/${enc(type)}`, { token: me.token, body: content });
  assert.equal(res.status, 200, res.text);
}

/** The parts of a view a verdict reads, comparable with deepEqual. */
function shape(v: IgnoreView) {
  return {
    users: [...v.ignoredUsers].sort(),
    servers: [...v.ignoredServers].sort(),
    inviters: [...v.ignoredInviters].sort(),
    rooms: [...v.ignoredInviteRooms].sort(),
    rejected: [...v.rejectedInviters].sort(),
    blocks: v.blocksInvites,
    denyPublic: v.deniesPublicInviters,
    sources: [...v.policySources].sort(),
    hasIgnoreRules: v.ignoreRules !== null,
    version: v.version,
  };
}

/** The view as read now, and one built from scratch from the stored lists (same policy rules). */
async function both(): Promise<[ReturnType<typeof shape>, ReturnType<typeof shape>]> {
  const db = t.database.db;
  const now = await t.services.caches.ignoreViews.load(db, me.userId);
  const rows = await accountDataStore.getMany(db, me.userId, '', [...IGNORE_LIST_TYPES]);
  const fresh = viewFromLists(me.userId, new Map(rows.map((x) => [x.type, x.content])), now.version, {
    rules: now.policyRules,
    ignoreRules: now.ignoreRules,
    sources: [...now.policySources],
  });
  return [shape(now), shape(fresh)];
}

test('after each write the view equals one loaded from the stored lists', async () => {
  const filler = Object.fromEntries(Array.from({ length: 2_000 }, (_, i) => [`@f${i}:localhost`, {}]));
  const policyRoom = await r.createRoom(me, {});
  const steps: [string, unknown][] = [
    ['m.ignored_user_list', { ignored_users: { '@a:localhost': {} } }],
    ['m.ignored_user_list', { ignored_users: { ...filler, '@b:localhost': {} } }],
    ['m.ignored_invites', { ignored_servers: { 'spam.example': {} }, ignored_user_ids: { '@c:localhost': {} } }],
    ['m.invite_permission_config', { default_action: 'block' }],
    ['m.ignored_user_list', { ignored_users: filler, ignored_inviters: { '@d:localhost': {} } }],
    // An MSC4365 subscription: the policy rooms change, so the rules must be read again.
    ['m.ignored_user_list', { ignored_users: filler, ignored_user_list_rooms: { [policyRoom]: {} } }],
    ['m.ignored_user_list', { ignored_users: { '@e:localhost': {} }, ignored_user_list_rooms: { [policyRoom]: {} } }],
    ['m.ignored_user_list', { ignored_users: {} }],
    ['m.invite_permission_config', { default_action: 'allow' }],
    ['m.ignored_room_list', { ignored_rooms: { '!x:localhost': {} } }],
  ];
  for (const [i, [type, content]] of steps.entries()) {
    await t.services.caches.ignoreViews.load(t.database.db, me.userId); // a cached view before the write, as a waiting /sync holds
    await put(type, content);
    const [now, fresh] = await both();
    assert.deepEqual(now, fresh, `step ${i} (${type})`);
    const subscribed = i === 5 || i === 6; // the two writes that name the policy room
    assert.deepEqual(now.sources, subscribed ? [policyRoom] : [], `step ${i}: the policy rooms read follow the subscription`);
  }
  const [final] = await both();
  assert.deepEqual(final.users, []);
  assert.deepEqual(final.servers, ['spam.example']);
  assert.deepEqual(final.sources, [], 'the subscription was dropped with the last user-list write');
  assert.equal(final.hasIgnoreRules, false);
});

test('a write of another account-data type keeps the view', async () => {
  await put('m.ignored_user_list', { ignored_users: { '@g:localhost': {} } });
  const before = await t.services.caches.ignoreViews.load(t.database.db, me.userId);
  await put('org.example.other', { x: 1 });
  const afterView = await t.services.caches.ignoreViews.load(t.database.db, me.userId);
  assert.deepEqual(shape(afterView), shape(before));
  assert.ok(afterView.ignoredUsers.has('@g:localhost'));
});
