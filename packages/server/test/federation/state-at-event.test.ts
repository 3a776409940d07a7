// The state at an event on forks (issue 21, decision 0037), in process: crafted, signed PDUs of a
// remote user (BOB, power 100) over /send build forks, and /state_ids answers the state before an
// event — the state after its prev events (resolved when several), not the state history at its
// stream position. Cases: a branch's state event stored between A and E (E's prev is A); a fork
// state event that lost resolution (its state after holds itself) and a chain on top of it; an
// event whose prev events are two branches.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventStateStore } from '../../src/storage/event-state.store.ts';
import { stateStore } from '../../src/storage/state.store.ts';
import { enc, forkRoom as baseForkRoom, sendPdu, type ForkRoom } from '../federation-fixture.ts';

interface Room extends ForkRoom {
  names: Map<string, string>;
}

/** The fixture's fork room, with the names its m.room.name events set ("zero" at the start). */
async function forkRoom(): Promise<Room> {
  const r = await baseForkRoom();
  const zero = await stateStore.currentStateEventId(r.c.t.database.db, r.roomId, 'm.room.name', '');
  assert.ok(zero);
  return { ...r, names: new Map([[zero, 'zero']]) };
}

const send = sendPdu;

async function rename(r: Room, prev: string[], depth: number, name: string, ts: number): Promise<string> {
  const id = await send(r, prev, depth, { type: 'm.room.name', stateKey: '', content: { name }, ts });
  r.names.set(id, name);
  return id;
}

/** The room name in the state before `eventId`, as /state_ids answers it. */
async function nameBefore(r: Room, eventId: string): Promise<string | undefined> {
  const res = await r.c.get(`/_matrix/federation/v1/state_ids/${enc(r.roomId)}?event_id=${enc(eventId)}`);
  assert.equal(res.status, 200, res.text);
  const names = (res.json.pdu_ids as string[]).filter((id) => r.names.has(id));
  assert.ok(names.length <= 1, `one m.room.name at most: ${names.join(', ')}`);
  return names[0] === undefined ? undefined : r.names.get(names[0]);
}

async function currentName(r: Room): Promise<string | undefined> {
  const id = await stateStore.currentStateEventId(r.c.t.database.db, r.roomId, 'm.room.name', '');
  return id === undefined ? undefined : r.names.get(id);
}

test("a branch's state event stored between A and E (E's prev is A) is not in the state before E", async () => {
  const r = await forkRoom();
  const a = await send(r, [r.base], r.depth + 1, { type: 'm.room.message', content: { body: 'A' } });
  const b = await rename(r, [a], r.depth + 2, 'b', Date.now());
  const e = await send(r, [a], r.depth + 2, { type: 'm.room.message', content: { body: 'E, a sibling of the rename' } });
  assert.equal(await currentName(r), 'b', 'the rename is the current state');
  assert.equal(await nameBefore(r, e), 'zero', 'before E: the state after A');
  const ids = (await r.c.get(`/_matrix/federation/v1/state_ids/${enc(r.roomId)}?event_id=${enc(e)}`)).json.pdu_ids as string[];
  assert.ok(!ids.includes(b));
  assert.ok(ids.includes(r.auth[2] as string), "BOB's join is in it");
  // A local message afterwards follows both branches: its state is the current one.
  const local = await r.c.t.req('PUT', `/_matrix/client/v3/rooms/${enc(r.roomId)}/send/m.room.message/l1`, { token: r.c.alice.token, body: { msgtype: 'm.text', body: 'after both' } });
  assert.equal(local.status, 200, local.text);
  assert.equal(await nameBefore(r, local.json.event_id), 'b');
});

test('a fork state event that lost resolution: its state after holds itself, and so does the state before a chain on it', async () => {
  const r = await forkRoom();
  const t0 = Date.now();
  const winner = await rename(r, [r.base], r.depth + 1, 'winner', t0 + 2000);
  // Same power, same mainline: the later origin_server_ts is applied last and wins.
  const loser = await rename(r, [r.base], r.depth + 1, 'loser', t0 + 1000);
  assert.equal(await currentName(r), 'winner', 'the losing rename is not the current state');
  const after = await eventStateStore.stateAtEvent(r.c.t.database.db, loser, { after: true });
  assert.equal(after?.state?.find((s) => s.type === 'm.room.name')?.eventId, loser, 'state after the losing rename: itself');
  assert.equal(await nameBefore(r, loser), 'zero', 'before it: the state after the base');
  assert.equal(await nameBefore(r, winner), 'zero');
  // A chain on the losing branch: each event's state is its branch's.
  const e1 = await send(r, [loser], r.depth + 2, { type: 'm.room.message', content: { body: 'on the losing branch' } });
  const e2 = await send(r, [e1], r.depth + 3, { type: 'm.room.topic', stateKey: '', content: { topic: 'chain' } });
  const e3 = await send(r, [e2], r.depth + 4, { type: 'm.room.message', content: { body: 'further on' } });
  assert.equal(await nameBefore(r, e1), 'loser');
  assert.equal(await nameBefore(r, e2), 'loser');
  assert.equal(await nameBefore(r, e3), 'loser');
  const before3 = (await r.c.get(`/_matrix/federation/v1/state_ids/${enc(r.roomId)}?event_id=${enc(e3)}`)).json.pdu_ids as string[];
  assert.ok(before3.includes(e2), 'the topic set on the chain is in the state before the next event');
  assert.equal(await currentName(r), 'winner', 'the chain changed no name in the current state');
});

test('an event whose prev events are two branches: the state before it is their resolved state, not a third branch stored later', async () => {
  const r = await forkRoom();
  const t0 = Date.now();
  const x = await rename(r, [r.base], r.depth + 1, 'x', t0 + 1000);
  const y = await rename(r, [r.base], r.depth + 1, 'y', t0 + 2000);
  const z = await rename(r, [r.base], r.depth + 1, 'z', t0 + 3000);
  assert.equal(await currentName(r), 'z', 'the third branch wins the current state');
  const m = await send(r, [x, y], r.depth + 2, { type: 'm.room.message', content: { body: 'joins x and y' } });
  assert.equal(await nameBefore(r, m), 'y', 'x and y resolved: the later rename');
  const m2 = await send(r, [y, x], r.depth + 2, { type: 'm.room.message', content: { body: 'the same, prev events the other way round' } });
  assert.equal(await nameBefore(r, m2), 'y');
  const all = await send(r, [m, z], r.depth + 3, { type: 'm.room.message', content: { body: 'joins everything' } });
  assert.equal(await nameBefore(r, all), 'z');
});
