// The store's hide / un-hide logic on synthetic sync responses: what an ignore hides at once
// (messages, reactions, edits, thread summaries, receipts, typing, invites) and what an un-ignore
// shows again, all derived from the lists held.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientEvent, SyncResponse } from '@hush/protocol';
import { ClientStore } from './store.ts';

const ME = '@me:hs';
const BOB = '@bob:hs';
const CAROL = '@carol:hs';
const ROOM = '!room:hs';
let n = 0;
const ev = (sender: string, content: Record<string, unknown>, type = 'm.room.message', extra: Record<string, unknown> = {}) => ({
  event_id: `$e${++n}`,
  type,
  sender,
  origin_server_ts: n,
  content,
  ...extra,
});
const ignoreList = (users: string[]) => ({ type: 'm.ignored_user_list', content: { ignored_users: Object.fromEntries(users.map((u) => [u, {}])) } });

function roomSync(events: object[], ephemeral: object[] = [], accountData: object[] = []): SyncResponse {
  return { next_batch: `s${++n}`, account_data: { events: accountData }, rooms: { join: { [ROOM]: { timeline: { events, limited: false, prev_batch: 'p0' }, ephemeral: { events: ephemeral } } } } } as unknown as SyncResponse;
}

function seeded() {
  const store = new ClientStore(ME);
  const root = ev(CAROL, { body: 'root' });
  const bobMsg = ev(BOB, { body: 'bob says' });
  const reaction = ev(BOB, { 'm.relates_to': { rel_type: 'm.annotation', event_id: root.event_id, key: '👍' } }, 'm.reaction');
  const edit = ev(BOB, { body: '* fixed', 'm.new_content': { body: 'fixed' }, 'm.relates_to': { rel_type: 'm.replace', event_id: bobMsg.event_id } });
  const carolReply = ev(CAROL, { body: 'carol in thread', 'm.relates_to': { rel_type: 'm.thread', event_id: root.event_id } });
  const bobReply = ev(BOB, { body: 'bob in thread', 'm.relates_to': { rel_type: 'm.thread', event_id: root.event_id } });
  (root as Record<string, unknown>)['unsigned'] = { 'm.relations': { 'm.thread': { latest_event: bobReply, count: 2, current_user_participated: false } } };
  const name = ev(BOB, { name: 'Bob named it' }, 'm.room.name', { state_key: '' });
  store.applySync(
    roomSync(
      [root, bobMsg, reaction, edit, carolReply, bobReply, name],
      [
        { type: 'm.typing', content: { user_ids: [BOB, CAROL] } },
        { type: 'm.receipt', content: { [root.event_id]: { 'm.read': { [BOB]: { ts: 1 }, [CAROL]: { ts: 1 } } } } },
      ],
    ),
  );
  return { store, root, bobMsg };
}

const bodies = (store: ClientStore) => (store.room(ROOM)?.timeline() ?? []).map((e) => String(e.content['body'] ?? e.content['name'] ?? e.type));

test('before any ignore, everything held is shown', () => {
  const { store } = seeded();
  assert.equal(store.room(ROOM)?.timeline().length, 7);
  assert.deepEqual(store.room(ROOM)?.typing(), [BOB, CAROL]);
});

test('an ignore hides at once what is held: messages, reactions, edits, thread replies, receipts, typing — not state', () => {
  const { store, root } = seeded();
  store.applySync({ next_batch: 'x', account_data: { events: [ignoreList([BOB])] } } as SyncResponse);
  assert.deepEqual(bodies(store), ['root', 'carol in thread', 'Bob named it'], "bob's state event (the room name) stays");
  assert.equal(store.room(ROOM)?.name, 'Bob named it');
  assert.deepEqual(store.room(ROOM)?.typing(), [CAROL]);
  assert.deepEqual(store.room(ROOM)?.receipts(root.event_id), [CAROL]);
  const summary = (store.room(ROOM)?.timeline()[0]?.unsigned?.['m.relations'] as Record<string, { latest_event: { sender: string }; count: number }>)['m.thread'];
  assert.equal(summary?.latest_event.sender, CAROL, 'the thread summary is rebuilt from the replies still shown');
  assert.equal(summary?.count, 1);
});

test('a thread summary whose only replies are hidden is dropped', () => {
  const store = new ClientStore(ME);
  const reply = ev(BOB, { body: 'only bob', 'm.relates_to': { rel_type: 'm.thread', event_id: '$root' } });
  const root = { ...ev(CAROL, { body: 'root' }), event_id: '$root', unsigned: { 'm.relations': { 'm.thread': { latest_event: reply, count: 1 } } } };
  store.applySync(roomSync([root], [], [ignoreList([BOB])]));
  assert.equal((store.room(ROOM)?.timeline()[0]?.unsigned?.['m.relations'] as Record<string, unknown>)['m.thread'], undefined);
});

