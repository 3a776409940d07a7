// Statements whose size grows with a room's membership stay within SQLite's limits: a send to a
// room of thousands asks for every member's current member event (push display names) and writes
// a push action per member. Before, 1,001 keys made an `or` deeper than SQLite's 1,000 ("Expression
// tree is too large") and 4,096 push-action rows passed its 32,766 variables: every send to such a
// room answered 500.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, type DatabaseHandle } from '../../src/storage/db.ts';
import { stateStore } from '../../src/storage/state.store.ts';
import { pushStore, type PushActionRow } from '../../src/storage/push.store.ts';

const ROOM = '!big:localhost';
const MEMBERS = 5_000;
const user = (i: number) => `@member-${i}:localhost`;
let h: DatabaseHandle;

before(async () => {
  h = await openDatabase(':memory:');
  await h.db.transaction().execute(async (tx) => {
    for (let i = 0; i < MEMBERS; i++) await stateStore.setCurrent(tx, ROOM, 'm.room.member', user(i), `$member-${i}`, i + 1);
  });
});
after(() => h.close());

test('current state of 5,000 keys at once', async () => {
  const keys = Array.from({ length: MEMBERS }, (_, i) => ['m.room.member', user(i)] as const);
  const refs = await stateStore.currentStateRefs(h.db, ROOM, keys);
  assert.equal(refs.length, MEMBERS);
  assert.deepEqual(new Set(refs.map((r) => r.eventId)), new Set(Array.from({ length: MEMBERS }, (_, i) => `$member-${i}`)));
  assert.deepEqual(await stateStore.currentStateRefs(h.db, ROOM, []), []);
});

test('push actions for 5,000 recipients of one event', async () => {
  const rows: PushActionRow[] = Array.from({ length: MEMBERS }, (_, i) => ({
    user_id: user(i),
    room_id: ROOM,
    stream_ordering: 10_000,
    event_id: '$message',
    sender: user(0),
    thread_id: 'main',
    highlight: i % 2,
    actions: '["notify"]',
  }));
  await h.db.transaction().execute((tx) => pushStore.insertActions(tx, rows));
  const stored = await h.db.selectFrom('event_push_actions').select((eb) => eb.fn.countAll<number>().as('n')).where('event_id', '=', '$message').executeTakeFirstOrThrow();
  assert.equal(Number(stored.n), MEMBERS);
});
