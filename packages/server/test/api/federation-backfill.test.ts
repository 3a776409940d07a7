// Backfill from another server, in process (issue 22, decision 0033): a remote message whose
// prev_event we lack leaves a gap; the backfiller asks a (fake) resident server for it and keeps
// only what passes the checks — a forged signature, an event of another room and one failing
// auth are dropped, the real one is stored below every stream position (never in /sync), shown
// by /messages; a room whose history is for joined members only is not backfilled at all; the state
// at a backfilled event is not known, and not invented (decision 0037).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { eventIdFor, generateSigningKey, hashAndSignEvent } from '../../src/services/events/crypto.ts';
import { roomsStore } from '../../src/storage/rooms.store.ts';
import { stateStore } from '../../src/storage/state.store.ts';
import { eventsStore } from '../../src/storage/events.store.ts';
import { eventStateStore } from '../../src/storage/event-state.store.ts';
import { createFederation } from '../../src/federation/index.ts';
import { Backfiller } from '../../src/federation/outbound/backfill.ts';

import { BOB, type Ctx, REMOTE, V3, enc, keys, remoteJoin, setup, signed } from '../federation-fixture.ts';


/** A v11 PDU of BOB's (not sent): on `prev`, with BOB's current auth events. */
async function bobPdu(c: Ctx, roomId: string, body: string, prev: string[], depth: number, opts: { roomId?: string; key?: { keyId: string; privateKey: KeyObject } } = {}) {
  const db = c.t.database.db;
  const auth = [
    await stateStore.currentStateEventId(db, roomId, 'm.room.create', ''),
    await stateStore.currentStateEventId(db, roomId, 'm.room.power_levels', ''),
    await stateStore.currentStateEventId(db, roomId, 'm.room.member', BOB),
  ];
  const k = opts.key ?? (keys[REMOTE] as { keyId: string; privateKey: KeyObject });
  const ev = hashAndSignEvent(
    { room_id: opts.roomId ?? roomId, type: 'm.room.message', sender: BOB, content: { msgtype: 'm.text', body }, origin_server_ts: Date.now(), depth, prev_events: prev, auth_events: auth },
    REMOTE,
    k.keyId,
    k.privateKey,
    '11',
  ) as Record<string, unknown>;
  return { ev, id: eventIdFor(ev, '11') };
}

async function gapRoom(c: Ctx, preset: Record<string, unknown>) {
  const roomId = await c.room(preset);
  await remoteJoin(c, roomId);
  const room = await roomsStore.getRoom(c.t.database.db, roomId);
  assert.ok(room?.head_event_id);
  const missing = await bobPdu(c, roomId, 'the missing one', [room.head_event_id], room.head_depth + 1);
  const after = await bobPdu(c, roomId, 'after the gap', [missing.id], room.head_depth + 2);
  const uri = `/_matrix/federation/v1/send/g${after.id.slice(1, 12)}`;
  const sendBody = { origin: REMOTE, origin_server_ts: Date.now(), pdus: [after.ev] };
  const res = await c.t.req('PUT', uri, { body: sendBody, headers: signed('PUT', uri, sendBody, REMOTE) });
  assert.deepEqual(res.json.pdus, { [after.id]: {} }, res.text);
  assert.equal(await eventsStore.byId(c.t.database.db, missing.id), undefined, 'a gap: the prev event is not held');
  return { roomId, missing, after, head: room.head_event_id, depth: room.head_depth };
}

async function backfillerAnswering(c: Ctx, answer: (path: string) => unknown[]) {
  const f = await createFederation({ config: c.t.config, db: c.t.database.db, logger: { warn: () => undefined } });
  const asked: string[] = [];
  const fake = { ...f, signedRequest: async (_d: string, _m: string, path: string) => (asked.push(path), { status: 200, json: { pdus: answer(path) } }) } as unknown as typeof f;
  return { backfiller: new Backfiller(c.t.database.db, fake), asked, close: () => f.close() };
}

