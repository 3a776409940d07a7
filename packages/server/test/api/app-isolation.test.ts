// Two apps in one process (two databases) share no cache (issue 20.4): the loaded ignore views and
// the parsed PDUs belong to the app instance, so one app never answers from another's entries — even
// when both databases hold the same user with lists written at the same stream position.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type Session, type TestApp } from '../helpers.ts';
import { roomSteps } from '../room-helpers.ts';
import { eventsStore } from '../../src/storage/events.store.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

interface World {
  t: TestApp;
  alice: Session;
  bob: Session;
  carol: Session;
  roomId: string;
}

let a: World;
let b: World;

/** The same steps in each app, so that both databases number their changes alike. */
async function world(): Promise<World> {
  const t = await createTestApp();
  const r = roomSteps(t);
  const alice = await t.register('alice');
  const bob = await t.register('bob');
  const carol = await t.register('carol');
  const roomId = await r.createRoom(alice, { preset: 'public_chat' });
  await r.join(bob, roomId);
  await r.join(carol, roomId);
  await r.send(bob, roomId, 'from bob');
  await r.send(carol, roomId, 'from carol');
  return { t, alice, bob, carol, roomId };
}

before(async () => {
  a = await world();
  b = await world();
});
after(async () => {
  await a?.t.close();
  await b?.t.close();
});

async function bodies(w: World): Promise<string[]> {
  const res = await w.t.req('GET', `${V3}/rooms/${enc(w.roomId)}/messages?dir=b&limit=50`, { token: w.alice.token });
  assert.equal(res.status, 200, res.text);
  return (res.json.chunk as { content: { body?: string } }[]).map((e) => e.content.body).filter((x): x is string => x !== undefined);
}

test("two apps in one process do not share their users' ignore views", async () => {
  // Alice ignores bob in one app and carol in the other, each list written at the same position.
  await roomSteps(a.t).ignore(a.alice, [a.bob.userId]);
  await roomSteps(b.t).ignore(b.alice, [b.carol.userId]);
  assert.deepEqual(await bodies(a), ['from carol']);
  // With one process-wide cache, this read found app A's view (same user, same list position).
  assert.deepEqual(await bodies(b), ['from bob']);
  assert.deepEqual(await bodies(a), ['from carol']);
});

test('two apps in one process do not share parsed PDUs', async () => {
  // An event id both databases hold with different contents (ids of rooms v1/v2 are not hashes).
  const id = await roomSteps(a.t).send(a.alice, a.roomId, 'the original');
  const row = await eventsStore.byId(a.t.database.db, id);
  assert.ok(row);
  assert.equal(a.t.services.caches.pdus.parse(row).content['body'], 'the original');
  const other = { ...row, json: row.json.replace('the original', 'another text') };
  assert.equal(b.t.services.caches.pdus.parse(other).content['body'], 'another text');
  assert.equal(a.t.services.caches.pdus.parse(row).content['body'], 'the original');
});
