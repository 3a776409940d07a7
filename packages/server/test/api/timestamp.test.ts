// In-process tests of GET /_matrix/client/v1/rooms/{roomId}/timestamp_to_event: the closest event
// the viewer may see in each direction (history visibility, ignored senders skipped), 404s, bad input.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSuiteApp, type Session, type TestApp } from '../helpers.ts';
import { roomSteps, type RoomSteps } from '../room-helpers.ts';

const enc = encodeURIComponent;

let t: TestApp;
let r: RoomSteps;
let alice: Session;
let bob: Session;
let carol: Session;
let dave: Session;
let roomId: string;
const ev: Record<string, { id: string; ts: number }> = {};

const find = (s: Session, query: string, room = roomId) => t.req('GET', `/_matrix/client/v1/rooms/${enc(room)}/timestamp_to_event?${query}`, { token: s.token });

/** Sends a message and records its id and timestamp; a pause keeps every timestamp distinct. */
async function send(name: string, s: Session): Promise<void> {
  await sleep(3);
  const id = await r.send(s, roomId, name);
  const got = await t.req('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(id)}`, { token: s.token });
  ev[name] = { id, ts: got.json.origin_server_ts };
  await sleep(3);
}

before(async () => {
  t = await createSuiteApp();
  r = roomSteps(t);
  alice = await t.register('alice');
  bob = await t.register('bob');
  carol = await t.register('carol');
  dave = await t.register('dave');
  roomId = await r.createRoom(alice, { preset: 'public_chat' });
  await r.join(bob, roomId);
  await r.join(carol, roomId);
  await send('a1', alice);
  await send('b1', bob);
  await send('a2', alice);
  await send('b2', bob);
});
after(() => t.close());

describe('getEventByTimestamp', () => {
  test('forwards and backwards, the timestamp itself included', async () => {
    const f = await find(carol, `ts=${(ev['b1'] as { ts: number }).ts}&dir=f`);
    assert.equal(f.status, 200);
    assert.deepEqual(f.json, { event_id: ev['b1']?.id, origin_server_ts: ev['b1']?.ts });
    const b = await find(carol, `ts=${(ev['a2'] as { ts: number }).ts + 1}&dir=b`);
    assert.equal(b.json.event_id, ev['a2']?.id);
    const newest = await find(carol, `ts=${Date.now() + 60_000}&dir=b`);
    assert.equal(newest.json.event_id, ev['b2']?.id);
    const first = await find(carol, 'ts=0&dir=f');
    assert.ok(first.json.origin_server_ts <= (ev['a1'] as { ts: number }).ts, 'the room begins before the first message');
  });

  test('an ignored sender’s events are skipped in both directions', async () => {
    await r.ignore(alice, [bob.userId]);
    try {
      const f = await find(alice, `ts=${(ev['b1'] as { ts: number }).ts}&dir=f`);
      assert.equal(f.json.event_id, ev['a2']?.id);
      const b = await find(alice, `ts=${Date.now() + 60_000}&dir=b`);
      assert.equal(b.json.event_id, ev['a2']?.id);
      const none = await find(alice, `ts=${(ev['b2'] as { ts: number }).ts}&dir=f`);
      assert.equal(none.status, 404);
      assert.equal(none.json.errcode, 'M_NOT_FOUND');
    } finally {
      await r.ignore(alice, []);
    }
    assert.equal((await find(alice, `ts=${(ev['b2'] as { ts: number }).ts}&dir=f`)).json.event_id, ev['b2']?.id);
  });

  test('nothing in that direction, rooms the viewer may not read, unknown rooms: 404 M_NOT_FOUND', async () => {
    for (const [s, q, room] of [
      [carol, `ts=${Date.now() + 60_000}&dir=f`, roomId],
      [carol, 'ts=0&dir=b', roomId],
      [dave, `ts=${Date.now() + 60_000}&dir=b`, await r.createRoom(alice)],
      [dave, 'ts=0&dir=f', '!nowhere:localhost'],
    ] as const) {
      const res = await find(s, q, room);
      assert.equal(res.status, 404, q);
      assert.equal(res.json.errcode, 'M_NOT_FOUND');
    }
  });

  test('bad parameters are 400', async () => {
    for (const [q, code] of [
      ['dir=f', 'M_MISSING_PARAM'],
      ['ts=1', 'M_MISSING_PARAM'],
      ['ts=1&dir=x', 'M_INVALID_PARAM'],
      ['ts=abc&dir=f', 'M_INVALID_PARAM'],
      ['ts=-5&dir=f', 'M_INVALID_PARAM'],
    ]) {
      const res = await find(carol, q as string);
      assert.equal(res.status, 400, q);
      assert.equal(res.json.errcode, code, q);
    }
    assert.equal((await find(carol, 'ts=1&dir=f', 'not-a-room')).status, 400);
  });
});
