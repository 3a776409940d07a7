// What a linear inbound PDU reads (decision 0046): an event whose one prev event is the room's only
// forward extremity has the current state before it, so accepting it reads from the room's state
// only the keys the auth rules need and its own key — not the room's whole state history
// (`stateStore.stateAt`) nor its whole current state (`stateStore.currentState`), whatever the
// room's size. Counted with a spy on those two store reads, in a room of 300 extra state events.
// And when another event reaches the room while its state is read, or between the checks and the
// write (the extremity moved), the state before the event is computed in full, as for any fork.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { eventIdFor, hashAndSignEvent } from '../../src/services/events/crypto.ts';
import { eventStateStore } from '../../src/storage/event-state.store.ts';
import { eventsStore } from '../../src/storage/events.store.ts';
import { federationInboundStore } from '../../src/storage/federation-inbound.store.ts';
import { roomsStore } from '../../src/storage/rooms.store.ts';
import { stateStore } from '../../src/storage/state.store.ts';
import { BOB, REMOTE, V3, enc, keys, remoteJoin, setup, signed, type Ctx } from '../federation-fixture.ts';

const STATE = 300;

interface Ev {
  type: string;
  content: Record<string, unknown>;
  stateKey?: string;
}

/** A public room where BOB (joined over /send) has power `level`, with `extra` state events of his. */
async function bigRoom(extra: number, level = 100) {
  const c: Ctx = await setup();
  const db = c.t.database.db;
  const roomId = await c.room({ preset: 'public_chat', power_level_content_override: { users: { [c.alice.userId]: 100, [BOB]: level } } });
  await remoteJoin(c, roomId);
  const auth: string[] = [];
  for (const [type, key] of [['m.room.create', ''], ['m.room.power_levels', ''], ['m.room.member', BOB]] as const) {
    const id = await stateStore.currentStateEventId(db, roomId, type, key);
    assert.ok(id, type);
    auth.push(id);
  }
  const room = await roomsStore.getRoom(db, roomId);
  assert.ok(room?.head_event_id);
  const r = { c, db, roomId, head: room.head_event_id, depth: room.head_depth, txn: 0 };
  const k = keys[REMOTE] as { keyId: string; privateKey: KeyObject };
  /** PDUs of BOB's, the first on `prev` (default: the last one sent), each on the one before, in one transaction. */
  const send = async (evs: Ev[], prev = r.head): Promise<string[]> => {
    const pdus: Record<string, unknown>[] = [];
    const ids: string[] = [];
    let on = prev;
    for (const ev of evs) {
      const pdu = hashAndSignEvent(
        { room_id: roomId, type: ev.type, sender: BOB, content: ev.content, origin_server_ts: Date.now(), depth: ++r.depth, prev_events: [on], auth_events: auth, ...(ev.stateKey !== undefined ? { state_key: ev.stateKey } : {}) },
        REMOTE,
        k.keyId,
        k.privateKey,
        '11',
      ) as Record<string, unknown>;
      on = eventIdFor(pdu, '11');
      pdus.push(pdu);
      ids.push(on);
    }
    r.head = on;
    const uri = `/_matrix/federation/v1/send/lin${++r.txn}`;
    const body = { origin: REMOTE, origin_server_ts: Date.now(), pdus };
    const res = await c.t.req('PUT', uri, { body, headers: signed('PUT', uri, body, REMOTE) });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.pdus, Object.fromEntries(ids.map((id) => [id, {}])), res.text);
    return ids;
  };
  for (let i = 0; i < extra; i += 50) {
    await send(Array.from({ length: Math.min(50, extra - i) }, (_, j) => ({ type: 'bench.state', stateKey: `k${i + j}`, content: { n: i + j } })));
  }
  return { ...r, send };
}