test('an un-ignore shows again what is held', () => {
  const { store } = seeded();
  store.applySync({ next_batch: 'x', account_data: { events: [ignoreList([BOB])] } } as SyncResponse);
  store.applySync({ next_batch: 'y', account_data: { events: [ignoreList([])] } } as SyncResponse);
  assert.equal(store.room(ROOM)?.timeline().length, 7);
  assert.deepEqual(store.room(ROOM)?.typing(), [BOB, CAROL]);
});

test('invites matching a list are discarded from what the store shows, and come back when the list does', () => {
  const store = new ClientStore(ME);
  const invite = (room: string, inviter: string) => ({ invite_state: { events: [{ type: 'm.room.member', state_key: ME, sender: inviter, content: { membership: 'invite' } }] } });
  store.applySync({ next_batch: 'a', rooms: { invite: { '!a:hs': invite('!a:hs', BOB), '!b:spam.example': invite('!b:spam.example', '@x:spam.example') } } } as unknown as SyncResponse);
  assert.equal(store.invites().length, 2);
  store.applySync({ next_batch: 'b', account_data: { events: [{ type: 'm.ignored_invites', content: { ignored_servers: { 'spam.example': {} } } }] } } as SyncResponse);
  assert.deepEqual(store.invites().map((i) => i.roomId), ['!a:hs']);
  store.applySync({ next_batch: 'c', account_data: { events: [{ type: 'm.invite_permission_config', content: { default_action: 'block' } }] } } as SyncResponse);
  assert.deepEqual(store.invites(), [], 'Invite permission block hides every pending invite');
  store.applySync({ next_batch: 'd', account_data: { events: [{ type: 'm.invite_permission_config', content: {} }, { type: 'm.ignored_invites', content: {} }] } } as SyncResponse);
  assert.equal(store.invites().length, 2);
});

test('MSC4365: rules of a joined policy room named in the list ignore matching users', () => {
  const store = new ClientStore(ME);
  const policy = '!policy:hs';
  store.applySync({
    next_batch: 'a',
    account_data: { events: [{ type: 'm.ignored_user_list', content: { ignored_users: {}, ignored_user_list_rooms: { [policy]: {} } } }] },
    rooms: {
      join: {
        [policy]: { timeline: { events: [ev(CAROL, { entity: '@bo*:hs', recommendation: 'm.ban' }, 'm.policy.rule.user', { state_key: 'rule:@bo*:hs' })] } },
        [ROOM]: { timeline: { events: [ev(BOB, { body: 'hi' }), ev(CAROL, { body: 'hello' })] } },
      },
    },
  } as unknown as SyncResponse);
  assert.deepEqual(bodies(store), ['hello']);
});

test('a page of older events goes in front, without duplicates', () => {
  const { store } = seeded();
  const older = [ev(CAROL, { body: 'older 2' }), ev(CAROL, { body: 'older 1' })].map((e) => ({ ...e, room_id: ROOM }) as unknown as ClientEvent);
  assert.equal(store.applyPage(ROOM, older, [], 'p1'), 2);
  assert.equal(store.applyPage(ROOM, older, [], undefined), 0);
  assert.deepEqual(bodies(store).slice(0, 2), ['older 1', 'older 2']);
  assert.equal(store.room(ROOM)?.canPaginate, false, 'no end token: the start of the room');
});

test('a thread summary counts replies held after its latest event, and drops every hidden one', () => {
  const store = new ClientStore(ME);
  const latest = ev(CAROL, { body: 'carol 1', 'm.relates_to': { rel_type: 'm.thread', event_id: '$root2' } });
  const root = { ...ev(CAROL, { body: 'root' }), event_id: '$root2', unsigned: { 'm.relations': { 'm.thread': { latest_event: latest, count: 3 } } } };
  const bobLater = ev(BOB, { body: 'bob later', 'm.relates_to': { rel_type: 'm.thread', event_id: '$root2' } });
  const carolLater = ev(CAROL, { body: 'carol later', 'm.relates_to': { rel_type: 'm.thread', event_id: '$root2' } });
  store.applySync(roomSync([root, latest, bobLater, carolLater]));
  const summary = () => (store.room(ROOM)?.timeline()[0]?.unsigned?.['m.relations'] as Record<string, { latest_event: { content: { body: string } }; count: number }>)['m.thread'];
  assert.equal(summary()?.count, 5, 'the server counted 3; two more arrived since');
  assert.equal(summary()?.latest_event.content.body, 'carol later');
  store.applySync({ next_batch: 'x', account_data: { events: [ignoreList([BOB])] } } as SyncResponse);
  assert.equal(summary()?.count, 4, "bob's reply no longer counts");
  store.applySync({ next_batch: 'y', account_data: { events: [ignoreList([BOB, CAROL])] } } as SyncResponse);
  assert.equal(store.room(ROOM)?.timeline().length, 0, "carol's root is hidden too");
});

