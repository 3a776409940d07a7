// Client timestamp_to_event asking other servers (issue 22, decision 0044), in process with the
// federation requests to REMOTE faked: a room with a gap (an event of BOB's whose prev_event we
// never got, a backward extremity) where REMOTE holds an event closer to the asked time. Its answer
// is taken once the event is fetched, checked and stored; malformed answers, answers on the wrong
// side of the time, an event failing the checks and a failing server leave the local answer; the
// ignore policy applies to a remote answer as to a local one; once the gap is filled nobody is asked;
// with nothing here before the time, an older remote event is answered, but not to a stranger.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { createFederation } from '../../src/federation/index.ts';
import { eventIdFor, generateSigningKey, hashAndSignEvent } from '../../src/services/events/crypto.ts';
import { eventsStore } from '../../src/storage/events.store.ts';
import { roomsStore } from '../../src/storage/rooms.store.ts';
import { stateStore } from '../../src/storage/state.store.ts';
import { BOB, REMOTE, V3, keys, remoteJoin, setup, signed, type Ctx } from '../federation-fixture.ts';

type Answer = { status: number; json: unknown };

interface Fake {
  /** The answer to GET /timestamp_to_event. */
  timestamp: Answer;
  /** PDUs served by GET /event/{id}. */
  events: Map<string, Record<string, unknown>>;
  asked: string[];
}

async function gapSetup() {
  const fake: Fake = { timestamp: { status: 404, json: { errcode: 'M_NOT_FOUND', error: 'no' } }, events: new Map(), asked: [] };
  const c = await setup({
    federation: async (config, database) => {
      const f = await createFederation({ config, db: database.db, logger: { warn: () => undefined } });
      return {
        ...f,
        signedRequest: async (_origin: string, method: string, path: string) => {
          if (method === 'POST' && path.startsWith('/_matrix/federation/v1/get_missing_events/')) return { status: 200, json: { events: [] } };
          if (method === 'GET' && path.startsWith('/_matrix/federation/v1/timestamp_to_event/')) {
            fake.asked.push(path);
            return fake.timestamp;
          }
          if (method === 'GET' && path.startsWith('/_matrix/federation/v1/event/')) {
            fake.asked.push(path);
            const ev = fake.events.get(decodeURIComponent(path.slice('/_matrix/federation/v1/event/'.length)));
            return ev ? { status: 200, json: { origin: REMOTE, origin_server_ts: Date.now(), pdus: [ev] } } : { status: 404, json: { errcode: 'M_NOT_FOUND', error: 'no' } };
          }
          return { status: 404, json: { errcode: 'M_NOT_FOUND', error: 'no' } };
        },
      } as typeof f;
    },
  });
  const roomId = await c.room({ preset: 'public_chat' });
  await remoteJoin(c, roomId);
  const db = c.t.database.db;
  const auth: string[] = [];
  for (const [type, key] of [['m.room.create', ''], ['m.room.power_levels', ''], ['m.room.member', BOB]] as const) auth.push((await stateStore.currentStateEventId(db, roomId, type, key)) as string);
  const room = await roomsStore.getRoom(db, roomId);
  assert.ok(room?.head_event_id);
  await new Promise((r) => setTimeout(r, 20));
  const base = Date.now();
  // `missing` is REMOTE's and never sent to us; `tip` points at it only.
  const missing = message(roomId, auth, [room.head_event_id], room.head_depth + 1, base, 'what we never got');
  const tip = message(roomId, auth, [missing.id], room.head_depth + 2, base + 1, 'after the gap');
  const uri = `/_matrix/federation/v1/send/gap${base}`;
  const body = { origin: REMOTE, origin_server_ts: Date.now(), pdus: [tip.ev] };
  const res = await c.t.req('PUT', uri, { body, headers: signed('PUT', uri, body, REMOTE) });
  assert.deepEqual(res.json.pdus, { [tip.id]: {} }, res.text);
  assert.equal(await eventsStore.byId(db, missing.id), undefined);
  return { c, fake, roomId, auth, base, missing, tip };
}

function message(roomId: string, auth: string[], prev: string[], depth: number, ts: number, body: string, key = keys[REMOTE] as { keyId: string; privateKey: KeyObject }) {
  const ev = hashAndSignEvent(
    { room_id: roomId, type: 'm.room.message', sender: BOB, content: { msgtype: 'm.text', body }, origin_server_ts: ts, depth, prev_events: prev, auth_events: auth },
    REMOTE,
    key.keyId,
    key.privateKey,
    '11',
  ) as Record<string, unknown>;
  return { ev, id: eventIdFor(ev, '11') };
}

function find(c: Ctx, roomId: string, ts: number, dir: 'f' | 'b') {
  return c.t.req('GET', `/_matrix/client/v1/rooms/${encodeURIComponent(roomId)}/timestamp_to_event?ts=${ts}&dir=${dir}`, { token: c.alice.token });
}

