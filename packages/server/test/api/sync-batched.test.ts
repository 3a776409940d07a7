// An initial /sync of many rooms reads each room's memberships (the summary), the user's read
// receipts (unread counts) and the viewer's history (membership, history visibility) in a few
// queries over all the rooms, and on PostgreSQL each timeline's first page, the state where each
// timeline starts, the state changes in its span and the unread counts too (decisions 0035, 0045) —
// not a round trip per room — and answers what the per-room reads answered: summaries, counts after
// each room's own receipt, the history a viewer may see, the state.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSuiteApp, type Session, type TestApp } from '../helpers.ts';
import { roomSteps, type RoomSteps } from '../room-helpers.ts';
import { stateStore } from '../../src/storage/state.store.ts';
import { receiptsStore } from '../../src/storage/receipts.store.ts';
import { eventsStore } from '../../src/storage/events.store.ts';
import { pushStore } from '../../src/storage/push.store.ts';

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
  // State set while alice is away, inside her timeline's span but not shown in it: the state says it.
  await r.leave(alice, joinedOnly);
  await r.setState(bob, joinedOnly, 'm.room.topic', { topic: 'while away' });
  await r.join(alice, joinedOnly);
  await r.send(bob, joinedOnly, 'back');
  // Ignoring carol hides her messages from the counts, batched or not.
  await r.send(carol, rooms[0]!, 'from carol');
  await r.ignore(alice, [carol.userId]);

  // A thread in room 2: its root's bundled relations come from the replies read over all rooms.
  const root = await r.send(bob, rooms[2]!, 'root');
  const reply = await t.req('PUT', `${V3}/rooms/${enc(rooms[2]!)}/send/m.room.message/thread-reply`, {
    token: bob.token,
    body: { msgtype: 'm.text', body: 'in thread', 'm.relates_to': { rel_type: 'm.thread', event_id: root } },
  });
  assert.equal(reply.status, 200, JSON.stringify(reply.json));

  const calls = { members: 0, receipts: 0, viewers: 0, range: 0, stateAt: 0, changes: 0, unread: 0, replies: 0 };
  const threadReplies = eventsStore.threadReplies;
  eventsStore.threadReplies = (...args) => {
    calls.replies++;
    return threadReplies.apply(eventsStore, args);
  };
  const stateAt = stateStore.stateAt;
  const changesBetween = stateStore.changesBetween;
  const countBySender = pushStore.countBySender;
  stateStore.stateAt = (...args) => {
    calls.stateAt++;
    return stateAt.apply(stateStore, args);
  };
  stateStore.changesBetween = (...args) => {
    calls.changes++;
    return changesBetween.apply(stateStore, args);
  };
  pushStore.countBySender = (...args) => {
    calls.unread++;
    return countBySender.apply(pushStore, args);
  };
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
    stateStore.stateAt = stateAt;
    stateStore.changesBetween = changesBetween;
    pushStore.countBySender = countBySender;
    eventsStore.threadReplies = threadReplies;
  }
  // The timeline's first page, the state where it starts, the state changes in its span and the
  // unread counts: on PostgreSQL one query over all rooms each; on SQLite (in-process, no round
  // trip to save) still one per room, read up front.
  const pg = process.env['HUSH_API_DIALECT'] === 'postgres';
  const perRoom = pg ? 0 : rooms.length + 1;
  assert.deepEqual(calls, { members: 0, receipts: 0, viewers: 0, range: perRoom, stateAt: perRoom, changes: perRoom, unread: perRoom, replies: 1 });
  const rootEvent = body.rooms.join[rooms[2]!].timeline.events.find((e: { event_id: string }) => e.event_id === root);
  assert.equal(rootEvent?.unsigned?.['m.relations']?.['m.thread']?.count, 1);
  const bodies = body.rooms.join[joinedOnly].timeline.events.filter((e: { type: string }) => e.type === 'm.room.message').map((e: { content: { body: string } }) => e.content.body);
  assert.deepEqual(bodies, ['after alice', 'back']);
  const topic = body.rooms.join[joinedOnly].state.events.find((e: { type: string }) => e.type === 'm.room.topic');
  assert.equal(topic?.content.topic, 'while away');
  // Each room's entry is what a sync of that room alone (read per room, nothing batched) answers.
  const filter = { room: { timeline: { unread_thread_notifications: true } } };
  const ids = (events: { event_id: string }[]) => events.map((e) => e.event_id);
  for (const roomId of [...rooms, joinedOnly]) {
    const alone = (await r.sync(alice, { filter: JSON.stringify({ room: { ...filter.room, rooms: [roomId] } }) })).rooms.join[roomId];
    const batched: typeof alone = body.rooms.join[roomId];
    assert.deepEqual(ids(batched.timeline.events), ids(alone.timeline.events), roomId);
    // (ages left out: they differ between two responses)
    const relations = (events: { event_id: string; unsigned?: { 'm.relations'?: unknown } }[]) =>
      events.map((e) => [e.event_id, JSON.stringify(e.unsigned?.['m.relations'] ?? null, (k, v: unknown) => (k === 'age' ? undefined : v))]);
    assert.deepEqual(relations(batched.timeline.events), relations(alone.timeline.events), roomId);
    assert.deepEqual(ids(batched.state.events).sort(), ids(alone.state.events).sort(), roomId);
    assert.deepEqual(batched.unread_notifications, alone.unread_notifications, roomId);
    assert.deepEqual(batched.unread_thread_notifications, alone.unread_thread_notifications, roomId);
    assert.deepEqual(batched.summary, alone.summary, roomId);
    assert.equal(batched.timeline.limited, alone.timeline.limited, roomId);
  }
  const counts = rooms.map((id) => body.rooms.join[id].unread_notifications.notification_count);
  // Room 2 also has the thread root (its reply counts in the thread's count, not the room's).
  assert.deepEqual(counts, [1, 1, 4, 3], 'carol (ignored) does not count');
  for (const [i, roomId] of rooms.entries()) {
    const summary: { 'm.joined_member_count': number; 'm.invited_member_count': number; 'm.heroes': string[] } = body.rooms.join[roomId].summary;
    assert.equal(summary['m.joined_member_count'], i % 2 === 0 ? 3 : 2);
    assert.equal(summary['m.invited_member_count'], 0);
    assert.deepEqual([...summary['m.heroes']].sort(), (i % 2 === 0 ? [bob.userId, carol.userId] : [bob.userId]).sort());
  }
});
