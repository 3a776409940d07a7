// /sync state in incremental windows (issue 17, items 4 and 11): a room joined and left within one
// window comes under `leave` whole; the `leave` section never shows state past the user's leave; a
// leave and re-join brings whoever joined meanwhile; lazy-loaded members are not sent again and a
// leave in a gap is not lost.

import { after, before, describe, test } from 'node:test';
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

const sync = (s: Session, since?: string, filter?: Json): Promise<Json> =>
  r.sync(s, { ...(since !== undefined ? { since } : {}), ...(filter !== undefined ? { filter: JSON.stringify(filter) } : {}) });

const stateOf = (section: Json): Json[] => section?.state?.events ?? [];
const timelineOf = (section: Json): Json[] => section?.timeline?.events ?? [];
const topicIn = (events: Json[]): string | undefined => events.find((e) => e.type === 'm.room.topic')?.content?.topic;
const membersIn = (events: Json[]): string[] => events.filter((e) => e.type === 'm.room.member').map((e) => e.state_key as string);

async function ban(s: Session, roomId: string, userId: string): Promise<void> {
  const res = await t.req('POST', `${V3}/rooms/${enc(roomId)}/ban`, { token: s.token, body: { user_id: userId } });
  assert.equal(res.status, 200, res.text);
}

describe('leave section', () => {
  test('a room joined and left within one incremental window comes under leave with its state', async () => {
    const alice = await t.register('jl_alice');
    const bob = await t.register('jl_bob');
    const room = await r.createRoom(alice, { preset: 'public_chat', topic: 'before bob' });
    const since = (await sync(bob)).next_batch;
    await r.join(bob, room);
    await r.send(alice, room, 'while bob is here');
    await r.leave(bob, room);
    const left = (await sync(bob, since)).rooms?.leave?.[room];
    assert.ok(left, 'the room is under leave');
    const all = [...stateOf(left), ...timelineOf(left)];
    assert.equal(topicIn(all), 'before bob', 'the room comes with its state (the topic set before the window)');
    assert.ok(all.some((e) => e.type === 'm.room.create'), 'and its create event');
  });

  test('the leave section shows no state past the leave, not even when a ban followed it (incremental and include_leave)', async () => {
    const alice = await t.register('lb_alice');
    const bob = await t.register('lb_bob');
    const room = await r.createRoom(alice, { preset: 'public_chat', topic: 'while bob is here' });
    await r.join(bob, room);
    const since = (await sync(bob)).next_batch;
    await r.leave(bob, room);
    await r.setState(alice, room, 'm.room.topic', { topic: 'after bob left' });
    await r.send(alice, room, 'after bob left');
    await ban(alice, room, bob.userId);
    for (const [what, s] of [
      ['incremental, a gap', await sync(bob, since, { room: { timeline: { limit: 1 } } })],
      ['incremental', await sync(bob, since)],
      ['initial with include_leave', await sync(bob, undefined, { room: { include_leave: true, timeline: { limit: 1 } } })],
    ] as const) {
      const left = s.rooms?.leave?.[room];
      assert.ok(left, `${what}: the room is under leave`);
      const all = [...stateOf(left), ...timelineOf(left)];
      assert.notEqual(topicIn(all), 'after bob left', `${what}: the topic set after the leave is not shown`);
      assert.ok(!timelineOf(left).some((e) => e.content?.body === 'after bob left'), `${what}: no message after the leave`);
    }
  });
});

describe('joined rooms', () => {
  test('history visibility joined: leaving and re-joining shows who joined meanwhile', async () => {
    const alice = await t.register('rj_alice');
    const bob = await t.register('rj_bob');
    const carol = await t.register('rj_carol');
    const room = await r.createRoom(alice, { preset: 'public_chat', initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } }] });
    await r.join(bob, room);
    const since = (await sync(bob)).next_batch;
    await r.leave(bob, room);
    await r.join(carol, room);
    await r.join(bob, room);
    const joined = (await sync(bob, since)).rooms?.join?.[room];
    assert.ok(joined);
    const members = [...membersIn(stateOf(joined)), ...membersIn(timelineOf(joined))];
    assert.ok(members.includes(carol.userId), `carol, who joined while bob was away, is in state or timeline (got ${members.join(', ')})`);
  });
});

describe('lazy-loaded members', () => {
  const lazy = (limit: number, redundant = false) => ({ room: { timeline: { limit }, state: { lazy_load_members: true, include_redundant_members: redundant } } });

  test('an incremental sync does not send again memberships the device already has; include_redundant_members does', async () => {
    const alice = await t.register('ll_alice');
    const bob = await t.register('ll_bob');
    const carol = await t.register('ll_carol');
    const room = await r.createRoom(alice, { preset: 'public_chat' });
    await r.join(bob, room);
    await r.join(carol, room);
    await r.send(alice, room, 'one');
    let tok = (await sync(bob, undefined, lazy(1))).next_batch;
    await r.send(carol, room, 'carol 1');
    const first = await sync(bob, tok, lazy(5));
    tok = first.next_batch;
    const j1 = first.rooms.join[room];
    const carolFirst = membersIn([...stateOf(j1), ...timelineOf(j1)]).includes(carol.userId);
    assert.ok(carolFirst, "carol's membership comes with her first message (or her join in the timeline)");
    await r.send(carol, room, 'carol 2');
    const second = await sync(bob, tok, lazy(5));
    assert.deepEqual(membersIn(stateOf(second.rooms.join[room])), [], 'carol’s membership is not sent again');
    await r.send(carol, room, 'carol 3');
    const redundant = await sync(bob, second.next_batch, lazy(5, true));
    assert.deepEqual(membersIn(stateOf(redundant.rooms.join[room])), [carol.userId], 'with include_redundant_members it is');
    // A retry with an older token cannot trust what a later response sent: it gets it again.
    const retry = await sync(bob, tok, lazy(5));
    assert.deepEqual(membersIn(stateOf(retry.rooms.join[room])), [carol.userId], 'a retry from an older token is sent it again');
  });

  test('a leave in a gap is not lost', async () => {
    const alice = await t.register('lg_alice');
    const bob = await t.register('lg_bob');
    const dave = await t.register('lg_dave');
    const room = await r.createRoom(alice, { preset: 'public_chat' });
    await r.join(bob, room);
    await r.join(dave, room);
    await r.send(dave, room, 'dave speaks');
    const init = await sync(bob, undefined, lazy(5));
    const j0 = init.rooms.join[room];
    assert.ok(membersIn([...stateOf(j0), ...timelineOf(j0)]).includes(dave.userId), 'bob holds dave’s membership');
    await r.leave(dave, room);
    for (let i = 0; i < 8; i++) await r.send(alice, room, `filler ${i}`);
    const gap = (await sync(bob, init.next_batch, lazy(3))).rooms.join[room];
    assert.equal(gap.timeline.limited, true, 'a gap');
    const daveState = stateOf(gap).find((e) => e.type === 'm.room.member' && e.state_key === dave.userId);
    assert.equal(daveState?.content?.membership, 'leave', "dave's leave in the gap reaches bob");
  });
});
