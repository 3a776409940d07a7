// `node --import tsx bench/federation-inbound.ts` — inbound PDUs per second: a remote server (its
// key held) joins a room of an in-process Hush (SQLite, in memory), then sends transactions of 50
// signed m.room.message PDUs over PUT /send (X-Matrix verified, each PDU's signature, hash, auth
// events, state before it and current state checked, then stored). Prints PDUs/s and ms per txn.

import { performance } from 'node:perf_hooks';
import { createTestApp } from '../packages/server/test/helpers.ts';
import { eventIdFor, generateSigningKey, hashAndSignEvent, publicKeyBase64, signJson } from '../packages/server/src/services/events/crypto.ts';
import { signRequest } from '../packages/server/src/federation/transport/x-matrix.ts';
import { remoteServerKeysStore } from '../packages/server/src/storage/remote-server-keys.store.ts';
import { roomsStore } from '../packages/server/src/storage/rooms.store.ts';
import { stateStore } from '../packages/server/src/storage/state.store.ts';

const US = 'hs1.example';
const REMOTE = '127.0.0.1:9';
const BOB = `@bob:${REMOTE}`;
const key = generateSigningKey();
const TXNS = Number(process.env['TXNS'] ?? 20);

const t = await createTestApp({ config: { 'server-name': US, federation: 'on' } });
const now = Date.now();
const doc = signJson({ server_name: REMOTE, verify_keys: { [key.keyId]: { key: publicKeyBase64(key.privateKey) } }, valid_until_ts: now + 86_400_000 }, REMOTE, key.keyId, key.privateKey);
await remoteServerKeysStore.upsert(t.database.db, [{ serverName: REMOTE, keyId: key.keyId, key: publicKeyBase64(key.privateKey), validUntilTs: doc.valid_until_ts, expiredTs: null, fetchedTs: now, responseJson: JSON.stringify(doc) }]);
const alice = await t.register('alice');
const roomId = (await t.req('POST', '/_matrix/client/v3/createRoom', { token: alice.token, body: { preset: 'public_chat' } })).json.room_id as string;
const db = t.database.db;
const sid = async (type: string, k = '') => (await stateStore.currentStateEventId(db, roomId, type, k)) as string;

let txn = 0;
async function send(pdus: unknown[]): Promise<number> {
  const uri = `/_matrix/federation/v1/send/b${++txn}`;
  const body = { origin: REMOTE, origin_server_ts: Date.now(), pdus };
  const res = await t.req('PUT', uri, { body, headers: { authorization: signRequest({ method: 'PUT', uri, origin: REMOTE, destination: US, content: body }, key.keyId, key.privateKey) } });
  if (res.status !== 200) throw new Error(res.text);
  return Object.values(res.json.pdus as Record<string, { error?: string }>).filter((r) => r.error).length;
}

let head = (await roomsStore.getRoom(db, roomId))!;
let prev = head.head_event_id as string;
let depth = head.head_depth;
function make(type: string, content: Record<string, unknown>, auth: string[], stateKey?: string) {
  const ev = hashAndSignEvent({ room_id: roomId, type, sender: BOB, content, origin_server_ts: Date.now(), depth: ++depth, prev_events: [prev], auth_events: auth, ...(stateKey !== undefined ? { state_key: stateKey } : {}) }, REMOTE, key.keyId, key.privateKey, '11');
  prev = eventIdFor(ev, '11');
  return ev;
}
const base = [await sid('m.room.create'), await sid('m.room.power_levels')];
await send([make('m.room.member', { membership: 'join' }, [...base, await sid('m.room.join_rules')], BOB)]);
const auth = [...base, await sid('m.room.member', BOB)];
head = (await roomsStore.getRoom(db, roomId))!;

const batches: unknown[][] = [];
for (let i = 0; i < TXNS; i++) batches.push(Array.from({ length: 50 }, (_, j) => make('m.room.message', { msgtype: 'm.text', body: `m ${i}.${j}` }, auth)));
const start = performance.now();
let errors = 0;
for (const b of batches) errors += await send(b);
const ms = performance.now() - start;
console.log(`inbound: ${TXNS} transactions × 50 PDUs in ${ms.toFixed(0)} ms — ${((TXNS * 50) / (ms / 1000)).toFixed(0)} PDUs/s, ${(ms / TXNS).toFixed(1)} ms per transaction, ${errors} errors`);
await t.close();
