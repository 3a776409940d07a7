// Federation inbound in process (issue 22, decision 0030): PDUs over a signed PUT /send from a
// remote server whose key we hold — a join, then messages that reach a local user's /sync; the
// acceptance checks (forged signature, bad content hash → stored redacted, auth failure → rejected
// and not stored, soft failure, too large, the wrong room version format); transaction
// idempotency and the 50-PDU cap; EDUs (typing, receipt, to-device); the reads (event, state_ids,
// get_missing_events, backfill) refused to a server with no member and to an ACL-denied server;
// device-list EDUs, the /user/keys and /user/devices reads, and a remote user's keys asked of their
// server and cached, and our EDUs queued for the room's remote server (decision 0032).

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
import { deviceKeys, newKey, sign } from '../e2e-signing.ts';

const US = 'hs1.example';
// Loopback IP literals: fetches to them (keys, missing events) are refused at once.
const REMOTE = '127.0.0.1:9';
const STRANGER = '127.0.0.2:9';
const keys: Record<string, { keyId: string; privateKey: KeyObject }> = { [REMOTE]: generateSigningKey(), [STRANGER]: generateSigningKey() };
const BOB = `@bob:${REMOTE}`;

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

function signed(method: string, uri: string, body: unknown, origin = REMOTE) {
  const k = keys[origin] as { keyId: string; privateKey: KeyObject };
  return { authorization: signRequest({ method, uri, origin, destination: US, ...(body !== undefined ? { content: body } : {}) }, k.keyId, k.privateKey) };
}

interface Room {
  t: TestApp;
  alice: Session;
  roomId: string;
}

async function setup(): Promise<Room> {
  const t = await createTestApp({ config: { 'server-name': US, federation: 'on' } });
  apps.push(t);
  await seedKey(t, REMOTE);
  await seedKey(t, STRANGER);
  const alice = await t.register('alice');
  const res = await t.req('POST', '/_matrix/client/v3/createRoom', { token: alice.token, body: { preset: 'public_chat' } });
  assert.equal(res.status, 200, res.text);
  return { t, alice, roomId: res.json.room_id };
}

async function stateId(r: Room, type: string, key = ''): Promise<string> {
  const id = await stateStore.currentStateEventId(r.t.database.db, r.roomId, type, key);
  assert.ok(id, `${type} ${key}`);
  return id;
}

/** A v11 PDU from REMOTE, on top of the room's head unless `prev` is given. */
async function pdu(
  r: Room,
  type: string,
  sender: string,
  content: Record<string, unknown>,
  opts: { stateKey?: string; prev?: string[]; auth?: string[]; tamper?: (ev: Record<string, unknown>) => void; server?: string } = {},
): Promise<{ ev: Record<string, unknown>; id: string }> {
  const room = await roomsStore.getRoom(r.t.database.db, r.roomId);
  assert.ok(room?.head_event_id);
  const auth = opts.auth ?? [await stateId(r, 'm.room.create'), await stateId(r, 'm.room.power_levels'), ...(type === 'm.room.member' && content['membership'] !== 'leave' ? [await stateId(r, 'm.room.join_rules')] : [])];
  const member = await stateStore.currentStateEventId(r.t.database.db, r.roomId, 'm.room.member', sender);
  if (member && !opts.auth) auth.push(member);
  const base: Record<string, unknown> = {
    room_id: r.roomId,
    type,
    sender,
    content,
    origin_server_ts: Date.now(),
    depth: room.head_depth + 1,
    prev_events: opts.prev ?? [room.head_event_id],
    auth_events: auth,
    ...(opts.stateKey !== undefined ? { state_key: opts.stateKey } : {}),
  };
  const server = opts.server ?? REMOTE;
  const k = keys[server] as { keyId: string; privateKey: KeyObject };
  const ev = hashAndSignEvent(base, server, k.keyId, k.privateKey, '11') as Record<string, unknown>;
  opts.tamper?.(ev);
  return { ev, id: eventIdFor(ev, '11') };
}

