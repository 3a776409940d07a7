// An event first fetched as an auth event (stored as an outlier) and later received as a PDU — in
// the origin's get_missing_events answer or in a /send — goes into the timeline and the current
// state (decision 0040). Before, the acceptor answered "known: outlier" and dropped it: the
// partition e2e test saw a power-levels event that way never reach the current state of the
// server that had been cut off (a third server's message, whose auth events named it, arrived
// first), so that server kept the old power levels for good.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { createFederation } from '../../src/federation/index.ts';
import { eventIdFor, hashAndSignEvent } from '../../src/services/events/crypto.ts';
import { eventsStore } from '../../src/storage/events.store.ts';
import { roomsStore } from '../../src/storage/rooms.store.ts';
import { stateStore } from '../../src/storage/state.store.ts';
import { BOB, REMOTE, keys, remoteJoin, setup, signed, type Ctx } from '../federation-fixture.ts';

/** The app whose requests to REMOTE are answered from `served` (GET /event) and `missing` (get_missing_events). */
async function withRemote(served: Map<string, unknown>, missing: () => unknown[]) {
  const c = await setup({
    federation: async (config, database) => {
      const f = await createFederation({ config, db: database.db, logger: { warn: () => undefined } });
      return {
        ...f,
        signedRequest: async (_origin: string, method: string, path: string) => {
          if (method === 'POST' && path.startsWith('/_matrix/federation/v1/get_missing_events/')) return { status: 200, json: { events: missing() } };
          const id = method === 'GET' && path.startsWith('/_matrix/federation/v1/event/') ? decodeURIComponent(path.slice('/_matrix/federation/v1/event/'.length)) : '';
          const pdu = served.get(id);
          return pdu ? { status: 200, json: { origin: REMOTE, origin_server_ts: Date.now(), pdus: [pdu] } } : { status: 404, json: { errcode: 'M_NOT_FOUND', error: 'no' } };
        },
      } as typeof f;
    },
  });
  const roomId = await c.room({ preset: 'public_chat' });
  await remoteJoin(c, roomId);
  return { c, roomId };
}

const sign = (content: Record<string, unknown>) => {
  const k = keys[REMOTE] as { keyId: string; privateKey: KeyObject };
  const ev = hashAndSignEvent(content, REMOTE, k.keyId, k.privateKey, '11') as Record<string, unknown>;
  return { ev, id: eventIdFor(ev, '11') };
};

/** BOB renames himself (E1, a state event), then sends a message (E2) whose auth and prev events name E1. */
async function renameThenMessage(c: Ctx, roomId: string) {
  const db = c.t.database.db;
  const room = await roomsStore.getRoom(db, roomId);
  assert.ok(room?.head_event_id);
  const cur = async (type: string, key = '') => (await stateStore.currentStateEventId(db, roomId, type, key)) as string;
  const [create, pl, joinRules, bobJoin] = [await cur('m.room.create'), await cur('m.room.power_levels'), await cur('m.room.join_rules'), await cur('m.room.member', BOB)];
  const rename = sign({
    room_id: roomId, type: 'm.room.member', state_key: BOB, sender: BOB, content: { membership: 'join', displayname: 'Bobby' },
    origin_server_ts: Date.now(), depth: room.head_depth + 1, prev_events: [room.head_event_id], auth_events: [create, pl, joinRules, bobJoin],
  });
  const message = sign({
    room_id: roomId, type: 'm.room.message', sender: BOB, content: { msgtype: 'm.text', body: 'after the rename' },
    origin_server_ts: Date.now(), depth: room.head_depth + 2, prev_events: [rename.id], auth_events: [create, pl, rename.id],
  });
  return { rename, message };
}

let txn = 0;
async function send(c: Ctx, pdus: unknown[]) {
  const uri = `/_matrix/federation/v1/send/o${++txn}`;
  const body = { origin: REMOTE, origin_server_ts: Date.now(), pdus };
  const res = await c.t.req('PUT', uri, { body, headers: signed('PUT', uri, body, REMOTE) });
  assert.equal(res.status, 200, res.text);
  return res.json.pdus as Record<string, { error?: string }>;
}

async function displayname(c: Ctx, roomId: string): Promise<string | undefined> {
  const id = await stateStore.currentStateEventId(c.t.database.db, roomId, 'm.room.member', BOB);
  const row = id ? await eventsStore.byId(c.t.database.db, id) : undefined;
  return row ? (JSON.parse(row.json) as { content: { displayname?: string } }).content.displayname : undefined;
}

test('an auth event fetched as an outlier, then in the get_missing_events answer: stored in the timeline and the current state', async () => {
  const served = new Map<string, unknown>();
  let answer: unknown[] = [];
  const { c, roomId } = await withRemote(served, () => answer);
  const { rename, message } = await renameThenMessage(c, roomId);
  served.set(rename.id, rename.ev);
  answer = [rename.ev];
  assert.deepEqual(await send(c, [message.ev]), { [message.id]: {} });
  assert.ok(await eventsStore.byId(c.t.database.db, rename.id), 'the rename is in the timeline');
  assert.equal(await displayname(c, roomId), 'Bobby');
});

test('an auth event fetched as an outlier, then received in a /send: stored in the timeline and the current state', async () => {
  const served = new Map<string, unknown>();
  const { c, roomId } = await withRemote(served, () => []);
  const { rename, message } = await renameThenMessage(c, roomId);
  served.set(rename.id, rename.ev);
  assert.deepEqual(await send(c, [message.ev]), { [message.id]: {} });
  assert.equal(await eventsStore.byId(c.t.database.db, rename.id), undefined, 'only an outlier so far');
  assert.deepEqual(await send(c, [rename.ev]), { [rename.id]: {} });
  assert.ok(await eventsStore.byId(c.t.database.db, rename.id), 'the rename is in the timeline');
  assert.equal(await displayname(c, roomId), 'Bobby');
  // Sent once more: a duplicate now, nothing stored twice.
  assert.deepEqual(await send(c, [rename.ev]), { [rename.id]: {} });
});
