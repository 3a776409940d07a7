// An initial /sync of many rooms reads each room's memberships (the summary), the user's read
// receipts (unread counts) and the viewer's history (membership, history visibility) in a few
// queries over all the rooms, and on PostgreSQL each timeline's first page too — not a round trip
// per room — and answers what the per-room reads answered: summaries, counts after each room's own
// receipt, the history a viewer may see.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSuiteApp, type Session, type TestApp } from '../helpers.ts';
import { roomSteps, type RoomSteps } from '../room-helpers.ts';
import { stateStore } from '../../src/storage/state.store.ts';
import { receiptsStore } from '../../src/storage/receipts.store.ts';
import { eventsStore } from '../../src/storage/events.store.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

let t: TestApp;
let r: RoomSteps;
let alice: Session;
let bob: Session;
let carol: Session;

before(async () => {
  t = await createSuiteApp();
  r = roomSteps(t);
  alice = await t.register('alice');
  bob = await t.register('bob');
  carol = await t.register('carol');
});
after(() => t.close());

test('initial /sync of several rooms: summaries and unread counts right, no per-room membership or receipt read', async () => {
  const rooms: string[] = [];
  for (let i = 0; i < 4; i++) {
    const roomId = await r.createRoom(bob, { preset: 'public_chat' });
    await r.join(alice, roomId);
    if (i % 2 === 0) await r.join(carol, roomId);
    rooms.push(roomId);
  }
  // Room i: i + 1 messages from bob; alice has read the first of them in rooms 1 and 3 (threaded
  // receipt 'main' in room 3), so the counts are 1, 1, 3, 3.
  for (const [i, roomId] of rooms.entries()) {
    const ids: string[] = [];
    for (let k = 0; k <= i; k++) ids.push(await r.send(bob, roomId, `m${i}.${k}`));
    if (i % 2 === 1) {
      const res = await t.req('POST', `${V3}/rooms/${enc(roomId)}/receipt/m.read/${enc(ids[0]!)}`, { token: alice.token, body: i === 3 ? { thread_id: 'main' } : {} });
      assert.equal(res.status, 200, JSON.stringify(res.json));
    }
  }

  // A room whose history shows members only what was sent while joined.
  const joinedOnly = await r.createRoom(bob, { preset: 'public_chat', initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } }] });
  await r.send(bob, joinedOnly, 'before alice');
  await r.join(alice, joinedOnly);
  await r.send(bob, joinedOnly, 'after alice');

  const calls = { members: 0, receipts: 0, viewers: 0, range: 0 };
  const range = eventsStore.range;
  eventsStore.range = (...args) => {
    calls.range++;
    return range.apply(eventsStore, args);
  };
  const members = stateStore.members;
  const ofUserAllThreads = receiptsStore.ofUserAllThreads;
  const visibilityHistory = stateStore.visibilityHistory;
  stateStore.visibilityHistory = (...args) => {
    calls.viewers++;
    return visibilityHistory(...args);
  };
  stateStore.members = (...args) => {
    calls.members++;
    return members(...args);
  };
  receiptsStore.ofUserAllThreads = (...args) => {
    calls.receipts++;
    return ofUserAllThreads(...args);
  };
  let body;
  try {
    body = await r.sync(alice, { filter: JSON.stringify({ room: { timeline: { unread_thread_notifications: true } } }) });
  } finally {
    stateStore.members = members;
    receiptsStore.ofUserAllThreads = ofUserAllThreads;
    stateStore.visibilityHistory = visibilityHistory;
    eventsStore.range = range;
  }
  // The timeline's first page: on PostgreSQL one query over all rooms; on SQLite (in-process, no
  // round trip to save) still one per room, read up front.
  const pg = process.env['HUSH_API_DIALECT'] === 'postgres';
  assert.deepEqual(calls, { members: 0, receipts: 0, viewers: 0, range: pg ? 0 : rooms.length + 1 });
  const bodies = body.rooms.join[joinedOnly].timeline.events.filter((e: { type: string }) => e.type === 'm.room.message').map((e: { content: { body: string } }) => e.content.body);
  assert.deepEqual(bodies, ['after alice']);
  const counts = rooms.map((id) => body.rooms.join[id].unread_notifications.notification_count);
  assert.deepEqual(counts, [1, 1, 3, 3]);
  for (const [i, roomId] of rooms.entries()) {
    const summary: { 'm.joined_member_count': number; 'm.invited_member_count': number; 'm.heroes': string[] } = body.rooms.join[roomId].summary;
    assert.equal(summary['m.joined_member_count'], i % 2 === 0 ? 3 : 2);
    assert.equal(summary['m.invited_member_count'], 0);
    assert.deepEqual([...summary['m.heroes']].sort(), (i % 2 === 0 ? [bob.userId, carol.userId] : [bob.userId]).sort());
  }
});
