// Backfill from another server, in process (issue 22, decision 0033): a remote message whose
// prev_event we lack leaves a gap; the backfiller asks a (fake) resident server for it and keeps
// only what passes the checks — a forged signature, an event of another room and one failing
// auth are dropped, the real one is stored below every stream position (never in /sync), shown
// by /messages; a room whose history is for joined members only is not backfilled at all.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { createTestApp, type TestApp, type Session } from '../helpers.ts';
import { eventIdFor, generateSigningKey, hashAndSignEvent, publicKeyBase64, signJson } from '../../src/services/events/crypto.ts';
import { signRequest } from '../../src/federation/transport/x-matrix.ts';
import { remoteServerKeysStore } from '../../src/storage/remote-server-keys.store.ts';
import { roomsStore } from '../../src/storage/rooms.store.ts';
import { stateStore } from '../../src/storage/state.store.ts';
import { eventsStore } from '../../src/storage/events.store.ts';
import { createFederation } from '../../src/federation/index.ts';
import { Backfiller } from '../../src/federation/outbound/backfill.ts';

const US = 'hs1.example';
const REMOTE = '127.0.0.1:9';
const STRANGER = '127.0.0.2:9';
const keys: Record<string, { keyId: string; privateKey: KeyObject }> = { [REMOTE]: generateSigningKey(), [STRANGER]: generateSigningKey() };
const BOB = `@bob:${REMOTE}`;
const enc = encodeURIComponent;
const V3 = '/_matrix/client/v3';

const apps: TestApp[] = [];
after(async () => {
  for (const a of apps) await a.close();
});

async function seedKey(t: TestApp, server: string): Promise<void> {
  const k = keys[server] as { keyId: string; privateKey: KeyObject };
  const now = Date.now();
  const doc = signJson({ server_name: server, verify_keys: { [k.keyId]: { key: publicKeyBase64(k.privateKey) } }, valid_until_ts: now + 86_400_000 }, server, k.keyId, k.privateKey);
  await remoteServerKeysStore.upsert(t.database.db, [
    { serverName: server, keyId: k.keyId, key: publicKeyBase64(k.privateKey), validUntilTs: doc.valid_until_ts, expiredTs: null, fetchedTs: now, responseJson: JSON.stringify(doc) },
  ]);
}

function signed(method: string, uri: string, body: unknown, origin: string) {
  const k = keys[origin] as { keyId: string; privateKey: KeyObject };
  return { authorization: signRequest({ method, uri, origin, destination: US, ...(body !== undefined ? { content: body } : {}) }, k.keyId, k.privateKey) };
}

interface Ctx {
  t: TestApp;
  alice: Session;
  get(uri: string, origin?: string): ReturnType<TestApp['req']>;
  post(uri: string, body: unknown, origin?: string): ReturnType<TestApp['req']>;
  room(body: Record<string, unknown>): Promise<string>;
}

async function setup(): Promise<Ctx> {
  const t = await createTestApp({ config: { 'server-name': US, federation: 'on' } });
  apps.push(t);
  await seedKey(t, REMOTE);
  await seedKey(t, STRANGER);
  const alice = await t.register('alice');
  return {
    t,
    alice,
    get: (uri, origin = REMOTE) => t.req('GET', uri, { headers: signed('GET', uri, undefined, origin) }),
    post: (uri, body, origin = REMOTE) => t.req('POST', uri, { body, headers: signed('POST', uri, body, origin) }),
    async room(body) {
      const res = await t.req('POST', `${V3}/createRoom`, { token: alice.token, body });
      assert.equal(res.status, 200, res.text);
      return res.json.room_id;
    },
  };
}

/** BOB joins the room over a signed /send (a v11 PDU on the room's head). */
async function remoteJoin(c: Ctx, roomId: string): Promise<void> {
  const db = c.t.database.db;
  const room = await roomsStore.getRoom(db, roomId);
  assert.ok(room?.head_event_id);
  const auth = await Promise.all(['m.room.create', 'm.room.power_levels', 'm.room.join_rules'].map((type) => stateStore.currentStateEventId(db, roomId, type, '')));
  const k = keys[REMOTE] as { keyId: string; privateKey: KeyObject };
  const ev = hashAndSignEvent(
    { room_id: roomId, type: 'm.room.member', state_key: BOB, sender: BOB, content: { membership: 'join' }, origin_server_ts: Date.now(), depth: room.head_depth + 1, prev_events: [room.head_event_id], auth_events: auth },
    REMOTE,
    k.keyId,
    k.privateKey,
    '11',
  ) as Record<string, unknown>;
  const uri = `/_matrix/federation/v1/send/j${Date.now()}`;
  const body = { origin: REMOTE, origin_server_ts: Date.now(), pdus: [ev] };
  const res = await c.t.req('PUT', uri, { body, headers: signed('PUT', uri, body, REMOTE) });
  assert.deepEqual(res.json.pdus, { [eventIdFor(ev, '11')]: {} }, res.text);
}


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
