// Rooms of versions 1, 6, 10 and 11 made through the client API: each event in the version's
// format (IDs, reference pairs, hashes, signatures checked against the server's signing key),
// redactions as the version has them, rules by version, and /capabilities listing 1-11.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonObject } from '@hush/protocol';
import { createSuiteApp, type Session, type TestApp } from '../helpers.ts';
import { roomSteps, type RoomSteps } from '../room-helpers.ts';
import {
  checkContentHash,
  decodeBase64Url,
  encodeBase64,
  publicKeyBase64,
  publicKeyFromBase64,
  redactEvent,
  referenceHash,
  signingKeyFromSeed,
  verifyEventSignature,
} from '../../src/services/events/crypto.ts';
import { serverKeysStore } from '../../src/storage/server-keys.store.ts';
import { eventStateStore } from '../../src/storage/event-state.store.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

let t: TestApp;
let r: RoomSteps;
let alice: Session;
let bob: Session;
let serverKey: { keyId: string; key: ReturnType<typeof publicKeyFromBase64> };

before(async () => {
  t = await createSuiteApp();
  r = roomSteps(t);
  alice = await t.register('alice');
  bob = await t.register('bob');
  // The key the server signs with, as it would publish it (federation is not mounted in these tests).
  const row = await serverKeysStore.first(t.database.db);
  assert.ok(row);
  serverKey = { keyId: row.keyId, key: publicKeyFromBase64(publicKeyBase64(signingKeyFromSeed(row.seed))) };
});
after(() => t.close());

type StoredPdu = JsonObject & { event_id?: string; type: string; prev_events: unknown[]; auth_events: unknown[]; content: JsonObject; redacts?: string };

/** The room's events as stored (federation format), oldest first, with the ID the server gave each. */
async function storedEvents(roomId: string): Promise<{ id: string; pdu: StoredPdu }[]> {
  const rows = await t.database.db.selectFrom('events').select(['event_id', 'json']).where('room_id', '=', roomId).orderBy('stream_ordering').execute();
  return rows.map((row) => ({ id: row.event_id, pdu: JSON.parse(row.json) as StoredPdu }));
}

async function makeRoom(version: string): Promise<{ roomId: string; messageId: string; redactionId: string }> {
  const roomId = await r.createRoom(alice, { room_version: version, preset: 'public_chat', name: `v${version}`, topic: 't' });
  await r.join(bob, roomId);
  const messageId = await r.send(bob, roomId, 'to be redacted');
  const red = await t.req('PUT', `${V3}/rooms/${enc(roomId)}/redact/${enc(messageId)}/rv${version}`, { token: alice.token, body: { reason: 'x' } });
  assert.equal(red.status, 200, red.text);
  return { roomId, messageId, redactionId: red.json.event_id };
}

/** The reference hash as v1-v2 references carry it (standard unpadded base64). */
const pairHash = (pdu: object, version: string) => encodeBase64(decodeBase64Url(referenceHash(pdu, version)));

for (const version of ['1', '6', '10', '11']) {
  describe(`a room of version ${version}`, () => {
    let room: { roomId: string; messageId: string; redactionId: string };
    before(async () => {
      room = await makeRoom(version);
    });

    test('the create event names the version (and the creator up to v10)', async () => {
      const state = await t.req('GET', `${V3}/rooms/${enc(room.roomId)}/state/m.room.create/`, { token: alice.token });
      assert.equal(state.status, 200);
      assert.equal(state.json.room_version, version);
      if (version === '11') assert.equal(Object.hasOwn(state.json, 'creator'), false);
      else assert.equal(state.json.creator, alice.userId);
    });

    test("every event: the version's ID format and references, a valid content hash and signature", async () => {
      const events = await storedEvents(room.roomId);
      assert.ok(events.length >= 9);
      const byId = new Map(events.map((e) => [e.id, e.pdu]));
      for (const { id, pdu } of events) {
        assert.ok(checkContentHash(pdu), `content hash of ${pdu.type}`);
        assert.ok(verifyEventSignature(pdu, 'localhost', serverKey.keyId, serverKey.key, version), `signature of ${pdu.type}`);
        if (version === '1') {
          assert.match(id, /^\$[A-Za-z0-9]+:localhost$/);
          assert.equal(pdu.event_id, id);
          for (const ref of [...pdu.prev_events, ...pdu.auth_events]) {
            assert.ok(Array.isArray(ref) && ref.length === 2, `a [id, hashes] pair in ${pdu.type}`);
            const [refId, hashes] = ref as [string, { sha256: string }];
            const target = byId.get(refId);
            assert.ok(target, `reference to a known event ${refId}`);
            assert.equal(hashes.sha256, pairHash(target, version), 'the pair carries the reference hash');
          }
        } else {
          assert.equal(Object.hasOwn(pdu, 'event_id'), false);
          assert.equal(id, `$${referenceHash(pdu, version)}`);
          assert.match(id, /^\$[A-Za-z0-9_-]{43}$/);
          for (const ref of [...pdu.prev_events, ...pdu.auth_events]) assert.ok(typeof ref === 'string' && byId.has(ref), `plain id reference in ${pdu.type}`);
        }
      }
    });

    test("the redaction names its target the version's way; the redacted event keeps its ID and signature", async () => {
      const events = await storedEvents(room.roomId);
      const redaction = events.find((e) => e.id === room.redactionId)?.pdu;
      assert.ok(redaction);
      assert.equal(redaction.content['redacts'], room.messageId);
      if (version === '11') assert.equal(Object.hasOwn(redaction, 'redacts'), false);
      else assert.equal(redaction.redacts, room.messageId, 'top-level redacts before v11');
      const original = events.find((e) => e.id === room.messageId)?.pdu;
      assert.ok(original);
      const redacted = redactEvent(original, version);
      assert.deepEqual(redacted.content, {});
      assert.ok(verifyEventSignature(redacted, 'localhost', serverKey.keyId, serverKey.key, version));
      if (version !== '1') assert.equal(`$${referenceHash(redacted, version)}`, room.messageId);
      const seen = await t.req('GET', `${V3}/rooms/${enc(room.roomId)}/event/${enc(room.messageId)}`, { token: bob.token });
      assert.equal(seen.status, 200);
      assert.deepEqual(seen.json.content, {});
      assert.equal(seen.json.unsigned?.redacted_because?.event_id, room.redactionId);
    });

    test('the IDs clients see are the stored ones', async () => {
      const msgs = await t.req('GET', `${V3}/rooms/${enc(room.roomId)}/messages?dir=b&limit=50`, { token: alice.token });
      assert.equal(msgs.status, 200);
      const stored = new Set((await storedEvents(room.roomId)).map((e) => e.id));
      for (const ev of msgs.json.chunk as { event_id: string }[]) assert.ok(stored.has(ev.event_id));
      assert.ok((msgs.json.chunk as { event_id: string }[]).some((e) => e.event_id === room.messageId));
    });
  });
}

