// Group commit of room writes on SQLite (services/rooms/writer.ts, decision 0042): concurrent sends
// share transactions, each answered after the commit holding it, distinct and in one chain per
// room; a failing write inside a batch is undone alone; transaction ids stay idempotent.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type Session, type TestApp } from '../helpers.ts';
import { roomSteps, type RoomSteps } from '../room-helpers.ts';
import { eventsStore } from '../../src/storage/events.store.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

let t: TestApp;
let r: RoomSteps;
let alice: Session;
let bob: Session;
let roomId: string;
let otherRoom: string;
/** Room-write transactions begun on the database since the counter was last read (the batched
 *  writes of held push actions and search rows, decision 0047, run on their own timer: not
 *  counted). */
let begun = 0;

before(async () => {
  t = await createTestApp();
  r = roomSteps(t);
  alice = await t.register('alice');
  bob = await t.register('bob');
  roomId = await r.createRoom(alice, { preset: 'public_chat' });
  otherRoom = await r.createRoom(bob, { preset: 'public_chat' });
  await r.join(bob, roomId);
  const db = t.database.db;
  const transaction = db.transaction.bind(db);
  db.transaction = () => {
    if (!new Error().stack?.includes('HeldRows.flush')) begun++;
    return transaction();
  };
});
after(() => t.close());

const send = (s: Session, room: string, txnId: string, content: Record<string, unknown> = { msgtype: 'm.text', body: txnId }) =>
  t.req('PUT', `${V3}/rooms/${enc(room)}/send/m.room.message/${enc(txnId)}`, { token: s.token, body: content });

/** The room's events after `from` (exclusive), oldest first. */
async function eventsAfter(room: string, from: string, reader: Session = alice): Promise<{ event_id: string; content: { body?: string } }[]> {
  const page = await t.req('GET', `${V3}/rooms/${enc(room)}/messages?dir=b&limit=1000`, { token: reader.token });
  assert.equal(page.status, 200);
  const events = [...page.json.chunk].reverse() as { event_id: string; type: string; content: { body?: string } }[];
  return events.slice(events.findIndex((e) => e.event_id === from) + 1);
}

