// State resolution v2 and v1 on hand-built room DAGs: the well-known scenarios (a ban racing a
// demotion, a topic reset by a demotion, join rule evasion, concurrent power level edits, topic
// ties, the mainline sort), forks of our own, the tie-breaks, and properties (one state set comes
// back unchanged; the order of the sets does not matter).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { JsonObject } from '@hush/protocol';
import { authEventKeys } from '../auth-rules.ts';
import { V1, V11, V2, type RoomVersion } from '../versions/index.ts';
import { allowedIn } from './common.ts';
import { isPowerEvent, mainlineOrder, resolveState, reverseTopologicalPowerOrder, stateKey, type ResEvent, type StateMap } from './index.ts';

const ALICE = '@alice:test';
const BOB = '@bob:test';
const CHARLIE = '@charlie:test';
const ZARA = '@zara:test';
const EVELYN = '@evelyn:test';
const ROOM = '!room:test';

type State = Map<string, string>;

/** A room DAG under construction: each event is made on top of a given state (its fork). */
class Dag {
  readonly events = new Map<string, ResEvent>();
  private clock = 0;
  constructor(readonly rv: RoomVersion) {}

  lookup = (id: string): ResEvent | undefined => this.events.get(id);

  /** Adds event `$name:test` after `before` (checked against it) and returns the state after it. */
  add(name: string, before: State, sender: string, type: string, key: string | undefined, content: JsonObject, opts: { ts?: number; depth?: number } = {}): State {
    const authIds = type === 'm.room.create' ? [] : authEventKeys(type, key, sender, content, this.rv).map(([t, k]) => before.get(stateKey(t, k))).filter((x): x is string => x !== undefined);
    this.clock = opts.ts ?? this.clock + 1;
    const ev: ResEvent = {
      event_id: `$${name}:test`,
      room_id: ROOM as ResEvent['room_id'],
      sender: sender as ResEvent['sender'],
      type,
      content,
      auth_events: authIds as ResEvent['auth_events'],
      // Only the creator's first join looks at prev_events (auth rule 4.3.1).
      prev_events: (this.events.size === 1 ? [...this.events.keys()] : []) as ResEvent['prev_events'],
      depth: opts.depth ?? this.events.size + 1,
      origin_server_ts: this.clock,
      hashes: { sha256: '' },
      signatures: {},
    };
    if (key !== undefined) ev.state_key = key;
    assert.ok(this.events.size === 0 || allowedIn(ev, before, this.lookup, this.rv), `fixture event ${name} should be allowed in its own fork`);
    this.events.set(ev.event_id, ev);
    const after = new Map(before);
    if (key !== undefined) after.set(stateKey(type, key), ev.event_id);
    return after;
  }

  resolve(...sets: StateMap[]): Map<string, string> {
    return resolveState(this.rv, sets, this.lookup);
  }
}

const member = (m: string): JsonObject => ({ membership: m });
const id = (name: string) => `$${name}:test`;
const PL = stateKey('m.room.power_levels', '');
const JR = stateKey('m.room.join_rules', '');
const TOPIC = stateKey('m.room.topic', '');
const mem = (u: string) => stateKey('m.room.member', u);

/** create, alice joins, power levels (alice 100, bob 50), public join rules, bob / charlie / zara join. */
function baseRoom(rv: RoomVersion = V11): { dag: Dag; state: State } {
  const dag = new Dag(rv);
  const create: JsonObject = rv.creatorInContent ? { creator: ALICE, room_version: rv.id } : { room_version: rv.id };
  let s = dag.add('CREATE', new Map(), ALICE, 'm.room.create', '', create);
  s = dag.add('IMA', s, ALICE, 'm.room.member', ALICE, member('join'));
  s = dag.add('IPOWER', s, ALICE, 'm.room.power_levels', '', { users: { [ALICE]: 100, [BOB]: 50 } });
  s = dag.add('IJR', s, ALICE, 'm.room.join_rules', '', { join_rule: 'public' });
  s = dag.add('IMB', s, BOB, 'm.room.member', BOB, member('join'));
  s = dag.add('IMC', s, CHARLIE, 'm.room.member', CHARLIE, member('join'));
  s = dag.add('IMZ', s, ZARA, 'm.room.member', ZARA, member('join'));
  return { dag, state: s };
}

