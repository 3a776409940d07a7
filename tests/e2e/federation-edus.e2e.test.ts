// EDUs and end-to-end keys across two `hush serve` processes over TLS on loopback (decision 0032):
// alice on A and bob on B share a room; alice's typing, read receipt (not her private one), presence
// and to-device message reach bob's /sync on B; bob's /keys/query and /keys/claim of alice's keys are answered by A
// (/user/keys/query, /user/keys/claim); a new device of alice's shows alice in bob's
// device_lists.changed (m.device_list_update); and B stopped while A queues a to-device message
// for bob, restarted once A has given up retrying soon, gets it as soon as B contacts A (wake);
// with A down, bob's /keys/query of alice is answered from B's cache of remote keys.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as edSign, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { canonicalJson } from '@hush/protocol';
import { client, type ClientSession } from '../support/server.ts';
import { FederationTestbed, type FederatingServer } from './support/federation.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;
let bed: FederationTestbed;
let a: FederatingServer;
let b: FederatingServer;
let bDb: string;
let alice: ClientSession;
let bob: ClientSession;
let roomId: string;

const unpadded = (buf: Buffer): string => buf.toString('base64').replace(/=+$/, '');

function edKey(): { priv: KeyObject; pub: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const x = publicKey.export({ format: 'jwk' }).x ?? '';
  return { priv: privateKey, pub: unpadded(Buffer.from(x, 'base64url')) };
}

/** Device keys for `s`'s device, signed by its ed25519 key (spec "Signing JSON"). */
function deviceKeys(s: ClientSession) {
  const k = edKey();
  const keys = {
    user_id: s.userId,
    device_id: s.deviceId,
    algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
    keys: { [`curve25519:${s.deviceId}`]: unpadded(Buffer.alloc(32, 7)), [`ed25519:${s.deviceId}`]: k.pub },
  };
  const signature = unpadded(edSign(null, Buffer.from(canonicalJson(keys)), k.priv));
  return { ...keys, signatures: { [s.userId]: { [`ed25519:${s.deviceId}`]: signature } } };
}

before(async () => {
  bed = new FederationTestbed();
  bDb = join(bed.dir, 'b.sqlite');
  [a, b] = await Promise.all([bed.start(), bed.start({ database: bDb })]);
  alice = await client(a.proc.baseUrl).register('alice');
  bob = await client(b.proc.baseUrl).register('bob');
  const created = await client(a.proc.baseUrl).request('POST', `${V3}/createRoom`, { token: alice.token, body: { preset: 'public_chat', name: 'EDUs' } });
  assert.equal(created.status, 200, created.text);
  roomId = created.json.room_id;
  const joined = await client(b.proc.baseUrl).request('POST', `${V3}/join/${enc(roomId)}?via=${enc(a.name)}`, { token: bob.token, body: {} });
  assert.equal(joined.status, 200, joined.text);
});

