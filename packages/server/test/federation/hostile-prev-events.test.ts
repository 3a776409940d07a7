// Endless prev_events chains from a hostile server (issue 21), in process over /send, with the
// origin's answers to get_missing_events faked: an answer carrying a deep chain (1,000 events,
// each pointing at an older one never sent), and a transaction whose PDUs point at 20 missing
// events each, every fetched event pointing at 20 more. The receiver stays bounded — one
// get_missing_events per received PDU, at most LIMITS.missingEvents events taken from an answer,
// fetched events never fetch further — answers 200 with a result per PDU, stores none of the
// events that failed the checks, and keeps serving other requests. And a PDU claiming the largest
// depth: local events after it keep a depth Canonical JSON allows.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, type KeyObject } from 'node:crypto';
import { createFederation } from '../../src/federation/index.ts';
import { LIMITS } from '../../src/federation/inbound/accept.ts';
import { eventIdFor, generateSigningKey, hashAndSignEvent } from '../../src/services/events/crypto.ts';
import { eventsStore } from '../../src/storage/events.store.ts';
import { roomsStore } from '../../src/storage/rooms.store.ts';
import { stateStore } from '../../src/storage/state.store.ts';
import { BOB, REMOTE, V3, keys, remoteJoin, setup, signed, type Ctx } from '../federation-fixture.ts';

interface Asked {
  path: string;
  body: { earliest_events: string[]; latest_events: string[]; limit: number; min_depth: number };
}

/** The in-process app whose federation requests to other servers are answered by `answer`. */
async function hostileSetup(answer: (a: Asked) => unknown[]) {
  const asked: Asked[] = [];
  const c = await setup({
    federation: async (config, database) => {
      const f = await createFederation({ config, db: database.db, logger: { warn: () => undefined } });
      return {
        ...f,
        signedRequest: async (_origin: string, method: string, path: string, body?: unknown) => {
          if (method === 'POST' && path.startsWith('/_matrix/federation/v1/get_missing_events/')) {
            const a = { path, body: body as Asked['body'] };
            asked.push(a);
            return { status: 200, json: { events: answer(a) } };
          }
          return { status: 404, json: { errcode: 'M_NOT_FOUND', error: 'no' } };
        },
      } as typeof f;
    },
  });
  const roomId = await c.room({ preset: 'public_chat' });
  await remoteJoin(c, roomId);
  const db = c.t.database.db;
  const auth: string[] = [];
  for (const [type, key] of [['m.room.create', ''], ['m.room.power_levels', ''], ['m.room.member', BOB]] as const) auth.push((await stateStore.currentStateEventId(db, roomId, type, key)) as string);
  return { c, roomId, auth, asked };
}

/** A message of BOB's, signed with `key` (REMOTE's by default). */
function message(roomId: string, auth: string[], prev: string[], depth: number, body: string, key = keys[REMOTE] as { keyId: string; privateKey: KeyObject }) {
  const ev = hashAndSignEvent(
    { room_id: roomId, type: 'm.room.message', sender: BOB, content: { msgtype: 'm.text', body }, origin_server_ts: Date.now(), depth, prev_events: prev, auth_events: auth },
    REMOTE,
    key.keyId,
    key.privateKey,
    '11',
  ) as Record<string, unknown>;
  return { ev, id: eventIdFor(ev, '11') };
}

/** An id of an event nobody will ever send. */
const nowhere = () => `$${randomBytes(32).toString('base64url')}`;

let txn = 0;
async function send(c: Ctx, pdus: unknown[]) {
  const uri = `/_matrix/federation/v1/send/hostile${++txn}`;
  const body = { origin: REMOTE, origin_server_ts: Date.now(), pdus };
  return c.t.req('PUT', uri, { body, headers: signed('PUT', uri, body, REMOTE) });
}

async function count(c: Ctx, table: 'events' | 'backward_extremities' | 'forward_extremities', roomId: string): Promise<number> {
  const row = await c.t.database.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where('room_id', '=', roomId).executeTakeFirst();
  return Number(row?.n ?? 0);
}