describe('state resolution v2: well-known scenarios', () => {
  test('ban vs power levels: a demotion of the banner wins over an earlier ban by the demoted user', () => {
    const { dag, state } = baseRoom();
    // Bob (50) bans charlie at t=100; concurrently alice takes bob's power away at t=200.
    const a = dag.add('MB', state, BOB, 'm.room.member', CHARLIE, member('ban'), { ts: 100 });
    const b = dag.add('PB', state, ALICE, 'm.room.power_levels', '', { users: { [ALICE]: 100 } }, { ts: 200 });
    const r = dag.resolve(a, b);
    assert.equal(r.get(PL), id('PB'));
    assert.equal(r.get(mem(CHARLIE)), id('IMC'), 'the ban is checked after the demotion and fails');
  });

  test('topic reset: a topic set by a user who is demoted concurrently falls back to the earlier topic', () => {
    const { dag, state } = baseRoom();
    let s = dag.add('T1', state, ALICE, 'm.room.topic', '', { topic: 'one' });
    s = dag.add('PA', s, ALICE, 'm.room.power_levels', '', { users: { [ALICE]: 100, [BOB]: 50 }, state_default: 50 });
    const a = dag.add('T2', s, BOB, 'm.room.topic', '', { topic: 'two' });
    const b = dag.add('PB', s, ALICE, 'm.room.power_levels', '', { users: { [ALICE]: 100 }, state_default: 50 });
    const r = dag.resolve(a, b);
    assert.equal(r.get(PL), id('PB'));
    assert.equal(r.get(TOPIC), id('T1'));
  });

  test('join rule evasion: a join racing a switch to invite-only is dropped', () => {
    const { dag, state } = baseRoom();
    const a = dag.add('JR', state, ALICE, 'm.room.join_rules', '', { join_rule: 'invite' }, { ts: 500 });
    const b = dag.add('ME', state, EVELYN, 'm.room.member', EVELYN, member('join'), { ts: 400 });
    const r = dag.resolve(a, b);
    assert.equal(r.get(JR), id('JR'));
    assert.equal(r.has(mem(EVELYN)), false);
  });

  test('offtopic power levels: concurrent edits both allowed, the lower-powered sender is applied last and wins', () => {
    const { dag, state } = baseRoom();
    const a = dag.add('PB', state, BOB, 'm.room.power_levels', '', { users: { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 50 } }, { ts: 100 });
    const b = dag.add('PC', state, ALICE, 'm.room.power_levels', '', { users: { [ALICE]: 100, [BOB]: 50, [ZARA]: 10 } }, { ts: 200 });
    assert.equal(dag.resolve(a, b).get(PL), id('PB'));
  });

  test('topic basic: the same power levels on both sides, so the later topic wins', () => {
    const { dag, state } = baseRoom();
    const s = dag.add('T1', state, ALICE, 'm.room.topic', '', { topic: 'one' });
    const a = dag.add('T2', s, BOB, 'm.room.topic', '', { topic: 'two' }, { ts: 50 });
    const b = dag.add('T3', s, ALICE, 'm.room.topic', '', { topic: 'three' }, { ts: 60 });
    assert.equal(dag.resolve(a, b).get(TOPIC), id('T3'));
    const { dag: dag2, state: state2 } = baseRoom();
    const s2 = dag2.add('T1', state2, ALICE, 'm.room.topic', '', { topic: 'one' });
    const a2 = dag2.add('T2', s2, BOB, 'm.room.topic', '', { topic: 'two' }, { ts: 70 });
    const b2 = dag2.add('T3', s2, ALICE, 'm.room.topic', '', { topic: 'three' }, { ts: 60 });
    assert.equal(dag2.resolve(a2, b2).get(TOPIC), id('T2'), 'the sender power level does not order non-power events');
  });

  test('mainline sort: a topic based on newer power levels wins over a later topic based on older ones', () => {
    const { dag, state } = baseRoom();
    const s = dag.add('PA', state, ALICE, 'm.room.power_levels', '', { users: { [ALICE]: 100, [BOB]: 50 } });
    const a = dag.add('TA', s, ALICE, 'm.room.topic', '', { topic: 'old base, late' }, { ts: 1000 });
    let b = dag.add('PB', s, ALICE, 'm.room.power_levels', '', { users: { [ALICE]: 100, [BOB]: 60 } }, { ts: 20 });
    b = dag.add('TB', b, BOB, 'm.room.topic', '', { topic: 'new base, early' }, { ts: 30 });
    const r = dag.resolve(a, b);
    assert.equal(r.get(PL), id('PB'));
    assert.equal(r.get(TOPIC), id('TB'));
    const order = mainlineOrder([dag.lookup(id('TB')) as ResEvent, dag.lookup(id('TA')) as ResEvent], id('PB'), dag.lookup);
    assert.deepEqual(order.map((e) => e.event_id), [id('TA'), id('TB')]);
  });
});