test('a gap between the time and the local answer: the room’s other server is asked, its closer event fetched, checked, stored and answered; once held, nobody is asked', async () => {
  const h = await gapSetup();
  h.fake.events.set(h.missing.id, h.missing.ev);
  h.fake.timestamp = { status: 200, json: { event_id: h.missing.id, origin_server_ts: h.base } };
  const res = await find(h.c, h.roomId, h.base, 'f');
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json, { event_id: h.missing.id, origin_server_ts: h.base });
  assert.deepEqual(h.fake.asked, [`/_matrix/federation/v1/timestamp_to_event/${encodeURIComponent(h.roomId)}?ts=${h.base}&dir=f`, `/_matrix/federation/v1/event/${encodeURIComponent(h.missing.id)}`]);
  const stored = await eventsStore.byId(h.c.t.database.db, h.missing.id);
  assert.equal(stored?.room_id, h.roomId);
  // The gap is filled: the same question is answered here.
  const again = await find(h.c, h.roomId, h.base, 'f');
  assert.equal(again.json.event_id, h.missing.id);
  assert.equal(h.fake.asked.length, 2);
  // No gap after the local answer: nobody asked.
  const later = await find(h.c, h.roomId, Date.now() + 60_000, 'b');
  assert.equal(later.status, 200, later.text);
  assert.equal(h.fake.asked.length, 2);
});

test('untrusted answers: a bad event id, a time on the wrong side, an event failing its signature check, an error, a non-object — the local answer stands and nothing is stored; the ignore policy holds for a remote answer', async () => {
  const h = await gapSetup();
  const db = h.c.t.database.db;
  const forged = message(h.roomId, h.auth, [h.missing.id], h.tip.ev['depth'] as number, h.base, 'forged', generateSigningKey());
  h.fake.events.set(forged.id, forged.ev);
  h.fake.events.set(h.missing.id, h.missing.ev);
  const answers: Answer[] = [
    { status: 200, json: { event_id: 'not an event id', origin_server_ts: h.base } },
    { status: 200, json: { event_id: h.missing.id, origin_server_ts: h.base - 5_000 } },
    { status: 200, json: { event_id: h.missing.id, origin_server_ts: String(h.base) } },
    { status: 200, json: { event_id: h.missing.id, origin_server_ts: h.base + 0.5 } },
    { status: 200, json: { event_id: forged.id, origin_server_ts: h.base } },
    { status: 500, json: { errcode: 'M_UNKNOWN', error: 'boom' } },
    { status: 200, json: [h.missing.id] },
  ];
  for (const a of answers) {
    h.fake.timestamp = a;
    const res = await find(h.c, h.roomId, h.base, 'f');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.event_id, h.tip.id, JSON.stringify(a.json));
  }
  assert.equal(await eventsStore.byId(db, forged.id), undefined);
  assert.equal(await eventsStore.byId(db, h.missing.id), undefined);
  assert.ok(h.fake.asked.length >= answers.length);
  // Alice ignores BOB: his remote event is not answered, her own later message is.
  const mine = await h.c.t.req('PUT', `${V3}/rooms/${encodeURIComponent(h.roomId)}/send/m.room.message/m1`, { token: h.c.alice.token, body: { msgtype: 'm.text', body: 'mine' } });
  assert.equal(mine.status, 200, mine.text);
  const ignore = (users: string[]) => h.c.t.req('PUT', `${V3}/user/${encodeURIComponent(h.c.alice.userId)}/account_data/m.ignored_user_list`, { token: h.c.alice.token, body: { ignored_users: Object.fromEntries(users.map((u) => [u, {}])) } });
  assert.equal((await ignore([BOB])).status, 200);
  h.fake.timestamp = { status: 200, json: { event_id: h.missing.id, origin_server_ts: h.base } };
  const hidden = await find(h.c, h.roomId, h.base, 'f');
  assert.equal(hidden.json.event_id, mine.json.event_id);
  assert.equal((await ignore([])).status, 200);
  assert.equal((await find(h.c, h.roomId, h.base, 'f')).json.event_id, h.missing.id);
});

test('nothing here before the time (dir=b): the other server’s older event is answered; a user not in the room makes no look-up', async () => {
  const h = await gapSetup();
  const old = message(h.roomId, h.auth, [h.missing.id], h.tip.ev['depth'] as number, 1_000, 'long ago');
  h.fake.events.set(old.id, old.ev);
  h.fake.timestamp = { status: 200, json: { event_id: old.id, origin_server_ts: 1_000 } };
  const stranger = await h.c.t.register('stranger');
  const refused = await h.c.t.req('GET', `/_matrix/client/v1/rooms/${encodeURIComponent(h.roomId)}/timestamp_to_event?ts=2000&dir=b`, { token: stranger.token });
  assert.equal(refused.status, 404, refused.text);
  assert.equal(h.fake.asked.length, 0);
  const res = await find(h.c, h.roomId, 2_000, 'b');
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json, { event_id: old.id, origin_server_ts: 1_000 });
  assert.equal(h.fake.asked[0], `/_matrix/federation/v1/timestamp_to_event/${encodeURIComponent(h.roomId)}?ts=2000&dir=b`);
});
