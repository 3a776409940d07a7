// End-to-end encryption through a real `hush serve`, with matrix-js-sdk 43 and its Rust crypto
// (@matrix-org/matrix-sdk-crypto-wasm): device and one-time keys are uploaded, queried and
// claimed, Olm sessions carry the Megolm room keys over to-device messages, and each side decrypts
// what the other wrote in an encrypted room; then a second device of the same user reads that
// history from server-side key backup.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { client, startHush, type ClientSession, type HushProcess } from '../support/server.ts';
import { cryptoClient as startCryptoClient, plaintexts, sdk, until, type MatrixClient } from './support/sdk.ts';

let hush: HushProcess;
let http: ReturnType<typeof client>;
const clients: MatrixClient[] = [];
let alice: ClientSession;
let a: MatrixClient;
let b: MatrixClient;
let roomId: string;

const cryptoClient = (session: ClientSession) => startCryptoClient(hush.baseUrl, session, { track: clients });

before(async () => {
  hush = await startHush();
  http = client(hush.baseUrl);
  alice = await http.register('alice');
  const bob = await http.register('bob');
  a = await cryptoClient(alice);
  b = await cryptoClient(bob);
});

after(async () => {
  for (const c of clients) c.stopClient();
  await hush?.stop();
});

test('both devices publish their keys at start-up', async () => {
  const res = await http.request('POST', '/_matrix/client/v3/keys/query', { token: alice.token, body: { device_keys: { [alice.userId]: [], [b.getUserId()!]: [] } } });
  assert.equal(res.status, 200, res.text);
  assert.ok(res.json.device_keys[alice.userId][alice.deviceId], "alice's device keys");
  assert.ok(res.json.device_keys[b.getUserId()!][b.getDeviceId()!], "bob's device keys");
  const counts = await http.request('POST', '/_matrix/client/v3/keys/upload', { token: alice.token, body: {} });
  assert.ok(counts.json.one_time_key_counts.signed_curve25519 > 0, 'one-time keys uploaded');
});

test('in an encrypted room each side decrypts what the other wrote', async () => {
  ({ room_id: roomId } = await a.createRoom({
    preset: sdk.Preset.PrivateChat,
    invite: [b.getUserId()!],
    initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
  }));
  await until(b, () => b.getRoom(roomId)?.getMyMembership() === 'invite', 'the invite to reach bob');
  await b.joinRoom(roomId);
  await until(a, () => a.getRoom(roomId)?.getMember(b.getUserId()!)?.membership === 'join', 'alice to see bob join');
  assert.equal(await a.getCrypto()!.isEncryptionEnabledInRoom(roomId), true);

  await a.sendTextMessage(roomId, 'the eagle lands at noon');
  await until(b, () => plaintexts(b, roomId).includes('the eagle lands at noon'), 'bob to decrypt alice');
  // On the wire it was encrypted: the server holds only m.room.encrypted.
  const stored = await http.request('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=20`, { token: alice.token });
  const types = (stored.json.chunk as { type: string }[]).map((e) => e.type);
  assert.ok(types.includes('m.room.encrypted') && !types.includes('m.room.message'), `stored types: ${types.join(', ')}`);

  await b.sendTextMessage(roomId, 'copy that');
  await until(a, () => plaintexts(a, roomId).includes('copy that'), 'alice to decrypt bob');
});

test("a second device of alice's reads the history from key backup", async () => {
  const crypto = a.getCrypto()!;
  await crypto.resetKeyBackup();
  const info = await crypto.getKeyBackupInfo();
  assert.ok(info?.version, 'a backup version was created');
  // Wait until the room keys reach the server (the SDK uploads them in the background).
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await http.request('GET', `/_matrix/client/v3/room_keys/version/${info.version}`, { token: alice.token });
    if (res.json?.count >= 2) break;
    if (Date.now() > deadline) throw new Error(`keys not backed up: ${res.text}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const key = await crypto.getSessionBackupPrivateKey();
  assert.ok(key);

  const second = await cryptoClient(await http.login('alice'));
  await until(second, () => (second.getRoom(roomId)?.getLiveTimeline().getEvents().length ?? 0) > 0, 'the second device to see the room');
  assert.deepEqual(plaintexts(second, roomId), [], 'a new device cannot read the history by itself');
  await second.getCrypto()!.storeSessionBackupPrivateKey(key, info.version);
  const restored = await second.getCrypto()!.restoreKeyBackup();
  assert.ok(restored.imported >= 2, `imported ${restored.imported} keys`);
  await until(second, () => ['the eagle lands at noon', 'copy that'].every((m) => plaintexts(second, roomId).includes(m)), 'the second device to decrypt the history');
});