test('a linear PDU in a room of many state events reads O(1) state rows, and is stored as before', async () => {
  const { c, db, roomId, send } = await bigRoom(STATE);
  const stateSize = (await stateStore.currentState(db, roomId)).length;
  assert.ok(stateSize > STATE, `room has ${stateSize} state events`);

  // Spy on the two reads that return a whole state.
  let rows = 0;
  const { stateAt, currentState } = stateStore;
  stateStore.stateAt = async (...args: Parameters<typeof stateAt>) => {
    const out = await stateAt(...args);
    rows += out.length;
    return out;
  };
  stateStore.currentState = async (...args: Parameters<typeof currentState>) => {
    const out = await currentState(...args);
    rows += out.length;
    return out;
  };
  let ids: string[];
  try {
    ids = await send([
      { type: 'm.room.message', content: { msgtype: 'm.text', body: 'one' } },
      { type: 'm.room.message', content: { msgtype: 'm.text', body: 'two' } },
      { type: 'bench.state', stateKey: 'k7', content: { n: 'seven' } },
      { type: 'bench.state', stateKey: 'new', content: { n: 'new' } },
      { type: 'm.room.message', content: { msgtype: 'm.text', body: 'three' } },
    ]);
  } finally {
    stateStore.stateAt = stateAt;
    stateStore.currentState = currentState;
  }
  assert.ok(rows <= 5 * 10, `5 linear PDUs read ${rows} state rows (the room has ${stateSize})`);

  // Stored as before: the timeline, the current state (own keys only), prev_content, the extremity.
  for (const id of ids) assert.ok(await eventsStore.byId(db, id), 'in the timeline');
  const after = await stateStore.currentState(db, roomId);
  assert.equal(after.length, stateSize + 1, 'one new key, nothing dropped');
  assert.equal(await stateStore.currentStateEventId(db, roomId, 'bench.state', 'k7'), ids[2]);
  assert.equal(await stateStore.currentStateEventId(db, roomId, 'bench.state', 'new'), ids[3]);
  const seven = await eventsStore.byId(db, ids[2] as string);
  assert.deepEqual(JSON.parse(seven?.prev_content ?? 'null'), { n: 7 });
  const rs = await c.get(`/_matrix/federation/v1/state_ids/${enc(roomId)}?event_id=${enc(ids[4] as string)}`);
  assert.equal(rs.status, 200, rs.text);
  const stateIds = rs.json.pdu_ids as string[];
  assert.equal(stateIds.length, stateSize + 1);
  assert.ok(stateIds.includes(ids[2] as string) && stateIds.includes(ids[3] as string));
});

test('an event that reached the room while the state was read: checked against the state after its prev event, then soft-failed', async () => {
  const { c, db, roomId, send } = await bigRoom(20, 50);
  // When the acceptor reads BOB's auth keys for the PDU, alice bans BOB (a local event on the same head).
  let banned = false;
  const { currentStateRefs } = stateStore;
  stateStore.currentStateRefs = async (...args: Parameters<typeof currentStateRefs>) => {
    if (!banned && args[1] === roomId && args[2].some(([t, k]) => t === 'm.room.member' && k === BOB)) {
      banned = true;
      const res = await c.t.req('POST', `${V3}/rooms/${enc(roomId)}/ban`, { token: c.alice.token, body: { user_id: BOB } });
      assert.equal(res.status, 200, res.text);
    }
    return currentStateRefs(...args);
  };
  let ids: string[];
  try {
    // Rejected (and remembered so) when checked against the state read after the ban.
    ids = await send([{ type: 'm.room.message', content: { msgtype: 'm.text', body: 'before the ban' } }]);
  } finally {
    stateStore.currentStateRefs = currentStateRefs;
  }
  assert.ok(banned);
  const [out] = await federationInboundStore.outliersByIds(db, ids);
  assert.equal(out?.status, 'soft_failed', 'allowed by the state before it, not by the current state');
  assert.equal(await eventsStore.byId(db, ids[0] as string), undefined);
});

test('an event that moved the extremity between the checks and the write: the state before is computed in full', async () => {
  const { c, db, roomId, head, send } = await bigRoom(20);
  // When the acceptor has checked the PDU (its second read of the extremities, the re-check after
  // reading the state; the third is under the room's lock), a local message lands on the same head.
  let local: string | undefined;
  let reads = 0;
  let fullReads = 0;
  const { forwardExtremities } = federationInboundStore;
  const { stateAtEvent } = eventStateStore;
  federationInboundStore.forwardExtremities = async (...args: Parameters<typeof forwardExtremities>) => {
    const out = await forwardExtremities(...args);
    if (local === undefined && args[1] === roomId && ++reads === 2) {
      local = '';
      const res = await c.t.req('PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/race1`, { token: c.alice.token, body: { msgtype: 'm.text', body: 'meanwhile' } });
      assert.equal(res.status, 200, res.text);
      local = res.json.event_id as string;
    }
    return out;
  };
  eventStateStore.stateAtEvent = async (...args: Parameters<typeof stateAtEvent>) => {
    fullReads++;
    return stateAtEvent(...args);
  };
  let ids: string[];
  try {
    ids = await send([{ type: 'bench.state', stateKey: 'race', content: { n: 'race' } }]);
  } finally {
    federationInboundStore.forwardExtremities = forwardExtremities;
    eventStateStore.stateAtEvent = stateAtEvent;
  }
  assert.ok(local, 'the local message was sent in between');
  assert.ok(fullReads > 0, 'the state before was read in full under the lock');
  const local0 = await eventsStore.byId(db, local);
  assert.deepEqual(JSON.parse(local0?.json ?? '{}').prev_events, [head], 'the local message is on the same head');
  // Both are forward extremities; the current state holds the remote key and every older one.
  assert.deepEqual(new Set(await federationInboundStore.forwardExtremities(db, roomId)), new Set([local, ids[0]]));
  assert.equal(await stateStore.currentStateEventId(db, roomId, 'bench.state', 'race'), ids[0]);
  assert.ok(await stateStore.currentStateEventId(db, roomId, 'bench.state', 'k19'));
  const rows = await db.selectFrom('event_state_deltas').select('event_id').where('event_id', '=', ids[0] as string).execute();
  assert.equal(rows.length, 0, 'its state before equals the history (a message came between)');
});
