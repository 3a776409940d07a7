// `node --import tsx bench/generate.ts --database FILE|postgres://URL [--users 10000] [--rooms 1000]
//   [--events 1000000] [--measured-rooms 200] [--server-name localhost]`
// The scale data set of issue 19 item 5: users, rooms and events written straight through the
// stores (EventPersister: real hashes, signatures, auth checks, state and memberships) in big
// transactions — no HTTP, no push actions, no federation queue. Room sizes fall off like a long
// tail (the first rooms have thousands of members, most have tens); the measured user
// `@scale-0:SERVER` is in `--measured-rooms` rooms spread over the sizes; messages go to rooms in
// proportion to their size, from random members, interleaved over the rooms. Every user's password
// is `scale-password`. Prints a JSON summary (counts, seconds, CPU) at the end.

import { performance } from 'node:perf_hooks';
import type { JsonObject, ServerName } from '@hush/protocol';
import { openDatabase } from '../packages/server/src/storage/db.ts';
import { accountsStore } from '../packages/server/src/storage/accounts.store.ts';
import { roomsStore } from '../packages/server/src/storage/rooms.store.ts';
import type { RoomsTable } from '../packages/server/src/storage/schema.ts';
import { loadSigningKey } from '../packages/server/src/services/signing-key.ts';
import { hashPassword } from '../packages/server/src/services/secrets.ts';
import { EventPersister, type NewEvent } from '../packages/server/src/services/rooms/persist.ts';
import { RoomStateMemo } from '../packages/server/src/services/rooms/state-memo.ts';
import { PduCache } from '../packages/server/src/services/events/pdu-cache.ts';

