// For the in-process federation benches: a Hush (SQLite in memory, federation on) holding the key of
// a remote server REMOTE, a public room of alice's where REMOTE's moderator MOD has power 100, and
// `send` — one signed /send transaction of PDUs from REMOTE, which throws unless every PDU passed.

import { createTestApp, type TestApp } from '../../packages/server/test/helpers.ts';
import { generateSigningKey, publicKeyBase64, signJson } from '../../packages/server/src/services/events/crypto.ts';
import { signRequest } from '../../packages/server/src/federation/transport/x-matrix.ts';
import { remoteServerKeysStore } from '../../packages/server/src/storage/remote-server-keys.store.ts';
import { stateStore } from '../../packages/server/src/storage/state.store.ts';

export const US = 'hs1.example';
export const REMOTE = '127.0.0.1:9';
export const MOD = `@mod:${REMOTE}`;

export interface RemoteRoom {
  t: TestApp;
  db: TestApp['database']['db'];
  roomId: string;
  alice: Awaited<ReturnType<TestApp['register']>>;
  key: ReturnType<typeof generateSigningKey>;
  /** The current state event id of (type, state_key). */
  sid(type: string, k?: string): Promise<string>;
  send(pdus: unknown[]): Promise<void>;
}

export async function remoteRoom(): Promise<RemoteRoom> {
  const key = generateSigningKey();
  const t = await createTestApp({ config: { 'server-name': US, federation: 'on' } });
  const db = t.database.db;
  const now = Date.now();
  const doc = signJson({ server_name: REMOTE, verify_keys: { [key.keyId]: { key: publicKeyBase64(key.privateKey) } }, valid_until_ts: now + 86_400_000 }, REMOTE, key.keyId, key.privateKey);
  await remoteServerKeysStore.upsert(db, [{ serverName: REMOTE, keyId: key.keyId, key: publicKeyBase64(key.privateKey), validUntilTs: doc.valid_until_ts, expiredTs: null, fetchedTs: now, responseJson: JSON.stringify(doc) }]);
  const alice = await t.register('alice');
  const roomId = (await t.req('POST', '/_matrix/client/v3/createRoom', { token: alice.token, body: { preset: 'public_chat', power_level_content_override: { users: { [alice.userId]: 100, [MOD]: 100 } } } })).json.room_id as string;
  let txn = 0;
  return {
    t,
    db,
    roomId,
    alice,
    key,
    sid: async (type, k = '') => (await stateStore.currentStateEventId(db, roomId, type, k)) as string,
    async send(pdus) {
      const uri = `/_matrix/federation/v1/send/p${++txn}`;
      const body = { origin: REMOTE, origin_server_ts: Date.now(), pdus };
      const res = await t.req('PUT', uri, { body, headers: { authorization: signRequest({ method: 'PUT', uri, origin: REMOTE, destination: US, content: body }, key.keyId, key.privateKey) } });
      if (res.status !== 200) throw new Error(res.text);
      const errors = Object.values(res.json.pdus as Record<string, { error?: string }>).filter((r) => r.error);
      if (errors.length > 0) throw new Error(JSON.stringify(errors[0]));
    },
  };
}