describe('state resolution v2: hand-made forks', () => {
  test('a power level change racing a ban: the ban by the still-powerful sender stands', () => {
    const { dag, state } = baseRoom();
    // Alice raises zara to 40 while bob (50) bans zara: both allowed, the ban stands and so does PL.
    const a = dag.add('PZ', state, ALICE, 'm.room.power_levels', '', { users: { [ALICE]: 100, [BOB]: 50, [ZARA]: 40 } }, { ts: 300 });
    const b = dag.add('BZ', state, BOB, 'm.room.member', ZARA, member('ban'), { ts: 200 });
    const r = dag.resolve(a, b);
    assert.equal(r.get(PL), id('PZ'));
    assert.equal(r.get(mem(ZARA)), id('BZ'));
  });

  test('a power level change racing a ban: raising the target above the banner defeats the ban', () => {
    const { dag, state } = baseRoom();
    const a = dag.add('PZ', state, ALICE, 'm.room.power_levels', '', { users: { [ALICE]: 100, [BOB]: 50, [ZARA]: 50 } }, { ts: 300 });
    const b = dag.add('BZ', state, BOB, 'm.room.member', ZARA, member('ban'), { ts: 200 });
    const r = dag.resolve(a, b);
    assert.equal(r.get(PL), id('PZ'));
    assert.equal(r.get(mem(ZARA)), id('IMZ'), "zara's level is no longer below bob's");
  });

  test('conflicting join rules from senders of different power: the lower-powered one is applied last', () => {
    const { dag, state } = baseRoom();
    const a = dag.add('JA', state, ALICE, 'm.room.join_rules', '', { join_rule: 'invite' }, { ts: 900 });
    const b = dag.add('JB', state, BOB, 'm.room.join_rules', '', { join_rule: 'knock' }, { ts: 100 });
    const sorted = reverseTopologicalPowerOrder([dag.lookup(id('JB')) as ResEvent, dag.lookup(id('JA')) as ResEvent], dag.lookup, V11);
    assert.deepEqual(sorted.map((e) => e.event_id), [id('JA'), id('JB')], 'power level first, whatever the timestamps');
    assert.equal(dag.resolve(a, b).get(JR), id('JB'));
  });

  test('conflicting join rules from the same sender: origin_server_ts, then event ID, break the tie', () => {
    const { dag, state } = baseRoom();
    const a = dag.add('J1', state, ALICE, 'm.room.join_rules', '', { join_rule: 'invite' }, { ts: 700 });
    const b = dag.add('J2', state, ALICE, 'm.room.join_rules', '', { join_rule: 'knock' }, { ts: 600 });
    assert.equal(dag.resolve(a, b).get(JR), id('J1'), 'the later timestamp is applied last');
    const { dag: d2, state: s2 } = baseRoom();
    const a2 = d2.add('JY', s2, ALICE, 'm.room.join_rules', '', { join_rule: 'invite' }, { ts: 700 });
    const b2 = d2.add('JX', s2, ALICE, 'm.room.join_rules', '', { join_rule: 'knock' }, { ts: 700 });
    assert.equal(d2.resolve(a2, b2).get(JR), id('JY'), 'same timestamp: the greater event ID is applied last');
  });

  test('a kick racing a displayname change: the kick goes first; the change then counts as a join', () => {
    for (const [rule, winner] of [['public', 'CN'], ['invite', 'KC']] as const) {
      const { dag, state } = baseRoom();
      const s = dag.add('JR2', state, ALICE, 'm.room.join_rules', '', { join_rule: rule });
      const a = dag.add('KC', s, BOB, 'm.room.member', CHARLIE, member('leave'), { ts: 10 });
      const b = dag.add('CN', s, CHARLIE, 'm.room.member', CHARLIE, { membership: 'join', displayname: 'C' }, { ts: 5 });
      assert.ok(isPowerEvent(dag.lookup(id('KC')) as ResEvent));
      assert.ok(!isPowerEvent(dag.lookup(id('CN')) as ResEvent));
      assert.equal(dag.resolve(a, b).get(mem(CHARLIE)), id(winner), `join rule ${rule}`);
    }
  });
});

