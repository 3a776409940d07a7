// End-to-end encryption across two `hush serve` processes federating over TLS (decision 0032), with
// matrix-js-sdk and its Rust crypto: alice on A invites bob on B to an encrypted room; each client
// queries the other's device keys through its own server (/user/keys/query to the other), claims a
// one-time key (/user/keys/claim), sends the Megolm room key over to-device (m.direct_to_device),
// and each decrypts what the other wrote.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { client } from '../support/server.ts';
import { cryptoClient as startCryptoClient, plaintexts, sdk, until, type MatrixClient } from './support/sdk.ts';
import { FederationTestbed, type FederatingServer } from './support/federation.ts';

let bed: FederationTestbed;
let srvA: FederatingServer;
let srvB: FederatingServer;
const clients: MatrixClient[] = [];
let a: MatrixClient;
let b: MatrixClient;

const cryptoClient = (baseUrl: string, session: { userId: string; token: string; deviceId: string }) => startCryptoClient(baseUrl, session, { track: clients });

before(async () => {
  bed = new FederationTestbed();
  [srvA, srvB] = await Promise.all([bed.start(), bed.start()]);
  a = await cryptoClient(srvA.proc.baseUrl, await client(srvA.proc.baseUrl).register('alice'));
  b = await cryptoClient(srvB.proc.baseUrl, await client(srvB.proc.baseUrl).register('bob'));
});

after(async () => {
  for (const c of clients) c.stopClient();
  await bed?.close();
});

test('two users on two servers: each decrypts what the other wrote in an encrypted room', async () => {
  const { room_id: roomId } = await a.createRoom({
    preset: sdk.Preset.PrivateChat,
    initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
  });
  // createRoom's `invite` list is local-only for now: the invite goes out afterwards.
  await a.invite(roomId, b.getUserId()!);
  await until(b, () => b.getRoom(roomId)?.getMyMembership() === 'invite', 'the invite to reach bob');
  await b.joinRoom(roomId, { viaServers: [srvA.name] });
  await until(a, () => a.getRoom(roomId)?.getMember(b.getUserId()!)?.membership === 'join', 'alice to see bob join');

  // Alice's client learnt bob's device through A, which asked B (/user/keys/query).
  const devices = await a.getCrypto()!.getUserDeviceInfo([b.getUserId()!], true);
  assert.ok(devices.get(b.getUserId()!)?.has(b.getDeviceId()!), "bob's device is known to alice's client");

  await a.sendTextMessage(roomId, 'across the wire');
  await until(b, () => plaintexts(b, roomId).includes('across the wire'), 'bob (on B) to decrypt alice (on A)');
  await b.sendTextMessage(roomId, 'received');
  await until(a, () => plaintexts(a, roomId).includes('received'), 'alice (on A) to decrypt bob (on B)');
});
