import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RoomViewer } from './visibility.ts';
import { emptyIgnoreView } from '@hush/protocol';
import type { PolicyView } from './ignore.ts';
import type { EventRow } from '../storage/events.store.ts';
import type { StateHistoryRow } from '../storage/state.store.ts';

const me = '@me:x';
function ev(ordering: number, sender = '@other:x', stateKey: string | null = null, type = 'm.room.message'): EventRow {
  return {
    stream_ordering: ordering,
    event_id: `$e${ordering}`,
    room_id: '!r:x',
    type,
    state_key: stateKey,
    sender,
    origin_server_ts: 0,
    depth: ordering,
    json: '{}',
    prev_content: null,
    replaces_state: null,
    redacted_by: null,
    txn_device: null,
    txn_id: null,
    relates_to: null,
    rel_type: null,
  };
}
const member = (ordering: number, value: string): StateHistoryRow => ({ type: 'm.room.member', stateKey: me, ordering, value });
const hv = (ordering: number, value: string): StateHistoryRow => ({ type: 'm.room.history_visibility', stateKey: '', ordering, value });
// Tests stand in for the loaded view the policy makes in the server.
const none = emptyIgnoreView(me) as unknown as PolicyView;

test('joined members see events sent while joined; not after they leave', () => {
  const v = new RoomViewer(me, [hv(1, 'joined'), member(5, 'join'), member(10, 'leave')], none);
  assert.equal(v.canSee(ev(3)), false, 'before joining, joined visibility');
  assert.equal(v.canSee(ev(7)), true);
  assert.equal(v.canSee(ev(12)), false, 'after leaving');
  assert.equal(v.canSee(ev(10, me, me, 'm.room.member')), true, 'own leave event');
});

test('shared: everything before a later join is visible; nothing after leaving', () => {
  const v = new RoomViewer(me, [hv(1, 'shared'), member(5, 'join'), member(10, 'leave')], none);
  assert.equal(v.canSee(ev(3)), true);
  assert.equal(v.canSee(ev(11)), false);
});

test('invited: visible from the invite on, not before', () => {
  const v = new RoomViewer(me, [hv(1, 'invited'), member(5, 'invite'), member(8, 'join')], none);
  assert.equal(v.canSee(ev(3)), false);
  assert.equal(v.canSee(ev(6)), true);
  assert.equal(v.canSee(ev(9)), true);
});

test('world_readable: visible to anyone', () => {
  const v = new RoomViewer(me, [hv(1, 'world_readable')], none);
  assert.equal(v.canSee(ev(3)), true);
  assert.equal(v.currentMembership(), 'leave');
});

test('never-joined users see nothing of a shared room', () => {
  const v = new RoomViewer(me, [hv(1, 'shared')], none);
  assert.equal(v.canSee(ev(3)), false);
});

test('ignored senders: messages hidden, state events still served', () => {
  const v = new RoomViewer(me, [member(1, 'join')], { ...emptyIgnoreView(me, 1), ignoredUsers: new Set(['@troll:x']) } as unknown as PolicyView);
  assert.equal(v.canSee(ev(3, '@troll:x')), false);
  assert.equal(v.canSee(ev(4, '@troll:x', '', 'm.room.name')), true);
  assert.equal(v.historyAllows(ev(3, '@troll:x')), true, 'history allows it; only the ignore policy hides it');
});

test('stateBound and mayRead: joined now, left (then banned), invited, world_readable, outsider, no room (decision 0016)', () => {
  const joined = new RoomViewer(me, [hv(1, 'shared'), member(5, 'join')], none);
  assert.equal(joined.stateBound(), 'current');
  const leftThenBanned = new RoomViewer(me, [hv(1, 'shared'), member(5, 'join'), member(10, 'leave'), member(20, 'ban')], none);
  assert.equal(leftThenBanned.stateBound(), 10, 'the state at the leave, not at the ban');
  assert.equal(leftThenBanned.mayRead(), true);
  const rejoinedAndLeft = new RoomViewer(me, [member(2, 'join'), member(4, 'leave'), member(6, 'invite'), member(8, 'join'), member(9, 'leave'), member(12, 'invite')], none);
  assert.equal(rejoinedAndLeft.stateBound(), 9, 'where the last joined stretch ended');
  const invitee = new RoomViewer(me, [hv(1, 'shared'), member(5, 'invite')], none);
  assert.equal(invitee.stateBound(), undefined);
  assert.equal(invitee.mayRead(), true);
  const outsider = new RoomViewer(me, [hv(1, 'shared')], none);
  assert.equal(outsider.mayRead(), false);
  assert.equal(new RoomViewer(me, [], none).mayRead(), false, 'a room that does not exist looks the same');
  const knocker = new RoomViewer(me, [member(5, 'knock')], none);
  assert.equal(knocker.mayRead(), false);
  const world = new RoomViewer(me, [hv(1, 'world_readable')], none);
  assert.equal(world.stateBound(), 'current');
  assert.equal(world.mayRead(), true);
  const wasWorld = new RoomViewer(me, [hv(1, 'world_readable'), hv(3, 'shared')], none);
  assert.equal(wasWorld.mayRead(), false, 'only world_readable now opens the room to outsiders');
});

test('visibleState: cut at the bound; for an invitee only what history visibility allows', () => {
  const state = [ev(1, '@c:x', '', 'm.room.create'), ev(2, '@c:x', '', 'm.room.power_levels'), ev(5, '@c:x', me, 'm.room.member'), ev(12, '@c:x', '', 'm.room.topic')];
  const left = new RoomViewer(me, [member(5, 'join'), member(10, 'leave')], none);
  assert.deepEqual(left.visibleState(state).map((e) => e.stream_ordering), [1, 2, 5], 'nothing after the leave');
  const invitee = new RoomViewer(me, [hv(1, 'shared'), member(5, 'invite')], none);
  assert.deepEqual(invitee.visibleState(state).map((e) => e.stream_ordering), [5], 'their own invite only');
  const joined = new RoomViewer(me, [hv(1, 'joined'), member(5, 'join')], none);
  assert.equal(joined.visibleState(state).length, 4, 'joined: the whole state, sent before the join or not');
});

test('visibleRanges agrees with historyAllows at every position (random histories)', () => {
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const memberships = ['join', 'leave', 'invite', 'ban', 'knock'];
  const visibilities = ['shared', 'joined', 'invited', 'world_readable'];
  for (let round = 0; round < 200; round++) {
    const history: StateHistoryRow[] = [];
    let pos = 0;
    for (let i = rand(6); i >= 0; i--) {
      pos += 1 + rand(4);
      history.push(rand(3) === 0 ? hv(pos, visibilities[rand(4)] as string) : member(pos, memberships[rand(5)] as string));
    }
    const v = new RoomViewer(me, history, none);
    const ranges = v.visibleRanges();
    const inRanges = (o: number) => ranges.some(([after, upTo]) => o > after && o <= upTo);
    for (let o = 1; o <= pos + 3; o++) assert.equal(inRanges(o), v.historyAllows(ev(o)), `round ${round}, position ${o}: ${JSON.stringify(history)} → ${JSON.stringify(ranges)}`);
    assert.equal(inRanges(Number.MAX_SAFE_INTEGER), v.historyAllows(ev(Number.MAX_SAFE_INTEGER)));
  }
});