describe('state resolution v2: properties', () => {
  test('resolving one state set returns it; so do copies of it', () => {
    const { dag, state } = baseRoom();
    const s = dag.add('T1', state, ALICE, 'm.room.topic', '', { topic: 'x' });
    assert.deepEqual(dag.resolve(s), s);
    assert.deepEqual(dag.resolve(s, new Map(s), new Map(s)), s);
    assert.deepEqual(dag.resolve(), new Map());
  });

  test('the order of the state sets does not matter', () => {
    const { dag, state } = baseRoom();
    const s = dag.add('PA', state, ALICE, 'm.room.power_levels', '', { users: { [ALICE]: 100, [BOB]: 50 } });
    const a = dag.add('TA', s, ALICE, 'm.room.topic', '', { topic: 'a' }, { ts: 1000 });
    let b = dag.add('PB', s, ALICE, 'm.room.power_levels', '', { users: { [ALICE]: 100, [BOB]: 60 } }, { ts: 20 });
    b = dag.add('TB', b, BOB, 'm.room.topic', '', { topic: 'b' }, { ts: 30 });
    const c = dag.add('KZ', s, BOB, 'm.room.member', ZARA, member('ban'), { ts: 40 });
    const expected = dag.resolve(a, b, c);
    for (const order of [[b, a, c], [c, b, a], [a, c, b]]) assert.deepEqual(dag.resolve(...order), expected);
  });

  test('the unconflicted state is re-applied last: a power levels event of the auth difference does not stick', () => {
    const { dag, state } = baseRoom();
    // Branch 1: alice sets PX, bob sets a topic under it. Branch 2: alice sets PA. One state has
    // merged both (PA, bob's topic); the other only branch 2. PX is in just one auth chain.
    const b1 = dag.add('PX', state, ALICE, 'm.room.power_levels', '', { users: { [ALICE]: 100, [BOB]: 50 }, state_default: 40 });
    const withTopic = dag.add('TB', b1, BOB, 'm.room.topic', '', { topic: 'b' });
    const b2 = dag.add('PA', state, ALICE, 'm.room.power_levels', '', { users: { [ALICE]: 100, [BOB]: 50, [ZARA]: 1 } });
    const merged = new Map(b2);
    merged.set(TOPIC, withTopic.get(TOPIC) as string);
    const r = dag.resolve(merged, b2);
    assert.equal(r.get(PL), id('PA'));
    assert.equal(r.get(TOPIC), id('TB'));
  });

  test('a key missing from one state set is conflicted (unlike v1): a join only one fork has is re-checked', () => {
    const { dag, state } = baseRoom();
    const s = dag.add('JI', state, ALICE, 'm.room.join_rules', '', { join_rule: 'invite' });
    const inv = dag.add('IE', s, ALICE, 'm.room.member', EVELYN, member('invite'));
    const joined = dag.add('JE', inv, EVELYN, 'm.room.member', EVELYN, member('join'));
    // the other fork never saw the invite; evelyn's join is still allowed through her auth events
    assert.equal(dag.resolve(joined, s).get(mem(EVELYN)), id('JE'));
  });
});

describe('state resolution v1 (room version 1)', () => {
  test('other conflicts go to the deepest event; equal depths to the lowest sha1 of the event ID', () => {
    const { dag, state } = baseRoom(V1);
    const s = dag.add('PT', state, ALICE, 'm.room.power_levels', '', { users: { [ALICE]: 100, [BOB]: 50 }, state_default: 0 });
    const a = dag.add('TA', s, ALICE, 'm.room.topic', '', { topic: 'a' }, { depth: 20 });
    const b = dag.add('TB', s, BOB, 'm.room.topic', '', { topic: 'b' }, { depth: 30 });
    assert.equal(dag.resolve(a, b).get(TOPIC), id('TB'));
    const { dag: d2, state: s2 } = baseRoom(V1);
    // sha1('$TX:test') and sha1('$TY:test'): the lower hash wins at equal depth.
    const x = d2.add('TX', s2, ALICE, 'm.room.topic', '', { topic: 'x' }, { depth: 20 });
    const y = d2.add('TY', s2, ALICE, 'm.room.topic', '', { topic: 'y' }, { depth: 20 });
    const h = (v: string) => createHash('sha1').update(v).digest('hex');
    const lower = h(id('TX')) < h(id('TY')) ? 'TX' : 'TY';
    assert.equal(d2.resolve(x, y).get(TOPIC), id(lower));
  });

  test('power levels: the shallowest first, a deeper one only if the auth rules allow it on top', () => {
    const { dag, state } = baseRoom(V1);
    // Alice demotes bob (depth 20); bob, in his fork, tries to raise charlie to 50 (depth 30).
    const a = dag.add('PA', state, ALICE, 'm.room.power_levels', '', { users: { [ALICE]: 100 } }, { depth: 20 });
    const b = dag.add('PB', state, BOB, 'm.room.power_levels', '', { users: { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 50 } }, { depth: 30 });
    assert.equal(dag.resolve(a, b).get(PL), id('PA'));
  });

  test('a key only one state set has is not a conflict in v1', () => {
    const { dag, state } = baseRoom(V1);
    const a = dag.add('TA', state, ALICE, 'm.room.topic', '', { topic: 'a' });
    const r = dag.resolve(a, state);
    assert.equal(r.get(TOPIC), id('TA'));
    assert.deepEqual(dag.resolve(a), a);
  });

  test('room version 2 uses v2 (a demotion beats the shallower ban)', () => {
    const { dag, state } = baseRoom(V2);
    const a = dag.add('MB', state, BOB, 'm.room.member', CHARLIE, member('ban'), { ts: 100, depth: 10 });
    const b = dag.add('PB', state, ALICE, 'm.room.power_levels', '', { users: { [ALICE]: 100 } }, { ts: 200, depth: 10 });
    assert.equal(dag.resolve(a, b).get(mem(CHARLIE)), id('IMC'));
  });
});
