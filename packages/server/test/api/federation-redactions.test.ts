// Redactions across federation (issue 22, decision 0033), in process: a remote redaction accepted
// over /send takes effect on its target (the sender's own server, or a sender with the redact
// level) and not otherwise; our reads for other servers (/event, /backfill) give a redacted event
// as the redaction left it, never its original content.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { createTestApp, type TestApp, type Session } from '../helpers.ts';
import { eventIdFor, generateSigningKey, hashAndSignEvent, publicKeyBase64, signJson } from '../../src/services/events/crypto.ts';
import { signRequest } from '../../src/federation/transport/x-matrix.ts';
import { remoteServerKeysStore } from '../../src/storage/remote-server-keys.store.ts';
import { roomsStore } from '../../src/storage/rooms.store.ts';
import { stateStore } from '../../src/storage/state.store.ts';

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


/** A v11 PDU of BOB's on the room's head, sent over /send; its id. */
async function remotePdu(c: Ctx, roomId: string, type: string, content: Record<string, unknown>): Promise<string> {
  const db = c.t.database.db;
  const room = await roomsStore.getRoom(db, roomId);
  assert.ok(room?.head_event_id);
  const auth = [
    await stateStore.currentStateEventId(db, roomId, 'm.room.create', ''),
    await stateStore.currentStateEventId(db, roomId, 'm.room.power_levels', ''),
    await stateStore.currentStateEventId(db, roomId, 'm.room.member', BOB),
  ];
  const k = keys[REMOTE] as { keyId: string; privateKey: KeyObject };
  const ev = hashAndSignEvent(
    { room_id: roomId, type, sender: BOB, content, origin_server_ts: Date.now(), depth: room.head_depth + 1, prev_events: [room.head_event_id], auth_events: auth },
    REMOTE,
    k.keyId,
    k.privateKey,
    '11',
  ) as Record<string, unknown>;
  const id = eventIdFor(ev, '11');
  const uri = `/_matrix/federation/v1/send/p${id.slice(1, 12)}`;
  const sendBody = { origin: REMOTE, origin_server_ts: Date.now(), pdus: [ev] };
  const res = await c.t.req('PUT', uri, { body: sendBody, headers: signed('PUT', uri, sendBody, REMOTE) });
  assert.deepEqual(res.json.pdus, { [id]: {} }, res.text);
  return id;
}

async function localEvent(c: Ctx, roomId: string, id: string) {
  const res = await c.t.req('GET', `${V3}/rooms/${enc(roomId)}/event/${enc(id)}`, { token: c.alice.token });
  assert.equal(res.status, 200, res.text);
  return res.json;
}

test("a remote redaction of its own server's event takes effect; of a local user's event without the redact level it does not", async () => {
  const c = await setup();
  const roomId = await c.room({ preset: 'public_chat' });
  await remoteJoin(c, roomId);
  const msg = await remotePdu(c, roomId, 'm.room.message', { msgtype: 'm.text', body: 'oops' });
  assert.equal((await localEvent(c, roomId, msg)).content.body, 'oops');
  const red = await remotePdu(c, roomId, 'm.room.redaction', { redacts: msg });
  const shown = await localEvent(c, roomId, msg);
  assert.deepEqual(shown.content, {}, 'the target is shown redacted');
  assert.equal(shown.unsigned?.redacted_because?.event_id, red);
  const mine = await c.t.req('PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/k1`, { token: c.alice.token, body: { msgtype: 'm.text', body: 'keep me' } });
  await remotePdu(c, roomId, 'm.room.redaction', { redacts: mine.json.event_id });
  assert.equal((await localEvent(c, roomId, mine.json.event_id)).content.body, 'keep me', 'BOB (level 0) may not redact alice');
});

test('/event and /backfill give another server a redacted event as the redaction left it', async () => {
  const c = await setup();
  const roomId = await c.room({ preset: 'public_chat' });
  await remoteJoin(c, roomId);
  const sent = await c.t.req('PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/s1`, { token: c.alice.token, body: { msgtype: 'm.text', body: 'secret' } });
  const id = sent.json.event_id as string;
  const red = await c.t.req('PUT', `${V3}/rooms/${enc(roomId)}/redact/${enc(id)}/r1`, { token: c.alice.token, body: {} });
  assert.equal(red.status, 200, red.text);
  const ev = await c.get(`/_matrix/federation/v1/event/${enc(id)}`);
  assert.equal(ev.status, 200, ev.text);
  assert.deepEqual(ev.json.pdus[0].content, {});
  const back = await c.get(`/_matrix/federation/v1/backfill/${enc(roomId)}?v=${enc(red.json.event_id)}&limit=5`);
  assert.equal(back.status, 200, back.text);
  const target = back.json.pdus.find((p: Record<string, unknown>) => eventIdFor(p, '11') === id);
  assert.ok(target, 'the redacted event is in the backfill, under its own id');
  assert.deepEqual(target.content, {});
});