describe('rules by room version, through the API', () => {
  test('power levels given as strings: accepted in a v6 room, refused in a v10 room', async () => {
    for (const [version, status] of [['6', 200], ['10', 403]] as const) {
      const roomId = await r.createRoom(alice, { room_version: version });
      const res = await t.req('PUT', `${V3}/rooms/${enc(roomId)}/state/m.room.power_levels/`, {
        token: alice.token,
        body: { users: { [alice.userId]: '100' }, users_default: 0 },
      });
      assert.equal(res.status, status, `v${version}: ${res.text}`);
    }
  });

  test('a join rule the version does not know lets nobody in: knock in a v6 room', async () => {
    const roomId = await r.createRoom(alice, { room_version: '6', initial_state: [{ type: 'm.room.join_rules', content: { join_rule: 'knock' } }] });
    await r.invite(alice, roomId, bob.userId);
    const res = await t.req('POST', `${V3}/join/${enc(roomId)}`, { token: bob.token, body: {} });
    assert.equal(res.status, 403, res.text);
    const v7 = await r.createRoom(alice, { room_version: '7', initial_state: [{ type: 'm.room.join_rules', content: { join_rule: 'knock' } }] });
    await r.invite(alice, v7, bob.userId);
    await r.join(bob, v7);
  });

  test('unknown room versions are M_UNSUPPORTED_ROOM_VERSION', async () => {
    for (const v of ['12', '0', 'org.example.custom', '']) {
      const res = await t.req('POST', `${V3}/createRoom`, { token: alice.token, body: { room_version: v } });
      assert.equal(res.status, 400, v);
      assert.equal(res.json.errcode, 'M_UNSUPPORTED_ROOM_VERSION', v);
    }
  });

  test('/capabilities lists versions 1-11 as stable, default 11', async () => {
    const res = await t.req('GET', `${V3}/capabilities`, { token: alice.token });
    assert.equal(res.status, 200);
    const expected = Object.fromEntries(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11'].map((v) => [v, 'stable']));
    assert.deepEqual(res.json.capabilities['m.room_versions'], { default: '11', available: expected });
  });
});

describe('state at an event (the store behind /state_ids for federation)', () => {
  test('before an event: the state history up to it; after a state event: with it; unknown events: undefined', async () => {
    const roomId = await r.createRoom(alice, { room_version: '10', preset: 'public_chat', name: 'one' });
    const m1 = await r.send(alice, roomId, 'first');
    const rename = await r.setState(alice, roomId, 'm.room.name', { name: 'two' });
    const m2 = await r.send(alice, roomId, 'second');
    await r.join(bob, roomId);
    const db = t.database.db;
    const names = async (eventId: string, after = false) => {
      const at = await eventStateStore.stateAtEvent(db, eventId, { after });
      assert.ok(at?.state);
      assert.equal(at.roomId, roomId);
      const byKey = new Map(at.state.map((s) => [`${s.type}|${s.stateKey}`, s.eventId]));
      return byKey;
    };
    const all = await storedEvents(roomId);
    const nameOne = all.find((e) => e.pdu.type === 'm.room.name' && e.pdu.content['name'] === 'one')?.id;
    assert.equal((await names(m1)).get('m.room.name|'), nameOne);
    assert.equal((await names(rename)).get('m.room.name|'), nameOne, 'before the rename: the old name');
    assert.equal((await names(rename, true)).get('m.room.name|'), rename, 'after it: the new one');
    const before2 = await names(m2);
    assert.equal(before2.get('m.room.name|'), rename);
    assert.equal(before2.has(`m.room.member|${bob.userId}`), false, 'bob joined later');
    // the state before each event is what its auth events were chosen from
    for (const { id, pdu } of all) {
      if (pdu.type === 'm.room.create') continue;
      const state = new Set((await names(id)).values());
      for (const a of pdu.auth_events as string[]) assert.ok(state.has(a), `auth event of ${pdu.type} in the state before it`);
    }
    const create = all[0];
    assert.ok(create);
    assert.equal((await eventStateStore.stateAtEvent(db, create.id))?.state?.length, 0);
    assert.equal(await eventStateStore.stateAtEvent(db, '$nope'), undefined);
  });
});