test('backfill keeps only checked events: forged, other-room and unauthorised ones dropped; the real one stored below every position, not in /sync', async () => {
  const c = await setup();
  const g = await gapRoom(c, { preset: 'public_chat' });
  const other = await c.room({ preset: 'public_chat' });
  const forged = await bobPdu(c, g.roomId, 'forged', [g.head], g.depth + 1, { key: generateSigningKey() });
  const elsewhere = await bobPdu(c, g.roomId, 'other room', [g.head], g.depth + 1, { roomId: other });
  const stranger = `@eve:${REMOTE}`;
  const unauthorised = hashAndSignEvent(
    { ...(await bobPdu(c, g.roomId, 'x', [g.head], g.depth + 1)).ev, sender: stranger, signatures: undefined, hashes: undefined },
    REMOTE,
    (keys[REMOTE] as { keyId: string }).keyId,
    (keys[REMOTE] as { privateKey: KeyObject }).privateKey,
    '11',
  ) as Record<string, unknown>;
  const since = (await c.t.req('GET', `${V3}/sync?timeout=0`, { token: c.alice.token })).json.next_batch;
  const b = await backfillerAnswering(c, () => [forged.ev, elsewhere.ev, unauthorised, g.missing.ev]);
  try {
    assert.equal(await b.backfiller.backfill(g.roomId, 10), 1);
    assert.ok(b.asked[0]?.includes(`v=${enc(g.missing.id)}`), b.asked[0]);
  } finally {
    await b.close();
  }
  const row = await eventsStore.byId(c.t.database.db, g.missing.id);
  assert.ok(row && Number(row.stream_ordering) < 0, 'stored below every position');
  for (const id of [forged.id, elsewhere.id, eventIdFor(unauthorised, '11')]) assert.equal(await eventsStore.byId(c.t.database.db, id), undefined, id);
  const page = await c.t.req('GET', `${V3}/rooms/${enc(g.roomId)}/messages?dir=b&limit=100`, { token: c.alice.token });
  assert.ok(page.json.chunk.some((e: { event_id: string }) => e.event_id === g.missing.id), 'shown by /messages');
  const s = await c.t.req('GET', `${V3}/sync?timeout=0&since=${enc(since)}`, { token: c.alice.token });
  const tl = s.json.rooms?.join?.[g.roomId]?.timeline?.events ?? [];
  assert.ok(!tl.some((e: { event_id: string }) => e.event_id === g.missing.id), 'never in /sync');
});

test('a room whose history is for joined members only is not backfilled (nothing asked)', async () => {
  const c = await setup();
  const g = await gapRoom(c, { preset: 'public_chat', initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } }] });
  const b = await backfillerAnswering(c, () => [g.missing.ev]);
  try {
    assert.equal(await b.backfiller.backfill(g.roomId, 10), 0);
    assert.deepEqual(b.asked, []);
  } finally {
    await b.close();
  }
  assert.equal(await eventsStore.byId(c.t.database.db, g.missing.id), undefined);
});

test('a backfilled event has no known state (decision 0037): /state_ids and /state answer 404 M_NOT_FOUND, /event serves it redacted', async () => {
  const c = await setup();
  const g = await gapRoom(c, { preset: 'public_chat' });
  const b = await backfillerAnswering(c, () => [g.missing.ev]);
  try {
    assert.equal(await b.backfiller.backfill(g.roomId, 10), 1);
  } finally {
    await b.close();
  }
  assert.deepEqual(await eventStateStore.stateAtEvent(c.t.database.db, g.missing.id), { roomId: g.roomId, state: undefined });
  for (const kind of ['state_ids', 'state']) {
    const res = await c.get(`/_matrix/federation/v1/${kind}/${enc(g.roomId)}?event_id=${enc(g.missing.id)}`);
    assert.equal(res.status, 404, `${kind}: ${res.text}`);
    assert.equal(res.json.errcode, 'M_NOT_FOUND');
  }
  const ev = await c.get(`/_matrix/federation/v1/event/${enc(g.missing.id)}`);
  assert.equal(ev.status, 200, ev.text);
  assert.deepEqual(ev.json.pdus[0].content, {}, 'not known to be visible: redacted');
  // The event after the gap (received over /send) keeps its state.
  const after = await c.get(`/_matrix/federation/v1/state_ids/${enc(g.roomId)}?event_id=${enc(g.after.id)}`);
  assert.equal(after.status, 200, after.text);
  assert.ok(after.json.pdu_ids.length >= 5, after.text);
});