let txnCounter = 0;
async function send(r: Room, pdus: unknown[], edus: unknown[] = [], txnId = `t${++txnCounter}`, origin = REMOTE) {
  const uri = `/_matrix/federation/v1/send/${txnId}`;
  const body = { origin, origin_server_ts: Date.now(), pdus, edus };
  return r.t.req('PUT', uri, { body, headers: signed('PUT', uri, body, origin) });
}

async function join(r: Room): Promise<string> {
  const j = await pdu(r, 'm.room.member', BOB, { membership: 'join' }, { stateKey: BOB });
  const res = await send(r, [j.ev]);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json.pdus, { [j.id]: {} });
  return j.id;
}

test('a remote join then a message over /send: stored, in the room state, and a waiting /sync wakes with it', async () => {
  const r = await setup();
  const joinId = await join(r);
  const first = await r.t.req('GET', '/_matrix/client/v3/sync', { token: r.alice.token });
  assert.equal((await stateStore.membership(r.t.database.db, r.roomId, BOB))?.membership, 'join');
  assert.equal(await stateId(r, 'm.room.member', BOB), joinId);
  const since = first.json.next_batch;
  const waiting = r.t.req('GET', `/_matrix/client/v3/sync?since=${since}&timeout=10000`, { token: r.alice.token });
  await new Promise((res) => setTimeout(res, 100));
  const msg = await pdu(r, 'm.room.message', BOB, { msgtype: 'm.text', body: 'hello from afar' });
  assert.deepEqual((await send(r, [msg.ev])).json.pdus, { [msg.id]: {} });
  const woke = await waiting;
  const timeline = woke.json.rooms.join[r.roomId].timeline.events.map((e: { event_id: string }) => e.event_id);
  assert.ok(timeline.includes(msg.id), JSON.stringify(timeline));
  // A local message afterwards points at the remote one (forward extremity).
  const local = await r.t.req('PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(r.roomId)}/send/m.room.message/l1`, { token: r.alice.token, body: { msgtype: 'm.text', body: 'hi' } });
  const row = await eventsStore.byId(r.t.database.db, local.json.event_id);
  assert.deepEqual(JSON.parse(row?.json ?? '{}').prev_events, [msg.id]);
});

test('acceptance checks: forged signature and auth failure rejected (not stored), bad hash stored redacted, too large and wrong format rejected', async () => {
  const r = await setup();
  await join(r);
  const other = await pdu(r, 'm.room.message', BOB, { body: 'another event' });
  const otherSig = (other.ev['signatures'] as Record<string, Record<string, string>>)[REMOTE];
  const forged = await pdu(r, 'm.room.message', BOB, { body: 'forged' }, { tamper: (ev) => (ev['signatures'] = { [REMOTE]: otherSig }) });
  const stranger = await pdu(r, 'm.room.message', `@eve:${REMOTE}`, { body: 'not a member' });
  const badHash = await pdu(r, 'm.room.message', BOB, { body: 'original' }, { tamper: (ev) => (ev['content'] = { body: 'tampered' }) });
  const huge = await pdu(r, 'm.room.message', BOB, { body: 'x'.repeat(70_000) });
  const pairs = await pdu(r, 'm.room.message', BOB, { body: 'v1 refs' });
  pairs.ev['prev_events'] = [[(pairs.ev['prev_events'] as string[])[0], { sha256: 'abc' }]];
  const res = await send(r, [forged.ev, stranger.ev, badHash.ev, huge.ev, pairs.ev]);
  assert.equal(res.status, 200, res.text);
  const out = res.json.pdus;
  assert.match(out[forged.id].error, /Signature of 127\.0\.0\.1:9/);
  assert.match(out[stranger.id].error, /not allowed|auth/);
  assert.deepEqual(out[badHash.id], {});
  assert.match(out[huge.id].error, /more than 65536/);
  for (const id of [forged.id, stranger.id, huge.id]) assert.equal(await eventsStore.byId(r.t.database.db, id), undefined, id);
  const stored = await eventsStore.byId(r.t.database.db, badHash.id);
  assert.deepEqual(JSON.parse(stored?.json ?? '{}').content, {}, 'a content hash mismatch stores the redacted event');
  assert.equal(Object.keys(out).filter((id) => out[id].error).length, 4, JSON.stringify(out));
});

test('soft failure: allowed by the state before it, not by the current state — stored aside, not in the timeline nor a forward extremity', async () => {
  const r = await setup();
  const joinId = await join(r);
  const leave = await pdu(r, 'm.room.member', BOB, { membership: 'leave' }, { stateKey: BOB });
  assert.deepEqual((await send(r, [leave.ev])).json.pdus, { [leave.id]: {} });
  const auth = [await stateId(r, 'm.room.create'), await stateId(r, 'm.room.power_levels'), joinId];
  const late = await pdu(r, 'm.room.message', BOB, { body: 'sent while still joined' }, { prev: [joinId], auth });
  assert.deepEqual((await send(r, [late.ev])).json.pdus, { [late.id]: {} });
  assert.equal(await eventsStore.byId(r.t.database.db, late.id), undefined);
  const aside = await r.t.database.db.selectFrom('event_outliers').selectAll().where('event_id', '=', late.id).executeTakeFirst();
  assert.equal(aside?.status, 'soft_failed');
  const fwd = await r.t.database.db.selectFrom('forward_extremities').select('event_id').where('room_id', '=', r.roomId).execute();
  assert.deepEqual(fwd.map((f) => f.event_id), [leave.id]);
});

test('transactions: a retry gets the first answer and changes nothing; 51 PDUs, a mismatched origin or a malformed body are refused and store nothing', async () => {
  const r = await setup();
  await join(r);
  const a = await pdu(r, 'm.room.message', BOB, { body: 'once' });
  const first = await send(r, [a.ev], [], 'same');
  const b = await pdu(r, 'm.room.message', BOB, { body: 'other' });
  const again = await send(r, [b.ev], [], 'same');
  assert.deepEqual(again.json, first.json);
  assert.equal(await eventsStore.byId(r.t.database.db, b.id), undefined);
  const many = [];
  for (let i = 0; i < 51; i++) many.push((await pdu(r, 'm.room.message', BOB, { body: `n${i}` })).ev);
  const big = await send(r, many);
  assert.equal(big.status, 400);
  assert.equal(big.json.errcode, 'M_BAD_JSON');
  const uri = '/_matrix/federation/v1/send/bad';
  const body = { origin: STRANGER, origin_server_ts: 1, pdus: [b.ev] };
  assert.equal((await r.t.req('PUT', uri, { body, headers: signed('PUT', uri, body) })).status, 403);
  const malformed = { origin: REMOTE, pdus: 'nope' };
  assert.equal((await r.t.req('PUT', '/_matrix/federation/v1/send/m', { body: malformed, headers: signed('PUT', '/_matrix/federation/v1/send/m', malformed) })).status, 400);
  assert.equal(await eventsStore.byId(r.t.database.db, b.id), undefined);
});

test('EDUs: typing, receipt and to-device from a joined remote user reach the local user; a user of another server is ignored', async () => {
  const r = await setup();
  await join(r);
  const msg = await pdu(r, 'm.room.message', BOB, { body: 'read me' });
  await send(r, [msg.ev]);
  const edus = [
    { edu_type: 'm.typing', content: { room_id: r.roomId, user_id: BOB, typing: true } },
    { edu_type: 'm.typing', content: { room_id: r.roomId, user_id: `@mallory:${STRANGER}`, typing: true } },
    { edu_type: 'm.receipt', content: { [r.roomId]: { 'm.read': { [BOB]: { event_ids: [msg.id], data: { ts: 1 } } } } } },
    { edu_type: 'm.direct_to_device', content: { sender: BOB, type: 'm.test', message_id: 'm1', messages: { [r.alice.userId]: { '*': { hello: 1 } } } } },
    { edu_type: 'm.direct_to_device', content: { sender: BOB, type: 'm.test', message_id: 'm1', messages: { [r.alice.userId]: { '*': { hello: 2 } } } } },
  ];
  assert.equal((await send(r, [], edus)).status, 200);
  const sync = (await r.t.req('GET', '/_matrix/client/v3/sync', { token: r.alice.token })).json;
  const joined = sync.rooms.join[r.roomId];
  const typing = joined.ephemeral.events.find((e: { type: string }) => e.type === 'm.typing');
  assert.deepEqual(typing?.content.user_ids, [BOB]);
  const receipt = joined.ephemeral.events.find((e: { type: string }) => e.type === 'm.receipt');
  assert.ok(receipt?.content[msg.id]?.['m.read']?.[BOB], JSON.stringify(joined.ephemeral));
  const toDevice = sync.to_device.events.filter((e: { type: string }) => e.type === 'm.test');
  assert.deepEqual(toDevice.map((e: { content: unknown; sender: string }) => [e.sender, e.content]), [[BOB, { hello: 1 }]]);
});

test('reads: event, state_ids, get_missing_events and backfill for a server with a member; 403 for one without and for an ACL-denied one', async () => {
  const r = await setup();
  const joinId = await join(r);
  const msg = await pdu(r, 'm.room.message', BOB, { body: 'm' });
  await send(r, [msg.ev]);
  const enc = encodeURIComponent;
  const get = (uri: string, origin = REMOTE) => r.t.req('GET', uri, { headers: signed('GET', uri, undefined, origin) });
  const post = (uri: string, body: unknown, origin = REMOTE) => r.t.req('POST', uri, { body, headers: signed('POST', uri, body, origin) });
  const uris = {
    event: `/_matrix/federation/v1/event/${enc(msg.id)}`,
    stateIds: `/_matrix/federation/v1/state_ids/${enc(r.roomId)}?event_id=${enc(msg.id)}`,
    state: `/_matrix/federation/v1/state/${enc(r.roomId)}?event_id=${enc(msg.id)}`,
    auth: `/_matrix/federation/v1/event_auth/${enc(r.roomId)}/${enc(msg.id)}`,
    backfill: `/_matrix/federation/v1/backfill/${enc(r.roomId)}?v=${enc(msg.id)}&limit=3`,
  };
  const missingUri = `/_matrix/federation/v1/get_missing_events/${enc(r.roomId)}`;
  const missingBody = { earliest_events: [], latest_events: [msg.id], limit: 1 };
  const ev = await get(uris.event);
  assert.equal(ev.status, 200, ev.text);
  assert.equal(ev.json.pdus[0].content.body, 'm');
  const ids = await get(uris.stateIds);
  assert.equal(ids.status, 200, ids.text);
  assert.ok(ids.json.pdu_ids.includes(joinId));
  assert.equal((await get(uris.state)).status, 200);
  assert.ok((await get(uris.auth)).json.auth_chain.length >= 3);
  const back = await get(uris.backfill);
  assert.equal(back.json.pdus.length, 3);
  const missing = await post(missingUri, missingBody);
  assert.deepEqual(missing.json.events.map((e: { event_id?: string }) => eventIdFor(e, '11')), [joinId]);
  for (const uri of Object.values(uris)) {
    const res = await get(uri, STRANGER);
    assert.equal(res.status, 403, `${uri}: ${res.text}`);
    assert.equal(res.json.errcode, 'M_FORBIDDEN');
  }
  assert.equal((await post(missingUri, missingBody, STRANGER)).status, 403);
  // An ACL denying REMOTE: every read and every PDU it sends are refused.
  const acl = await r.t.req('PUT', `/_matrix/client/v3/rooms/${enc(r.roomId)}/state/m.room.server_acl`, { token: r.alice.token, body: { allow: ['*'], deny: ['127.0.0.1'], allow_ip_literals: true } });
  assert.equal(acl.status, 200, acl.text);
  for (const uri of Object.values(uris)) assert.equal((await get(uri)).status, 403, uri);
  const after = await pdu(r, 'm.room.message', BOB, { body: 'denied' });
  const sent = await send(r, [after.ev]);
  assert.match(sent.json.pdus[after.id]?.error ?? '', /server ACL/);
  assert.equal(await eventsStore.byId(r.t.database.db, after.id), undefined);
});

test('device-list EDUs (decision 0032): m.device_list_update and m.signing_key_update of a joined remote user list them in device_lists.changed; a user of another server or in no room with us changes nothing', async () => {
  const r = await setup();
  await join(r);
  const since = (await r.t.req('GET', '/_matrix/client/v3/sync', { token: r.alice.token })).json.next_batch;
  const edus = [
    { edu_type: 'm.device_list_update', content: { user_id: BOB, device_id: 'D1', stream_id: 5, prev_id: [], deleted: false, keys: {} } },
    { edu_type: 'm.device_list_update', content: { user_id: `@mallory:${STRANGER}`, device_id: 'D1', stream_id: 5 } },
    { edu_type: 'm.device_list_update', content: { user_id: `@carol:${REMOTE}`, device_id: 'D1', stream_id: 5 } },
  ];
  assert.equal((await send(r, [], edus)).status, 200);
  const s1 = (await r.t.req('GET', `/_matrix/client/v3/sync?since=${since}`, { token: r.alice.token })).json;
  assert.deepEqual(s1.device_lists.changed, [BOB]);
  const changes = await r.t.database.db.selectFrom('e2e_device_list_changes').select('user_id').where('user_id', '!=', r.alice.userId).execute();
  assert.deepEqual(changes.map((c) => c.user_id), [BOB], 'nothing recorded for the others');
  assert.equal((await send(r, [], [{ edu_type: 'm.signing_key_update', content: { user_id: BOB, master_key: {} } }])).status, 200);
  const s2 = (await r.t.req('GET', `/_matrix/client/v3/sync?since=${s1.next_batch}`, { token: r.alice.token })).json;
  assert.deepEqual(s2.device_lists.changed, [BOB]);
});

test("federation key reads (decision 0032): /user/keys/query, /user/keys/claim and /user/devices answer for our users only; others' users are left out, /user/devices of a user not ours is 404", async () => {
  const r = await setup();
  const k = newKey();
  const up = await r.t.req('POST', '/_matrix/client/v3/keys/upload', {
    token: r.alice.token,
    body: { device_keys: deviceKeys(r.alice, k), one_time_keys: { 'signed_curve25519:K1': sign({ key: 'otk1' }, r.alice.userId, r.alice.deviceId, k) } },
  });
  assert.equal(up.status, 200, up.text);
  const signedReq = (method: string, uri: string, body?: unknown) => r.t.req(method as 'GET', uri, { ...(body !== undefined ? { body } : {}), headers: signed(method, uri, body) });

  const q = await signedReq('POST', '/_matrix/federation/v1/user/keys/query', { device_keys: { [r.alice.userId]: [], [BOB]: [] } });
  assert.equal(q.status, 200, q.text);
  assert.deepEqual(Object.keys(q.json.device_keys), [r.alice.userId]);
  assert.equal(q.json.device_keys[r.alice.userId][r.alice.deviceId].device_id, r.alice.deviceId);

  const c = await signedReq('POST', '/_matrix/federation/v1/user/keys/claim', { one_time_keys: { [r.alice.userId]: { [r.alice.deviceId]: 'signed_curve25519' }, [BOB]: { D: 'signed_curve25519' } } });
  assert.equal(c.status, 200, c.text);
  assert.deepEqual(Object.keys(c.json.one_time_keys), [r.alice.userId]);
  assert.deepEqual(Object.keys(c.json.one_time_keys[r.alice.userId][r.alice.deviceId]), ['signed_curve25519:K1']);

  const d = await signedReq('GET', `/_matrix/federation/v1/user/devices/${encodeURIComponent(r.alice.userId)}`);
  assert.equal(d.status, 200, d.text);
  assert.equal(d.json.user_id, r.alice.userId);
  assert.ok(d.json.stream_id > 0, 'the position of the last device-list change');
  assert.deepEqual(d.json.devices.map((x: { device_id: string }) => x.device_id), [r.alice.deviceId]);
  assert.equal((await signedReq('GET', `/_matrix/federation/v1/user/devices/${encodeURIComponent(BOB)}`)).status, 404);
  // Unsigned: refused.
  assert.equal((await r.t.req('POST', '/_matrix/federation/v1/user/keys/query', { body: { device_keys: {} } })).status, 401);
  // A malformed body: 400, not 500.
  assert.equal((await signedReq('POST', '/_matrix/federation/v1/user/keys/query', { device_keys: { [r.alice.userId]: 'x' } })).status, 400);
});

const remoteDevice = (userId: string, deviceId: string) => ({ user_id: userId, device_id: deviceId, algorithms: ['m.megolm.v1.aes-sha2'], keys: { [`ed25519:${deviceId}`]: 'k' }, signatures: {} });

test("a remote user's keys (decision 0032): asked of their server, entries that do not name the right user and device dropped; cached while they share a room, asked again after their device-list update; an unreachable server is under failures", async () => {
  const r = await setup();
  await join(r);
  let asked = 0;
  const answer = {
    device_keys: {
      [BOB]: {
        D1: remoteDevice(BOB, 'D1'),
        D2: remoteDevice(BOB, 'OTHER'),
        D3: remoteDevice('@eve:x', 'D3'),
        D5: { ...remoteDevice(BOB, 'D5'), algorithms: 'x' },
      },
      [`@eve:${REMOTE}`]: { E1: remoteDevice(`@eve:${REMOTE}`, 'E1') },
    },
    master_keys: { [BOB]: { user_id: '@eve:x', usage: ['master'], keys: { 'ed25519:m': 'm' } } },
    self_signing_keys: { [BOB]: { user_id: BOB, usage: ['self_signing'], keys: { 'ed25519:s': 's' } } },
  };
  r.t.services.e2eKeys.remote = {
    query: async () => {
      asked++;
      return answer;
    },
    claim: async () => ({ one_time_keys: { [BOB]: { D1: { 'curve25519:B': 'x', 'signed_curve25519:Z': { key: 'no signatures' }, 'signed_curve25519:A': { key: 'k', signatures: {} } } } } }),
  };
  const query = () => r.t.req('POST', '/_matrix/client/v3/keys/query', { token: r.alice.token, body: { device_keys: { [BOB]: [] } } });
  const q1 = await query();
  assert.equal(q1.status, 200, q1.text);
  assert.deepEqual(q1.json.failures, {});
  assert.deepEqual(Object.keys(q1.json.device_keys), [BOB], 'a user not asked of is left out');
  assert.deepEqual(Object.keys(q1.json.device_keys[BOB]), ['D1']);
  assert.equal(q1.json.master_keys[BOB], undefined, 'a master key naming someone else is dropped');
  assert.equal(q1.json.self_signing_keys[BOB].user_id, BOB);
  assert.equal(asked, 1);
  assert.deepEqual((await query()).json.device_keys, q1.json.device_keys);
  assert.equal(asked, 1, 'the second query is answered from the cache');
  await send(r, [], [{ edu_type: 'm.device_list_update', content: { user_id: BOB, device_id: 'D4', stream_id: 9, prev_id: [] } }]);
  await query();
  assert.equal(asked, 2, 'a device-list update makes the next query ask again');

  const c = await r.t.req('POST', '/_matrix/client/v3/keys/claim', { token: r.alice.token, body: { one_time_keys: { [BOB]: { D1: 'signed_curve25519' } } } });
  assert.deepEqual(c.json.one_time_keys, { [BOB]: { D1: { 'signed_curve25519:A': { key: 'k', signatures: {} } } } }, 'only a well-formed key of the algorithm asked for');

  r.t.services.e2eKeys.remote = {
    query: () => Promise.reject(new Error('down')),
    claim: () => Promise.reject(new Error('down')),
  };
  const q3 = await r.t.req('POST', '/_matrix/client/v3/keys/query', { token: r.alice.token, body: { device_keys: { [`@zed:${REMOTE}`]: [] } } });
  assert.ok(q3.json.failures[REMOTE], JSON.stringify(q3.json));
  const c2 = await r.t.req('POST', '/_matrix/client/v3/keys/claim', { token: r.alice.token, body: { one_time_keys: { [BOB]: { D1: 'signed_curve25519' } } } });
  assert.ok(c2.json.failures[REMOTE], JSON.stringify(c2.json));
});

test("outbound EDUs (decision 0032): a local user's typing, public receipt, presence, to-device message and device-list/cross-signing changes are queued for the room's remote server; a private receipt and a retried to-device send are not", async () => {
  const r = await setup();
  await join(r);
  const v3 = '/_matrix/client/v3';
  const room = encodeURIComponent(r.roomId);
  const msg = await r.t.req('PUT', `${v3}/rooms/${room}/send/m.room.message/e1`, { token: r.alice.token, body: { msgtype: 'm.text', body: 'hi' } });
  const eventId = msg.json.event_id as string;
  const ok = (res: { status: number; text: string }) => assert.equal(res.status, 200, res.text);
  ok(await r.t.req('PUT', `${v3}/rooms/${room}/typing/${encodeURIComponent(r.alice.userId)}`, { token: r.alice.token, body: { typing: true, timeout: 10_000 } }));
  ok(await r.t.req('POST', `${v3}/rooms/${room}/receipt/m.read.private/${encodeURIComponent(eventId)}`, { token: r.alice.token, body: {} }));
  ok(await r.t.req('POST', `${v3}/rooms/${room}/receipt/m.read/${encodeURIComponent(eventId)}`, { token: r.alice.token, body: {} }));
  ok(await r.t.req('PUT', `${v3}/presence/${encodeURIComponent(r.alice.userId)}/status`, { token: r.alice.token, body: { presence: 'online', status_msg: 'here' } }));
  const toDevice = { messages: { [BOB]: { BOBDEV: { n: 1 } }, [r.alice.userId]: { '*': { n: 2 } } } };
  ok(await r.t.req('PUT', `${v3}/sendToDevice/m.test/tx1`, { token: r.alice.token, body: toDevice }));
  ok(await r.t.req('PUT', `${v3}/sendToDevice/m.test/tx1`, { token: r.alice.token, body: toDevice }));
  const k = newKey();
  ok(await r.t.req('POST', `${v3}/keys/upload`, { token: r.alice.token, body: { device_keys: deviceKeys(r.alice, k) } }));
  const master = newKey();
  ok(await r.t.req('POST', `${v3}/keys/device_signing/upload`, { token: r.alice.token, body: { master_key: { user_id: r.alice.userId, usage: ['master'], keys: { [`ed25519:${master.pub}`]: master.pub } } } }));

  // The hooks queue after commit, without waiting: give them a moment.
  let edus: { edu_type: string; content: Record<string, unknown> }[] = [];
  for (let i = 0; i < 50; i++) {
    const rows = await r.t.database.db.selectFrom('federation_queue').select(['json', 'destination']).where('kind', '=', 'edu').orderBy('id').execute();
    assert.ok(rows.every((x) => x.destination === REMOTE), 'only the remote server of the room');
    edus = rows.map((x) => JSON.parse(x.json));
    if (edus.some((e) => e.edu_type === 'm.signing_key_update')) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  const of = (type: string) => edus.filter((e) => e.edu_type === type).map((e) => e.content);
  assert.deepEqual(of('m.typing'), [{ room_id: r.roomId, user_id: r.alice.userId, typing: true, timeout: 10_000 }]);
  const receipts = of('m.receipt');
  assert.equal(receipts.length, 1, 'the public receipt only');
  assert.deepEqual((receipts[0] as Record<string, Record<string, Record<string, { event_ids: string[] }>>>)[r.roomId]?.['m.read']?.[r.alice.userId]?.event_ids, [eventId]);
  const presence = of('m.presence').map((c) => (c['push'] as Record<string, unknown>[])[0]);
  assert.ok(presence.some((p) => p?.['user_id'] === r.alice.userId && p['presence'] === 'online' && p['status_msg'] === 'here'), JSON.stringify(presence));
  const td = of('m.direct_to_device');
  assert.equal(td.length, 1, 'one EDU for the send; its retry adds none');
  assert.deepEqual(td[0]?.['messages'], { [BOB]: { BOBDEV: { n: 1 } } }, "only the remote server's users");
  assert.equal(td[0]?.['sender'], r.alice.userId);
  assert.equal(typeof td[0]?.['message_id'], 'string');
  const updates = of('m.device_list_update');
  assert.ok(updates.some((u) => u['user_id'] === r.alice.userId && u['device_id'] === r.alice.deviceId && Number.isInteger(u['stream_id']) && Array.isArray(u['prev_id']) && u['deleted'] === false), JSON.stringify(updates));
  const signing = of('m.signing_key_update');
  assert.equal((signing[0]?.['master_key'] as { user_id?: string } | undefined)?.user_id, r.alice.userId);
});

test('m.device_list_update ids (decision 0032): each update of a change has its own stream_id, chained by prev_id to the previous change; /user/devices answers the last id', async () => {
  const r = await setup();
  await join(r);
  const v3 = '/_matrix/client/v3';
  assert.equal((await r.t.req('POST', `${v3}/keys/upload`, { token: r.alice.token, body: { device_keys: deviceKeys(r.alice, newKey()) } })).status, 200);
  const second = await r.t.login('alice');
  assert.equal((await r.t.req('POST', `${v3}/keys/upload`, { token: second.token, body: { device_keys: deviceKeys(second, newKey()) } })).status, 200);
  let updates: { stream_id: number; prev_id: number[]; device_id: string }[] = [];
  for (let i = 0; i < 50 && updates.length < 3; i++) {
    const rows = await r.t.database.db.selectFrom('federation_queue').select('json').where('kind', '=', 'edu').orderBy('id').execute();
    updates = rows.map((x) => JSON.parse(x.json)).filter((e) => e.edu_type === 'm.device_list_update').map((e) => e.content);
    await new Promise((res) => setTimeout(res, 50));
  }
  // The first change announces alice's one device; the second, both.
  assert.equal(updates.length, 3, JSON.stringify(updates));
  const [first, a, b] = updates as [(typeof updates)[0], (typeof updates)[0], (typeof updates)[0]];
  assert.deepEqual(first.prev_id, []);
  assert.deepEqual(a.prev_id, [first.stream_id]);
  assert.deepEqual(b.prev_id, [a.stream_id]);
  assert.equal(b.stream_id, a.stream_id + 1);
  assert.deepEqual([a.device_id, b.device_id].sort(), [r.alice.deviceId, second.deviceId].sort());
  const uri = `/_matrix/federation/v1/user/devices/${encodeURIComponent(r.alice.userId)}`;
  const devices = await r.t.req('GET', uri, { headers: signed('GET', uri, undefined) });
  assert.equal(devices.json.stream_id, b.stream_id);
});