test('a refilled window replaces what it covers and keeps events synced while it was read', () => {
  const store = new ClientStore(ME);
  const [a, b] = [ev(CAROL, { body: 'a' }), ev(CAROL, { body: 'b' })];
  store.applySync(roomSync([a, b]));
  const windowRead = [ev(CAROL, { body: 'older' }), a, ev(BOB, { body: 'bob, never synced' }), b].map((e) => ({ ...e, room_id: ROOM }) as unknown as ClientEvent);
  store.applySync(roomSync([ev(CAROL, { body: 'synced during the refill' })]));
  store.replaceTimeline(ROOM, windowRead, 'p9');
  assert.deepEqual(bodies(store), ['older', 'a', 'bob, never synced', 'b', 'synced during the refill']);
  assert.equal(store.prevBatch(ROOM), 'p9');
});

test('a limited sync lets the held timeline go; a reset sync replaces every room and invite', () => {
  const { store } = seeded();
  store.applySync({ next_batch: 'l', rooms: { join: { [ROOM]: { timeline: { events: [ev(CAROL, { body: 'after the gap' })], limited: true, prev_batch: 'gap' } } } } } as unknown as SyncResponse);
  assert.deepEqual(bodies(store), ['after the gap']);
  assert.equal(store.prevBatch(ROOM), 'gap');
  store.applySync({ next_batch: 'i', rooms: { invite: { '!inv:hs': { invite_state: { events: [{ type: 'm.room.member', state_key: ME, sender: BOB, content: { membership: 'invite' } }] } } } } } as unknown as SyncResponse);
  assert.equal(store.invites().length, 1);
  store.applySync({ next_batch: 'r', rooms: { join: { '!other:hs': { timeline: { events: [ev(CAROL, { body: 'elsewhere' })] } } } } } as unknown as SyncResponse, { reset: true });
  assert.equal(store.room(ROOM), undefined);
  assert.deepEqual(store.invites(), []);
  assert.deepEqual(store.rooms().map((r) => r.roomId), ['!other:hs']);
});

test('inviteHidden tells a held invite the lists hide from one that is shown or gone', () => {
  const store = new ClientStore(ME);
  store.applySync({ next_batch: 'a', rooms: { invite: { '!a:hs': { invite_state: { events: [{ type: 'm.room.member', state_key: ME, sender: BOB, content: { membership: 'invite' } }] } } } } } as unknown as SyncResponse);
  assert.equal(store.inviteHidden('!a:hs'), false);
  store.applySync({ next_batch: 'b', account_data: { events: [{ type: 'org.matrix.msc3840.ignored_invites', content: { ignored_user_ids: [BOB] } }] } } as SyncResponse);
  assert.equal(store.inviteHidden('!a:hs'), true, 'the unstable name and the array form count');
  assert.equal(store.inviteHidden('!nope:hs'), false);
});

test('a sync that shows a member again names the rooms to refill, whichever list hid them', () => {
  const store = new ClientStore(ME);
  const member = (u: string) => ev(u, { membership: 'join' }, 'm.room.member', { state_key: u });
  store.applySync(roomSync([member(ME), member(BOB)]));
  const servers = (list: string[]) => ({ type: 'm.ignored_invites', content: { ignored_servers: Object.fromEntries(list.map((s) => [s, {}])) } });
  assert.deepEqual(store.applySync({ next_batch: 'a', account_data: { events: [servers(['hs'])] } } as SyncResponse).unhidden, [], 'hiding refills nothing');
  assert.deepEqual(store.applySync({ next_batch: 'b', account_data: { events: [ignoreList([BOB])] } } as SyncResponse).unhidden, [], 'bob is still hidden by his server');
  assert.deepEqual(store.applySync({ next_batch: 'c', account_data: { events: [servers([])] } } as SyncResponse).unhidden, [], 'and now by the list');
  assert.deepEqual(store.applySync({ next_batch: 'd', account_data: { events: [ignoreList([])] } } as SyncResponse).unhidden, [ROOM]);
});

test('a room whose m.room.create is held has nothing older to page, even with a prev_batch token', () => {
  const store = new ClientStore(ME);
  store.applySync(roomSync([ev(CAROL, { body: 'hi' })]));
  assert.equal(store.room(ROOM)?.canPaginate, true, 'a token and no create event: there may be more');
  const fresh = new ClientStore(ME);
  fresh.applySync(roomSync([ev(CAROL, { creator: CAROL, room_version: '11' }, 'm.room.create', { state_key: '' }), ev(CAROL, { body: 'hi' })]));
  assert.equal(fresh.room(ROOM)?.canPaginate, false);
});