test('get_missing_events answered with a deep chain (1,000 events, each after an older missing one): one request, at most LIMITS.missingEvents of them taken, the PDU accepted', async () => {
  const chain: { ev: Record<string, unknown>; id: string }[] = [];
  const h = await hostileSetup(() => chain.map((m) => m.ev));
  const room = await roomsStore.getRoom(h.c.t.database.db, h.roomId);
  assert.ok(room);
  // Built oldest first: the oldest points at an event that does not exist anywhere.
  const top = room.head_depth + 2000;
  let prev = nowhere();
  const oldestFirst: { ev: Record<string, unknown>; id: string }[] = [];
  for (let i = 1000; i >= 1; i--) {
    const m = message(h.roomId, h.auth, [prev], top - i, `deep ${i}`);
    oldestFirst.push(m);
    prev = m.id;
  }
  chain.push(...oldestFirst.reverse()); // newest first, as a server walking back answers
  const tip = message(h.roomId, h.auth, [prev], top, 'on top of a deep chain');
  const before = await count(h.c, 'events', h.roomId);
  const started = performance.now();
  const res = await send(h.c, [tip.ev]);
  const ms = performance.now() - started;
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json.pdus, { [tip.id]: {} });
  assert.equal(h.asked.length, 1, 'one get_missing_events for the PDU, none for the events it returned');
  assert.equal(h.asked[0]?.body.limit, LIMITS.missingEvents);
  assert.deepEqual(h.asked[0]?.body.latest_events, [tip.id]);
  assert.equal(h.asked[0]?.body.min_depth, top - LIMITS.missingDepthWindow);
  const stored = (await count(h.c, 'events', h.roomId)) - before;
  assert.equal(stored, LIMITS.missingEvents + 1, 'the newest 20 of the chain and the PDU');
  for (const m of chain.slice(LIMITS.missingEvents)) assert.equal(await eventsStore.byId(h.c.t.database.db, m.id), undefined);
  assert.equal(await count(h.c, 'backward_extremities', h.roomId), 1, 'the chain stops at one gap: where a backfill would start');
  assert.equal(await count(h.c, 'forward_extremities', h.roomId), 2, "the room's head and the tip of the chain");
  // The room and the server go on: a local message follows both.
  const local = await h.c.t.req('PUT', `${V3}/rooms/${encodeURIComponent(h.roomId)}/send/m.room.message/after`, { token: h.c.alice.token, body: { msgtype: 'm.text', body: 'still here' } });
  assert.equal(local.status, 200, local.text);
  assert.ok(JSON.parse((await eventsStore.byId(h.c.t.database.db, local.json.event_id))?.json ?? '{}').prev_events.includes(tip.id));
  assert.ok(ms < 30_000, `${ms} ms`);
});

