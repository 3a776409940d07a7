// Un-ignoring brings history back in any client (issue 26.2): after a list change, each room where it
// revealed history — someone ever in it is shown now who was hidden before — comes in the incremental
// /sync as `limited` with a `prev_batch`, so a client holding a timeline drops it and pages back to what
// is now visible. Other rooms do not appear; nothing is replayed; a hide needs no such signal.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type Session, type TestApp } from '../helpers.ts';
import { roomSteps, type RoomSteps } from '../room-helpers.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let t: TestApp;
let r: RoomSteps;

before(async () => {
  t = await createTestApp();
  r = roomSteps(t);
});
after(() => t.close());

const sync = (s: Session, since?: string): Promise<Json> => r.sync(s, since !== undefined ? { since } : {});

async function messagesBack(s: Session, roomId: string, from: string): Promise<string[]> {
  const res = await t.req('GET', `${V3}/rooms/${enc(roomId)}/messages?dir=b&limit=50&from=${enc(from)}`, { token: s.token });
  assert.equal(res.status, 200, res.text);
  return (res.json.chunk as Json[]).filter((e) => e.type === 'm.room.message').map((e) => e.content.body as string);
}

async function setup(prefix: string) {
  const alice = await t.register(`${prefix}_alice`);
  const bob = await t.register(`${prefix}_bob`);
  const carol = await t.register(`${prefix}_carol`);
  const withBob = await r.createRoom(alice, { preset: 'public_chat' });
  const withoutBob = await r.createRoom(alice, { preset: 'public_chat' });
  await r.join(bob, withBob);
  await r.join(carol, withBob);
  await r.join(carol, withoutBob);
  return { alice, bob, carol, withBob, withoutBob };
}

test('un-ignoring: the room with the un-ignored user comes limited with a prev_batch that pages back to the hidden messages; other rooms do not appear', async () => {
  const { alice, bob, carol, withBob, withoutBob } = await setup('ur1');
  await r.ignore(alice, [bob.userId]);
  await r.send(bob, withBob, 'hidden 1');
  await r.send(bob, withBob, 'hidden 2');
  await r.send(carol, withBob, 'carol sees');
  const since = (await sync(alice)).next_batch;
  await r.ignore(alice, []);
  const s = await sync(alice, since);
  const room = s.rooms?.join?.[withBob];
  assert.ok(room, 'the room whose history changed is in the sync');
  assert.equal(room.timeline.limited, true, 'limited: the client must not keep the timeline it holds');
  assert.equal(typeof room.timeline.prev_batch, 'string');
  assert.deepEqual((room.timeline.events as Json[]).filter((e) => e.type === 'm.room.message'), [], 'nothing replayed into the timeline');
  assert.equal(s.rooms?.join?.[withoutBob], undefined, 'a room the change does not touch does not appear');
  const back = await messagesBack(alice, withBob, room.timeline.prev_batch);
  assert.ok(back.includes('hidden 1') && back.includes('hidden 2'), `paging back finds what was hidden (got ${back.join(', ')})`);
});

test('ignoring reveals nothing: the room comes with its new counts but not limited (the client hides what it holds, as the spec asks)', async () => {
  const { alice, bob, withBob, withoutBob } = await setup('ur2');
  await r.send(bob, withBob, 'said before');
  const since = (await sync(alice)).next_batch;
  await r.ignore(alice, [bob.userId]);
  const s = await sync(alice, since);
  const room = s.rooms?.join?.[withBob];
  assert.ok(room, 'the room whose counts changed is in the sync');
  assert.notEqual(room.timeline.limited, true, 'not limited: nothing was revealed');
  assert.deepEqual(room.timeline.events, [], 'nothing replayed');
  assert.equal(room.unread_notifications.notification_count, 0, "bob's message no longer counts");
  assert.equal(s.rooms?.join?.[withoutBob], undefined, 'a room without bob does not appear');
  assert.ok((s.account_data?.events as Json[]).some((e) => e.type === 'm.ignored_user_list'), 'the list itself tells the client whom to hide');
});

test('un-ignoring one user while ignoring another: only the room where someone was revealed comes limited; told once', async () => {
  const { alice, bob, carol, withBob, withoutBob } = await setup('ur4');
  await r.ignore(alice, [bob.userId]);
  await r.send(bob, withBob, 'hidden');
  const since = (await sync(alice)).next_batch;
  await r.ignore(alice, [carol.userId]); // reveals bob (only in withBob), hides carol (in both)
  const s = await sync(alice, since);
  assert.equal(s.rooms?.join?.[withBob]?.timeline?.limited, true);
  assert.notEqual(s.rooms?.join?.[withoutBob]?.timeline?.limited, true, 'hiding carol reveals nothing there: counts, no reset');
  const next = await sync(alice, s.next_batch);
  assert.equal(next.rooms?.join?.[withBob], undefined, 'the change is told once');
});

test('a list change that touches nobody in any room marks no room', async () => {
  const { alice, withBob, withoutBob } = await setup('ur3');
  const since = (await sync(alice)).next_batch;
  await r.ignore(alice, ['@stranger:elsewhere.example']);
  const s = await sync(alice, since);
  assert.equal(s.rooms?.join?.[withBob], undefined);
  assert.equal(s.rooms?.join?.[withoutBob], undefined);
  assert.ok((s.account_data?.events as Json[]).some((e) => e.type === 'm.ignored_user_list'), 'the list change itself is delivered');
});
