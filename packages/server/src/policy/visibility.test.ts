import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RoomViewer } from './visibility.ts';
import { emptyIgnoreView } from './ignore.ts';
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
    redacted_by: null,
    txn_device: null,
    txn_id: null,
    relates_to: null,
    rel_type: null,
  };
}
const member = (ordering: number, value: string): StateHistoryRow => ({ type: 'm.room.member', stateKey: me, ordering, value });
const hv = (ordering: number, value: string): StateHistoryRow => ({ type: 'm.room.history_visibility', stateKey: '', ordering, value });
const none = emptyIgnoreView(me);

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
  const v = new RoomViewer(me, [member(1, 'join')], { ...emptyIgnoreView(me, 1), ignoredUsers: new Set(['@troll:x']) });
  assert.equal(v.canSee(ev(3, '@troll:x')), false);
  assert.equal(v.canSee(ev(4, '@troll:x', '', 'm.room.name')), true);
  assert.equal(v.historyAllows(ev(3, '@troll:x')), true, 'history allows it; only the ignore policy hides it');
});