test('a transaction whose PDUs point at 20 missing events each, every fetched event at 20 more: one fetch per PDU, failures not stored, 200 with a result per PDU, other requests served', async (t) => {
  const forged: string[] = [];
  const elsewhere: string[] = [];
  const at = { roomId: '', auth: [] as string[], other: '' };
  const h = await hostileSetup((a) => {
    // Each answer: LIMITS.missingEvents events, two of them failing the checks, every one pointing
    // at 20 events that exist nowhere; then more than the limit.
    const depth = a.body.min_depth + 10;
    const out: unknown[] = [];
    const bad = message(at.roomId, at.auth, [nowhere()], depth, 'forged', generateSigningKey());
    forged.push(bad.id);
    const away = message(at.other, at.auth, [nowhere()], depth, 'another room');
    elsewhere.push(away.id);
    out.push(bad.ev, away.ev);
    for (let i = 0; i < LIMITS.missingEvents + 10; i++) out.push(message(at.roomId, at.auth, Array.from({ length: LIMITS.prevEvents }, nowhere), depth, `fetched ${i}`).ev);
    return out;
  });
  Object.assign(at, { roomId: h.roomId, auth: h.auth, other: await h.c.room({ preset: 'public_chat' }) });
  const room = await roomsStore.getRoom(h.c.t.database.db, h.roomId);
  assert.ok(room);
  const n = 10;
  const pdus = Array.from({ length: n }, (_, i) => message(h.roomId, h.auth, Array.from({ length: LIMITS.prevEvents }, nowhere), room.head_depth + 100, `top ${i}`));
  const tooMany = message(h.roomId, h.auth, Array.from({ length: LIMITS.prevEvents + 1 }, nowhere), room.head_depth + 100, 'too many prev_events');
  const before = await count(h.c, 'events', h.roomId);
  const started = performance.now();
  const sending = send(h.c, [...pdus.map((p) => p.ev), tooMany.ev]);
  // Served while the transaction is being applied.
  const versionsStarted = performance.now();
  const versions = await h.c.t.req('GET', '/_matrix/client/versions');
  const versionsMs = performance.now() - versionsStarted;
  const res = await sending;
  const ms = performance.now() - started;
  assert.equal(versions.status, 200);
  assert.equal(res.status, 200, res.text);
  const results = res.json.pdus as Record<string, { error?: string }>;
  assert.equal(Object.keys(results).length, n + 1);
  for (const p of pdus) assert.deepEqual(results[p.id], {}, p.id);
  assert.match(results[tooMany.id]?.error ?? '', /prev_events lists 21 events, more than 20/);
  assert.equal(h.asked.length, n, 'one get_missing_events per PDU with missing prev events; none for fetched events');
  const stored = (await count(h.c, 'events', h.roomId)) - before;
  assert.equal(stored, n + n * (LIMITS.missingEvents - 2), 'each PDU and the checked events of its one answer');
  for (const id of [...forged, ...elsewhere, tooMany.id]) assert.equal(await eventsStore.byId(h.c.t.database.db, id), undefined, id);
  const outliers = await h.c.t.database.db.selectFrom('event_outliers').select('event_id').where('event_id', 'in', [...forged, ...elsewhere]).execute();
  assert.deepEqual(outliers, []);
  const [fwd, back] = [await count(h.c, 'forward_extremities', h.roomId), await count(h.c, 'backward_extremities', h.roomId)];
  t.diagnostic(`${n} PDUs × ${LIMITS.prevEvents} missing prev_events: ${stored} events stored in ${Math.round(ms)} ms, ${fwd} forward and ${back} backward extremities; /versions answered in ${Math.round(versionsMs)} ms meanwhile`);
  assert.ok(ms < 60_000, `${ms} ms`);
  // Both extremity sets are bounded per room (decision 0043; 191 and 3,800 before).
  assert.ok(fwd <= LIMITS.forwardExtremities, `${fwd} forward extremities`);
  assert.ok(back <= LIMITS.backwardExtremities, `${back} backward extremities`);
  // The room goes on: a local message points at no more than 10 of them and merges those.
  const local = await h.c.t.req('PUT', `${V3}/rooms/${encodeURIComponent(h.roomId)}/send/m.room.message/after-flood`, { token: h.c.alice.token, body: { msgtype: 'm.text', body: 'still here' } });
  assert.equal(local.status, 200, local.text);
  const prevs = JSON.parse((await eventsStore.byId(h.c.t.database.db, local.json.event_id))?.json ?? '{}').prev_events as string[];
  assert.ok(prevs.length >= 1 && prevs.length <= 10, `${prevs.length} prev_events`);
  assert.equal(await count(h.c, 'forward_extremities', h.roomId), fwd - prevs.length + 1);
});

test('a PDU claiming the largest depth Canonical JSON allows: accepted, and local events after it still have a valid depth (capped, not past 2^53 − 1)', async () => {
  const h = await hostileSetup(() => []);
  const db = h.c.t.database.db;
  const room = await roomsStore.getRoom(db, h.roomId);
  assert.ok(room?.head_event_id);
  const deep = message(h.roomId, h.auth, [room.head_event_id], Number.MAX_SAFE_INTEGER, 'as deep as it gets');
  assert.deepEqual((await send(h.c, [deep.ev])).json.pdus, { [deep.id]: {} });
  for (const txnId of ['d1', 'd2']) {
    const local = await h.c.t.req('PUT', `${V3}/rooms/${encodeURIComponent(h.roomId)}/send/m.room.message/${txnId}`, { token: h.c.alice.token, body: { msgtype: 'm.text', body: txnId } });
    assert.equal(local.status, 200, local.text);
    assert.equal(JSON.parse((await eventsStore.byId(db, local.json.event_id))?.json ?? '{}').depth, Number.MAX_SAFE_INTEGER);
  }
});
