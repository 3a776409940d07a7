// `node --import tsx bench/e2e-encryption.ts [N]`: time from send to decrypted on the other client
// in an encrypted room — the setup of tests/e2e/e2e-encryption.sdk.e2e.test.ts (one `hush serve`,
// two matrix-js-sdk clients with Rust crypto, alice invites bob into a Megolm room). Measured from
// just before alice's sendTextMessage until bob's client emits the decrypted m.room.message; the
// first message (which also carries the Olm session and room key) is reported on its own, then
// p50/p90/max over N more sequential messages (default 20).

import { performance } from 'node:perf_hooks';
import { client, startHush, type ClientSession } from '../tests/support/server.ts';
import { sdk, type MatrixClient } from '../tests/e2e/support/sdk.ts';

const n = Number(process.argv[2] ?? 20);
const hush = await startHush();
const clients: MatrixClient[] = [];

async function cryptoClient(session: ClientSession): Promise<MatrixClient> {
  const c = sdk.createClient({ baseUrl: hush.baseUrl, accessToken: session.token, userId: session.userId, deviceId: session.deviceId });
  clients.push(c);
  await c.initRustCrypto({ useIndexedDB: false });
  const prepared = new Promise<void>((resolve) => c.on(sdk.ClientEvent.Sync, (state) => state === 'PREPARED' && resolve()));
  await c.startClient({ initialSyncLimit: 20 });
  await prepared;
  return c;
}

/** Resolves when `check` holds, looking again on every sync. */
function until(c: MatrixClient, check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const look = () => {
      if (!check()) return;
      c.off(sdk.ClientEvent.Sync, look);
      resolve();
    };
    c.on(sdk.ClientEvent.Sync, look);
    look();
  });
}

try {
  const http = client(hush.baseUrl);
  const a = await cryptoClient(await http.register('bench_alice'));
  const b = await cryptoClient(await http.register('bench_bob'));
  const { room_id: roomId } = await a.createRoom({
    preset: sdk.Preset.PrivateChat,
    invite: [b.getUserId()!],
    initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
  });
  await until(b, () => b.getRoom(roomId)?.getMyMembership() === 'invite');
  await b.joinRoom(roomId);
  await until(a, () => a.getRoom(roomId)?.getMember(b.getUserId()!)?.membership === 'join');

  const decryptedAt = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  b.on(sdk.MatrixEventEvent.Decrypted, (ev) => {
    if (ev.getType() !== 'm.room.message' || ev.isDecryptionFailure()) return;
    const body = String(ev.getContent()['body']);
    if (decryptedAt.has(body)) return;
    decryptedAt.set(body, performance.now());
    waiters.get(body)?.();
  });
  const once = async (body: string): Promise<number> => {
    const got = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bob did not decrypt ${body} within 60 s`)), 60_000);
      waiters.set(body, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    const t0 = performance.now();
    await a.sendTextMessage(roomId, body);
    await got;
    return decryptedAt.get(body)! - t0;
  };

  const first = await once('bench first');
  const ms: number[] = [];
  for (let i = 0; i < n; i++) ms.push(await once(`bench ${i}`));
  ms.sort((x, y) => x - y);
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!.toFixed(1);
  console.log(`send → decrypted on the other client (matrix-js-sdk + Rust crypto, one hush serve, SQLite):`);
  console.log(`  first message (with Olm session + room key): ${first.toFixed(1)} ms`);
  console.log(`  next ${n}: p50 ${q(0.5)} ms, p90 ${q(0.9)} ms, max ${ms[ms.length - 1]!.toFixed(1)} ms`);
} finally {
  for (const c of clients) c.stopClient();
  await hush.stop();
}
// The SDK keeps timers alive after stopClient.
process.exit(0);
