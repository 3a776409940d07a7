// In-process federation fixture shared by the federation tests: a fake remote server's signing key
// seeded into the key cache, signed requests, a room BOB (remote) joins over a signed /send, and
// crafted PDUs of BOB's (forks, merges) delivered over /send.

import { after } from 'node:test';
import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { createTestApp, type TestApp, type Session } from './helpers.ts';
import { eventIdFor, generateSigningKey, hashAndSignEvent, publicKeyBase64, signJson } from '../src/services/events/crypto.ts';
import { signRequest } from '../src/federation/transport/x-matrix.ts';
import { remoteServerKeysStore } from '../src/storage/remote-server-keys.store.ts';
import { eventsStore } from '../src/storage/events.store.ts';
import { roomsStore } from '../src/storage/rooms.store.ts';
import { stateStore } from '../src/storage/state.store.ts';

export const US = 'hs1.example';
export const REMOTE = '127.0.0.1:9';
export const STRANGER = '127.0.0.2:9';
export const keys: Record<string, { keyId: string; privateKey: KeyObject }> = { [REMOTE]: generateSigningKey(), [STRANGER]: generateSigningKey() };
export const BOB = `@bob:${REMOTE}`;
export const enc = encodeURIComponent;
export const V3 = '/_matrix/client/v3';

export const apps: TestApp[] = [];
after(async () => {
  for (const a of apps) await a.close();
});

export async function seedKey(t: TestApp, server: string): Promise<void> {
  const k = keys[server] as { keyId: string; privateKey: KeyObject };
  const now = Date.now();
  const doc = signJson({ server_name: server, verify_keys: { [k.keyId]: { key: publicKeyBase64(k.privateKey) } }, valid_until_ts: now + 86_400_000 }, server, k.keyId, k.privateKey);
  await remoteServerKeysStore.upsert(t.database.db, [
    { serverName: server, keyId: k.keyId, key: publicKeyBase64(k.privateKey), validUntilTs: doc.valid_until_ts, expiredTs: null, fetchedTs: now, responseJson: JSON.stringify(doc) },
  ]);
}

export function signed(method: string, uri: string, body: unknown, origin: string) {
  const k = keys[origin] as { keyId: string; privateKey: KeyObject };
  return { authorization: signRequest({ method, uri, origin, destination: US, ...(body !== undefined ? { content: body } : {}) }, k.keyId, k.privateKey) };
}

export interface Ctx {
  t: TestApp;
  alice: Session;
  get(uri: string, origin?: string): ReturnType<TestApp['req']>;
  post(uri: string, body: unknown, origin?: string): ReturnType<TestApp['req']>;
  room(body: Record<string, unknown>): Promise<string>;
}

export async function setup(opts: Pick<Parameters<typeof createTestApp>[0] & object, 'federation'> = {}): Promise<Ctx> {
  const t = await createTestApp({ config: { 'server-name': US, federation: 'on' }, ...opts });
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
export async function remoteJoin(c: Ctx, roomId: string): Promise<void> {
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

/** A public room named "zero" where BOB (joined over /send) has power 100: the auth events of
 *  BOB's PDUs, and the event (and its depth) forks start from. */
export interface ForkRoom {
  c: Ctx;
  roomId: string;
  auth: string[];
  base: string;
  depth: number;
}

export async function forkRoom(): Promise<ForkRoom> {
  const c = await setup();
  const roomId = await c.room({ preset: 'public_chat', name: 'zero', power_level_content_override: { users: { [c.alice.userId]: 100, [BOB]: 100 } } });
  await remoteJoin(c, roomId);
  return onHead(c, roomId);
}

/** The room as it stands now, for BOB's next PDU: his auth events, the head and its depth. */
export async function onHead(c: Ctx, roomId: string): Promise<ForkRoom> {
  const db = c.t.database.db;
  const room = await roomsStore.getRoom(db, roomId);
  assert.ok(room?.head_event_id);
  const auth: string[] = [];
  for (const [type, key] of [['m.room.create', ''], ['m.room.power_levels', ''], ['m.room.member', BOB]] as const) {
    const id = await stateStore.currentStateEventId(db, roomId, type, key);
    assert.ok(id, type);
    auth.push(id);
  }
  return { c, roomId, auth, base: room.head_event_id, depth: room.head_depth };
}

let pduTxn = 0;
/** Sends one PDU (BOB's unless `sender`) on `prev` over /send; asserts it was accepted into the timeline. */
export async function sendPdu(
  r: ForkRoom,
  prev: string[],
  depth: number,
  ev: { type: string; content: Record<string, unknown>; stateKey?: string; ts?: number; sender?: string; auth?: string[] },
): Promise<string> {
  const k = keys[REMOTE] as { keyId: string; privateKey: KeyObject };
  const pdu = hashAndSignEvent(
    {
      room_id: r.roomId,
      type: ev.type,
      sender: ev.sender ?? BOB,
      content: ev.content,
      origin_server_ts: ev.ts ?? Date.now(),
      depth,
      prev_events: prev,
      auth_events: ev.auth ?? r.auth,
      ...(ev.stateKey !== undefined ? { state_key: ev.stateKey } : {}),
    },
    REMOTE,
    k.keyId,
    k.privateKey,
    '11',
  ) as Record<string, unknown>;
  const id = eventIdFor(pdu, '11');
  const uri = `/_matrix/federation/v1/send/pdu${++pduTxn}`;
  const body = { origin: REMOTE, origin_server_ts: Date.now(), pdus: [pdu] };
  const res = await r.c.t.req('PUT', uri, { body, headers: signed('PUT', uri, body, REMOTE) });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json.pdus, { [id]: {} }, res.text);
  assert.ok(await eventsStore.byId(r.c.t.database.db, id), 'in the timeline');
  return id;
}