after(async () => {
  await bed?.close();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type SyncBody = any;

async function sync(server: FederatingServer, token: string, since?: string, timeout = 0): Promise<SyncBody> {
  const res = await client(server.proc.baseUrl).request('GET', `${V3}/sync?timeout=${timeout}${since ? `&since=${enc(since)}` : ''}`, { token });
  assert.equal(res.status, 200, res.text);
  return res.json;
}

/** Syncs (long-polling) from `since` until `found` holds for a response; fails after `ms`. */
async function syncUntil(server: FederatingServer, token: string, since: string | undefined, found: (s: SyncBody) => boolean, what: string, ms = 20_000): Promise<SyncBody> {
  const end = Date.now() + ms;
  let next = since;
  let last: SyncBody;
  while (Date.now() < end) {
    last = await sync(server, token, next, 1000);
    if (found(last)) return last;
    next = last.next_batch;
  }
  assert.fail(`${what}: not seen within ${ms} ms (last sync: ${JSON.stringify(last).slice(0, 500)})`);
}

test("alice's typing on A reaches bob's /sync on B (m.typing)", async () => {
  const start = await sync(b, bob.token);
  const put = await client(a.proc.baseUrl).request('PUT', `${V3}/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, { token: alice.token, body: { typing: true, timeout: 30_000 } });
  assert.equal(put.status, 200, put.text);
  await syncUntil(b, bob.token, start.next_batch, (s) =>
    (s.rooms?.join?.[roomId]?.ephemeral?.events ?? []).some((e: SyncBody) => e.type === 'm.typing' && e.content.user_ids.includes(alice.userId)), 'typing');
});

test("alice's read receipt on A reaches bob's /sync on B (m.receipt)", async () => {
  const start = await sync(b, bob.token);
  const sent = await client(a.proc.baseUrl).request('PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/r1`, { token: alice.token, body: { msgtype: 'm.text', body: 'read me' } });
  assert.equal(sent.status, 200, sent.text);
  const eventId: string = sent.json.event_id;
  await syncUntil(b, bob.token, start.next_batch, (s) => (s.rooms?.join?.[roomId]?.timeline?.events ?? []).some((e: SyncBody) => e.event_id === eventId), 'the message');
  const later = await client(a.proc.baseUrl).request('PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/r2`, { token: alice.token, body: { msgtype: 'm.text', body: 'private' } });
  const laterId: string = later.json.event_id;
  await syncUntil(b, bob.token, start.next_batch, (s) => (s.rooms?.join?.[roomId]?.timeline?.events ?? []).some((e: SyncBody) => e.event_id === laterId), 'the second message');
  // A private receipt first (never sent to other servers), then a public one.
  const hidden = await client(a.proc.baseUrl).request('POST', `${V3}/rooms/${enc(roomId)}/receipt/m.read.private/${enc(laterId)}`, { token: alice.token, body: {} });
  assert.equal(hidden.status, 200, hidden.text);
  const receipt = await client(a.proc.baseUrl).request('POST', `${V3}/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`, { token: alice.token, body: {} });
  assert.equal(receipt.status, 200, receipt.text);
  const seen = await syncUntil(b, bob.token, start.next_batch, (s) =>
    (s.rooms?.join?.[roomId]?.ephemeral?.events ?? []).some((e: SyncBody) => e.type === 'm.receipt' && e.content[eventId]?.['m.read']?.[alice.userId] !== undefined), 'the receipt');
  // From scratch, B holds alice's public receipt only.
  const all = await sync(b, bob.token);
  const receipts = (all.rooms?.join?.[roomId]?.ephemeral?.events ?? []).filter((e: SyncBody) => e.type === 'm.receipt');
  assert.ok(seen && receipts.length > 0);
  for (const r of receipts) assert.equal(r.content[laterId], undefined, `no receipt of alice's private one: ${JSON.stringify(r.content)}`);
});

test("alice's presence on A reaches bob's /sync on B (m.presence)", async () => {
  const start = await sync(b, bob.token);
  const put = await client(a.proc.baseUrl).request('PUT', `${V3}/presence/${enc(alice.userId)}/status`, { token: alice.token, body: { presence: 'unavailable', status_msg: 'away from A' } });
  assert.equal(put.status, 200, put.text);
  await syncUntil(b, bob.token, start.next_batch, (s) =>
    (s.presence?.events ?? []).some((e: SyncBody) => e.sender === alice.userId && e.content.presence === 'unavailable' && e.content.status_msg === 'away from A'), 'the presence');
});

test("alice's to-device message on A reaches bob's device on B (m.direct_to_device)", async () => {
  const start = await sync(b, bob.token);
  const put = await client(a.proc.baseUrl).request('PUT', `${V3}/sendToDevice/m.test.hello/td1`, { token: alice.token, body: { messages: { [bob.userId]: { [bob.deviceId]: { hello: 'bob' } } } } });
  assert.equal(put.status, 200, put.text);
  const s = await syncUntil(b, bob.token, start.next_batch, (x) => (x.to_device?.events ?? []).some((e: SyncBody) => e.type === 'm.test.hello'), 'the to-device message');
  const ev = s.to_device.events.find((e: SyncBody) => e.type === 'm.test.hello');
  assert.equal(ev.sender, alice.userId);
  assert.deepEqual(ev.content, { hello: 'bob' });
});

test("bob on B gets alice's device keys from A (/keys/query) and claims a one-time key (/keys/claim)", async () => {
  const up = await client(a.proc.baseUrl).request('POST', `${V3}/keys/upload`, {
    token: alice.token,
    body: { device_keys: deviceKeys(alice), one_time_keys: { 'signed_curve25519:AAAAAQ': { key: unpadded(Buffer.alloc(32, 1)), signatures: {} } } },
  });
  assert.equal(up.status, 200, up.text);
  const q = await client(b.proc.baseUrl).request('POST', `${V3}/keys/query`, { token: bob.token, body: { device_keys: { [alice.userId]: [] } } });
  assert.equal(q.status, 200, q.text);
  assert.deepEqual(q.json.failures, {});
  const dk = q.json.device_keys[alice.userId]?.[alice.deviceId];
  assert.equal(dk?.device_id, alice.deviceId, JSON.stringify(q.json));
  assert.ok(dk.signatures[alice.userId][`ed25519:${alice.deviceId}`], 'the device signature came through');

  const c = await client(b.proc.baseUrl).request('POST', `${V3}/keys/claim`, { token: bob.token, body: { one_time_keys: { [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } } } });
  assert.equal(c.status, 200, c.text);
  assert.deepEqual(c.json.failures, {});
  assert.deepEqual(Object.keys(c.json.one_time_keys[alice.userId]?.[alice.deviceId] ?? {}), ['signed_curve25519:AAAAAQ']);
  // The key is claimed: a second claim finds none.
  const again = await client(b.proc.baseUrl).request('POST', `${V3}/keys/claim`, { token: bob.token, body: { one_time_keys: { [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } } } });
  assert.equal(again.json.one_time_keys[alice.userId]?.[alice.deviceId], undefined);
  // A user of a server that does not exist: under failures, not an error.
  const gone = await client(b.proc.baseUrl).request('POST', `${V3}/keys/query`, { token: bob.token, body: { device_keys: { '@x:localhost:1': [] } } });
  assert.equal(gone.status, 200, gone.text);
  assert.ok(gone.json.failures['localhost:1'], JSON.stringify(gone.json));
});

test("alice's new device on A: bob's /sync on B lists alice in device_lists.changed (m.device_list_update)", async () => {
  const start = await sync(b, bob.token);
  const second = await client(a.proc.baseUrl).login('alice');
  const up = await client(a.proc.baseUrl).request('POST', `${V3}/keys/upload`, { token: second.token, body: { device_keys: deviceKeys(second) } });
  assert.equal(up.status, 200, up.text);
  await syncUntil(b, bob.token, start.next_batch, (s) => (s.device_lists?.changed ?? []).includes(alice.userId), 'device_lists.changed');
  const q = await client(b.proc.baseUrl).request('POST', `${V3}/keys/query`, { token: bob.token, body: { device_keys: { [alice.userId]: [] } } });
  assert.ok(q.json.device_keys[alice.userId]?.[second.deviceId], 'the new device is served by A');
});

test('B down, then back: the EDUs A queued meanwhile reach B as soon as B contacts A (wake)', async () => {
  const unreachable = () => a.proc.logs().split('\n').filter((l) => l.includes('destination unreachable') && l.includes(b.name)).length;
  const before = unreachable();
  await b.proc.stop();
  const put = await client(a.proc.baseUrl).request('PUT', `${V3}/sendToDevice/m.test.later/td2`, { token: alice.token, body: { messages: { [bob.userId]: { [bob.deviceId]: { n: 2 } } } } });
  assert.equal(put.status, 200, put.text);
  // Five failures in a row (1 + 2 + 4 + 8 s of backoff): B is marked down, the next retry 16 s away.
  const end = Date.now() + 40_000;
  while (unreachable() - before < 5) {
    assert.ok(Date.now() < end, `A tried B ${unreachable() - before} times`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const fifth = Date.now();
  b = await bed.start({ port: b.port, database: bDb });
  // Bob speaks: B sends a transaction to A, which wakes A's queue for B.
  const sent = await client(b.proc.baseUrl).request('PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/back`, { token: bob.token, body: { msgtype: 'm.text', body: 'back' } });
  assert.equal(sent.status, 200, sent.text);
  await syncUntil(b, bob.token, undefined, (s) => (s.to_device?.events ?? []).some((e: SyncBody) => e.type === 'm.test.later'), 'the queued to-device message', 12_000);
  assert.ok(Date.now() - fifth < 15_000, `delivered ${Date.now() - fifth} ms after the fifth failure, before the backoff's next retry (16 s)`);
});

test("A down: bob's /keys/query of alice is answered from B's cache (filled by the last query, kept until a device-list update)", async () => {
  await a.proc.stop();
  const q = await client(b.proc.baseUrl).request('POST', `${V3}/keys/query`, { token: bob.token, body: { device_keys: { [alice.userId]: [alice.deviceId] } } });
  assert.equal(q.status, 200, q.text);
  assert.deepEqual(q.json.failures, {}, 'no failure: the cache answered');
  assert.deepEqual(Object.keys(q.json.device_keys[alice.userId] ?? {}), [alice.deviceId], 'only the device asked for');
  // A user of A's never asked for before: A is unreachable, so under failures.
  const other = await client(b.proc.baseUrl).request('POST', `${V3}/keys/query`, { token: bob.token, body: { device_keys: { [`@nobody:${a.name}`]: [] } } });
  assert.ok(other.json.failures[a.name], JSON.stringify(other.json));
});