describe('group commit', () => {
  test('concurrent sends share transactions; every one answered with its own event, one chain per room', async () => {
    const start = await r.send(alice, roomId, 'start');
    const startOther = await r.send(bob, otherRoom, 'start');
    begun = 0;
    const N = 30;
    const answers = await Promise.all(
      Array.from({ length: N }, (_, i) => (i % 3 === 2 ? send(bob, otherRoom, `gc-other-${i}`) : send(i % 2 ? bob : alice, roomId, `gc-${i}`))),
    );
    for (const a of answers) assert.equal(a.status, 200, a.text);
    const ids = answers.map((a) => a.json.event_id as string);
    assert.equal(new Set(ids).size, N, 'distinct event ids');
    // Fewer transactions than writes: the writes arriving together were committed together.
    assert.ok(begun < N / 2, `${begun} transactions for ${N} sends`);

    for (const [room, from, want] of [
      [roomId, start, ids.filter((_, i) => i % 3 !== 2)],
      [otherRoom, startOther, ids.filter((_, i) => i % 3 === 2)],
    ] as const) {
      const events = await eventsAfter(room, from, bob);
      assert.deepEqual(new Set(events.map((e) => e.event_id)), new Set(want), 'every answered event is stored');
      // One chain: each event's only prev event is the one before it, depths one apart.
      let prev = (await eventsStore.byId(t.database.db, from))!;
      for (const e of events) {
        const row = (await eventsStore.byId(t.database.db, e.event_id))!;
        const pdu = JSON.parse(row.json) as { prev_events: string[]; depth: number };
        assert.deepEqual(pdu.prev_events, [prev.event_id]);
        assert.equal(pdu.depth, prev.depth + 1);
        assert.ok(row.stream_ordering > prev.stream_ordering);
        prev = row;
      }
    }
  });

  test('a bad event in a batch fails alone; the others are stored', async () => {
    const start = await r.send(alice, roomId, 'before-bad');
    const big = { msgtype: 'm.text', body: 'x'.repeat(70_000) };
    const answers = await Promise.all([
      send(alice, roomId, 'ok-1'),
      send(bob, roomId, 'too-big', big),
      send(alice, roomId, 'ok-2'),
      send(alice, '!nope:localhost', 'no-room'),
      send(bob, roomId, 'ok-3'),
    ]);
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 413, 200, 404, 200],
    );
    assert.equal(answers[1]!.json.errcode, 'M_TOO_LARGE');
    const events = await eventsAfter(roomId, start);
    assert.deepEqual(
      events.map((e) => e.content.body),
      ['ok-1', 'ok-2', 'ok-3'],
    );
  });

  test('a write that fails after persisting is undone alone, inside a shared transaction', async () => {
    const start = await r.send(alice, roomId, 'before-undo');
    const writer = t.services.rooms.writer;
    begun = 0;
    let undoneId = '';
    const message = (body: string) => ({ type: 'm.room.message', sender: alice.userId, content: { msgtype: 'm.text', body } });
    // Asked for in one turn of the event loop: one batch.
    const results = await Promise.allSettled([
      writer.write(roomId, (rt) => rt.persist(message('kept-1'))),
      writer.write(roomId, async (rt) => {
        undoneId = (await rt.persist(message('undone'))).event_id;
        throw new Error('fails after its event was written');
      }),
      writer.write(roomId, (rt) => rt.persist(message('kept-2'))),
    ]);
    assert.equal(results[0]!.status, 'fulfilled');
    assert.equal(results[1]!.status, 'rejected');
    assert.match(String((results[1] as PromiseRejectedResult).reason), /fails after its event was written/);
    assert.equal(results[2]!.status, 'fulfilled');
    assert.equal(begun, 1, 'the three writes shared one transaction');
    assert.notEqual(undoneId, '');
    assert.equal(await eventsStore.byId(t.database.db, undoneId), undefined, 'the failed write left no event');
    const events = await eventsAfter(roomId, start);
    assert.deepEqual(
      events.map((e) => e.content.body),
      ['kept-1', 'kept-2'],
    );
    // The next event follows the last kept one, not the undone one.
    const pdu = JSON.parse((await eventsStore.byId(t.database.db, events[1]!.event_id))!.json) as { prev_events: string[] };
    assert.deepEqual(pdu.prev_events, [events[0]!.event_id]);
    // Its push actions went with it (they are handed on only after a commit, decision 0047): bob's
    // hold the kept events and not the undone one, whether still in memory or written.
    const held = t.services.caches.heldRows;
    assert.ok(held, 'SQLite holds push actions in memory');
    const written = await t.database.db.selectFrom('event_push_actions').select('event_id').where('user_id', '=', bob.userId).execute();
    const bobs = [...held.of(bob.userId, roomId, 0), ...written].map((a) => a.event_id);
    assert.ok(bobs.includes(events[0]!.event_id) && bobs.includes(events[1]!.event_id), 'the kept events notify bob');
    assert.ok(!bobs.includes(undoneId), 'the undone event left no push action');
  });

  test('the same transaction id twice in one batch makes one event', async () => {
    const start = await r.send(alice, roomId, 'before-retry');
    begun = 0;
    const answers = await Promise.all([send(alice, roomId, 'retry-me'), send(alice, roomId, 'retry-me'), send(bob, roomId, 'retry-me')]);
    for (const a of answers) assert.equal(a.status, 200, a.text);
    assert.equal(begun, 1);
    assert.equal(answers[0]!.json.event_id, answers[1]!.json.event_id, 'a retry answers the first event');
    assert.notEqual(answers[2]!.json.event_id, answers[0]!.json.event_id, 'another user’s transaction id is their own');
    assert.equal((await eventsAfter(roomId, start)).length, 2);
  });
});
