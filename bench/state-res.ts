// Cost of state resolution v2 (pure, in-process): two forks of a room with 1,000 members that
// disagree on 1,000 events — (a) 1,000 ordinary state events over 500 keys plus a power levels
// conflict (mainline ordering), (b) 1,000 power events (kicks in one fork, bans in the other, of the
// same 500 members: reverse topological power ordering). Medians of several runs.
// Run: node --import tsx bench/state-res.ts [--quick]

import { performance } from 'node:perf_hooks';
import type { JsonObject } from '@hush/protocol';
import { authEventKeys } from '../packages/server/src/services/rooms/auth-rules.ts';
import { V11 } from '../packages/server/src/services/rooms/versions/index.ts';
import { resolveState, stateKey, type ResEvent } from '../packages/server/src/services/rooms/state-res/index.ts';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 3 : 7;
const MEMBERS = 1_000;
const ROOM = '!bench:test';
const ALICE = '@alice:test';
const BOB = '@bob:test';

type State = Map<string, string>;
const events = new Map<string, ResEvent>();
const lookup = (id: string) => events.get(id);
let clock = 0;

function add(name: string, before: State, sender: string, type: string, key: string, content: JsonObject): State {
  const auth = type === 'm.room.create' ? [] : authEventKeys(type, key, sender, content, V11).flatMap(([t, k]) => before.get(stateKey(t, k)) ?? []);
  const ev: ResEvent = {
    event_id: `$${name}:test`,
    room_id: ROOM as ResEvent['room_id'],
    sender: sender as ResEvent['sender'],
    type,
    state_key: key,
    content,
    auth_events: auth as ResEvent['auth_events'],
    prev_events: (events.size === 1 ? [...events.keys()] : []) as ResEvent['prev_events'],
    depth: events.size + 1,
    origin_server_ts: ++clock,
    hashes: { sha256: '' },
    signatures: {},
  };
  events.set(ev.event_id, ev);
  return new Map(before).set(stateKey(type, key), ev.event_id);
}

const user = (i: number) => `@u${i}:test`;
let base: State = add('create', new Map(), ALICE, 'm.room.create', '', { room_version: '11' });
base = add('ma', base, ALICE, 'm.room.member', ALICE, { membership: 'join' });
base = add('pl0', base, ALICE, 'm.room.power_levels', '', { users: { [ALICE]: 100, [BOB]: 50 }, state_default: 0 });
base = add('jr', base, ALICE, 'm.room.join_rules', '', { join_rule: 'public' });
base = add('mb', base, BOB, 'm.room.member', BOB, { membership: 'join' });
for (let i = 0; i < MEMBERS; i++) base = add(`m${i}`, base, user(i), 'm.room.member', user(i), { membership: 'join' });

// (a) 500 keys of a custom state type, set by alice in one fork and bob in the other; PL conflict too.
let a1 = add('pla', base, ALICE, 'm.room.power_levels', '', { users: { [ALICE]: 100, [BOB]: 50 }, state_default: 0, ban: 40 });
let b1 = base;
for (let i = 0; i < 500; i++) {
  a1 = add(`xa${i}`, a1, ALICE, 'org.bench.thing', String(i), { v: i });
  b1 = add(`xb${i}`, b1, BOB, 'org.bench.thing', String(i), { v: -i });
}
// (b) the same 500 members kicked by alice in one fork and banned by bob in the other.
let a2 = base;
let b2 = base;
for (let i = 0; i < 500; i++) {
  a2 = add(`k${i}`, a2, ALICE, 'm.room.member', user(i), { membership: 'leave' });
  b2 = add(`b${i}`, b2, BOB, 'm.room.member', user(i), { membership: 'ban' });
}

function measure(label: string, sets: State[]): void {
  const times: number[] = [];
  let size = 0;
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    size = resolveState(V11, sets, lookup).size;
    times.push(performance.now() - t0);
  }
  times.sort((x, y) => x - y);
  const median = times[Math.floor(times.length / 2)] as number;
  console.log(`${label.padEnd(72)} ${median.toFixed(1).padStart(8)} ms (median of ${RUNS}; min ${(times[0] as number).toFixed(1)}; resolved ${size} keys)`);
}

console.log(`state resolution v2, room of ${MEMBERS + 2} members, ${events.size} events in the DAG`);
measure('(a) 1,000 conflicting ordinary state events + a power levels conflict', [a1, b1]);
measure('(b) 1,000 conflicting power events (500 kicks vs 500 bans)', [a2, b2]);
measure('(c) both forks above together (four state sets)', [a1, b1, a2, b2]);
measure('no conflict: the same state set twice', [base, base]);