function option(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  return v ?? dflt;
}
const count = (name: string, dflt: number) => {
  const n = Number(option(name, String(dflt)));
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} takes a positive integer`);
  return n;
};

const DATABASE = option('database', '');
if (DATABASE === '') throw new Error('usage: bench/generate.ts --database FILE|postgres://URL [--users N] [--rooms N] [--events N] [--measured-rooms N]');
const USERS = count('users', 10_000);
const ROOMS = count('rooms', 1_000);
const EVENTS = count('events', 1_000_000);
const MEASURED_ROOMS = Math.min(count('measured-rooms', 200), ROOMS);
const SERVER = option('server-name', 'localhost') as ServerName;
/** Events per transaction. */
const CHUNK = 5_000;
export const SCALE_PASSWORD = 'scale-password';

/** A small seeded generator (mulberry32): the same data set on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(19);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

const userId = (i: number) => `@scale-${i}:${SERVER}`;
const roomCreateEvents = 5; // create, creator's join, power levels, join rules, history visibility

// Membership: ~15% of the events are joins. Room r's weight falls off as 1/(1 + r/10).
const joinsWanted = Math.max(ROOMS * 2, Math.floor(EVENTS * 0.15));
const weights = Array.from({ length: ROOMS }, (_, r) => 1 / (1 + r / 10));
const weightSum = weights.reduce((a, b) => a + b, 0);
const sizes = weights.map((w) => Math.min(USERS, Math.max(2, Math.round((w / weightSum) * joinsWanted))));
const measuredEvery = ROOMS / MEASURED_ROOMS;
const measuredRooms = new Set(Array.from({ length: MEASURED_ROOMS }, (_, k) => Math.floor(k * measuredEvery)));

/** Members of each room: its creator first, the measured user where chosen, then random others. */
const members: number[][] = sizes.map((size, r) => {
  const set = new Set<number>([1 + (r % (USERS - 1))]);
  if (measuredRooms.has(r)) set.add(0);
  while (set.size < size) set.add(1 + Math.floor(random() * (USERS - 1)));
  return [...set];
});
const joins = members.reduce((a, m) => a + m.length - 1, 0);
const messages = Math.max(0, EVENTS - joins - ROOMS * roomCreateEvents);

const started = performance.now();
const cpu0 = process.cpuUsage();
const handle = await openDatabase(DATABASE, { singleProcess: true, poolSize: 2 });
const { db } = handle;
let written = 0;
try {
  if (await roomsStore.getRoom(db, `!scale-0:${SERVER}`)) throw new Error(`${DATABASE} already holds a scale data set`);
  const signingKey = await loadSigningKey(db);
  const persister = new EventPersister(SERVER, signingKey, new PduCache(), new RoomStateMemo());
  const passwordHash = await hashPassword(SCALE_PASSWORD);

  // Users, 5,000 a transaction.
  for (let from = 0; from < USERS; from += CHUNK) {
    await db.transaction().execute(async (tx) => {
      for (let i = from; i < Math.min(USERS, from + CHUNK); i++) {
        await accountsStore.insertUser(tx, { user_id: userId(i), password_hash: passwordHash, displayname: `Scale user ${i}`, avatar_url: null, created_ts: Date.now(), deactivated: 0 });
      }
    });
  }

  // The work, in order: every room's creation, then joins and messages interleaved over the rooms.
  const rooms: RoomsTable[] = [];
  type Step = { room: number; ev: NewEvent; create?: RoomsTable };
  function* steps(): Generator<Step> {
    for (let r = 0; r < ROOMS; r++) {
      const creator = userId(members[r]![0]!);
      const room: RoomsTable = { room_id: `!scale-${r}:${SERVER}`, room_version: '11', creator, created_ts: Date.now(), head_event_id: null, head_depth: 0, is_public: 1, state_version: 0 };
      rooms.push(room);
      const state = (type: string, content: JsonObject, stateKey = ''): Step => ({ room: r, ev: { type, stateKey, sender: creator, content } });
      yield { ...state('m.room.create', { room_version: '11' }), create: room };
      yield state('m.room.member', { membership: 'join', displayname: `Scale user ${members[r]![0]}` }, creator);
      yield state('m.room.power_levels', { users: { [creator]: 100 } });
      yield state('m.room.join_rules', { join_rule: 'public' });
      yield state('m.room.history_visibility', { history_visibility: 'shared' });
    }
    // Joins come first in each room's life, messages after; over the rooms they interleave.
    const pendingJoins = members.map((m) => m.slice(1));
    const joined = members.map((m) => [m[0]!]);
    const messagesLeft = sizes.map((s) => Math.floor(((s - 1) / joins) * messages));
    const open = Array.from({ length: ROOMS }, (_, r) => r);
    let n = 0;
    while (open.length > 0) {
      const slot = Math.floor(random() * open.length);
      const r = open[slot]!;
      const canMessage = messagesLeft[r]! > 0;
      const next = pendingJoins[r]!.length > 0 && (!canMessage || random() < 0.5) ? pendingJoins[r]!.pop() : undefined;
      if (next !== undefined) {
        joined[r]!.push(next);
        yield { room: r, ev: { type: 'm.room.member', stateKey: userId(next), sender: userId(next), content: { membership: 'join', displayname: `Scale user ${next}` } } };
      } else if (canMessage) {
        messagesLeft[r]!--;
        yield { room: r, ev: { type: 'm.room.message', sender: userId(pick(joined[r]!)), content: { msgtype: 'm.text', body: `Scale message ${n++}: the quick brown fox jumps over the lazy dog` } } };
      }
      if (pendingJoins[r]!.length === 0 && messagesLeft[r] === 0) {
        open[slot] = open[open.length - 1]!;
        open.pop();
      }
    }
  }

  const it = steps();
  let done = false;
  let lastReport = performance.now();
  while (!done) {
    await db.transaction().execute(async (tx) => {
      for (let k = 0; k < CHUNK; k++) {
        const step = it.next();
        if (step.done) {
          done = true;
          return;
        }
        const { room: r, ev, create } = step.value;
        if (create) await roomsStore.insertRoom(tx, { ...create });
        await persister.persist(tx, rooms[r]!, ev);
        written++;
      }
    });
    if (performance.now() - lastReport > 10_000) {
      lastReport = performance.now();
      process.stderr.write(`${written} events, ${Math.round((performance.now() - started) / 1000)} s\n`);
    }
  }
} finally {
  await handle.close();
}
const cpu = process.cpuUsage(cpu0);
console.log(
  JSON.stringify({
    database: DATABASE,
    users: USERS,
    rooms: ROOMS,
    events: written,
    joins,
    messages,
    measuredUser: userId(0),
    measuredRooms: MEASURED_ROOMS,
    largestRoom: Math.max(...sizes),
    seconds: Math.round((performance.now() - started) / 1000),
    cpuSeconds: Math.round((cpu.user + cpu.system) / 1e6),
  }),
);
