// In-process tests of /sync: initial, incremental, long-poll, filters, invites, leaves, ephemeral.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSuiteApp, createTestApp, type Session, type TestApp } from '../helpers.ts';
import { roomSteps, type RoomSteps } from '../room-helpers.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

let t: TestApp;
let r: RoomSteps;
let alice: Session;
let bob: Session;

before(async () => {
  t = await createSuiteApp();
  r = roomSteps(t);
  alice = await t.register('alice');
  bob = await t.register('bob');
});
after(() => t.close());

const ids = (events: { event_id: string }[]) => events.map((e) => e.event_id);

describe('sync', () => {
  test('initial sync: joined room with state and a limited timeline', async () => {
    const roomId = await r.createRoom(alice, { name: 'Room' });
    const sent: string[] = [];
    for (let i = 0; i < 15; i++) sent.push(await r.send(alice, roomId, `n${i}`));
    const s = await r.sync(alice, { filter: JSON.stringify({ room: { timeline: { limit: 5 } } }) });
    const room = s.rooms.join[roomId];
    assert.ok(room, 'the room is in rooms.join');
    assert.deepEqual(ids(room.timeline.events), sent.slice(-5));
    assert.equal(room.timeline.limited, true);
    assert.equal(typeof room.timeline.prev_batch, 'string');
    assert.ok(room.state.events.some((e: { type: string }) => e.type === 'm.room.name'));
    assert.match(s.next_batch, /^h1_\d+_\d+$/);
    // prev_batch continues exactly where the timeline starts.
    const back = await t.req('GET', `${V3}/rooms/${enc(roomId)}/messages?dir=b&limit=3&from=${enc(room.timeline.prev_batch)}`, { token: alice.token });
    assert.deepEqual(ids(back.json.chunk), sent.slice(-8, -5).reverse());
  });

  test('incremental sync: only what is new; nothing new is an empty response with a token', async () => {
    const roomId = await r.createRoom(alice);
    const first = await r.sync(alice);
    const e1 = await r.send(alice, roomId, 'new one');
    const second = await r.sync(alice, { since: first.next_batch });
    assert.deepEqual(ids(second.rooms.join[roomId].timeline.events), [e1]);
    assert.equal(second.rooms.join[roomId].timeline.limited, false);
    assert.deepEqual(second.rooms.join[roomId].state.events, []);
    const third = await r.sync(alice, { since: second.next_batch });
    assert.deepEqual(third.rooms.join, {});
    assert.equal(typeof third.next_batch, 'string');
  });

  test('the timeline carries transaction_id only to the sending device', async () => {
    const roomId = await r.createRoom(alice);
    const since = (await r.sync(alice)).next_batch;
    await t.req('PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/my-txn`, { token: alice.token, body: { body: 'x' } });
    const mine = await r.sync(alice, { since });
    assert.equal(mine.rooms.join[roomId].timeline.events[0].unsigned.transaction_id, 'my-txn');
    const other = await t.login('alice');
    const theirs = await r.sync(other, { since });
    assert.equal(theirs.rooms.join[roomId].timeline.events[0].unsigned.transaction_id, undefined);
  });

  test('invites appear in rooms.invite with stripped state; joining moves the room to join', async () => {
    const roomId = await r.createRoom(alice, { name: 'Invite me' });
    const since = (await r.sync(bob)).next_batch;
    await r.invite(alice, roomId, bob.userId);
    const s = await r.sync(bob, { since });
    const inv = s.rooms.invite[roomId];
    assert.ok(inv);
    const types = inv.invite_state.events.map((e: { type: string }) => e.type);
    assert.ok(types.includes('m.room.name'));
    assert.ok(types.includes('m.room.member'));
    await r.join(bob, roomId);
    const s2 = await r.sync(bob, { since: s.next_batch });
    assert.ok(s2.rooms.join[roomId], 'newly joined room is in join');
    assert.ok(s2.rooms.join[roomId].state.events.length + s2.rooms.join[roomId].timeline.events.length > 3, 'a new room comes with its state');
  });

  test('leaving puts the room in rooms.leave', async () => {
    const roomId = await r.createRoom(alice, { preset: 'public_chat' });
    await r.join(bob, roomId);
    const since = (await r.sync(bob)).next_batch;
    await r.leave(bob, roomId);
    const s = await r.sync(bob, { since });
    assert.ok(s.rooms.leave[roomId]);
    const last = s.rooms.leave[roomId].timeline.events.at(-1);
    assert.equal(last.content.membership, 'leave');
  });

  test('long-poll is woken by a new event, not by polling', async () => {
    const roomId = await r.createRoom(alice, { preset: 'public_chat' });
    await r.join(bob, roomId);
    const since = (await r.sync(alice)).next_batch;
    const started = Date.now();
    const waiting = r.sync(alice, { since, timeout: 20_000 });
    await new Promise((res) => setTimeout(res, 100));
    const ev = await r.send(bob, roomId, 'wake up');
    const s = await waiting;
    assert.ok(Date.now() - started < 10_000);
    assert.deepEqual(ids(s.rooms.join[roomId].timeline.events), [ev]);
  });

  test('long-poll with nothing new returns after the timeout', async () => {
    const since = (await r.sync(alice)).next_batch;
    const started = Date.now();
    const s = await r.sync(alice, { since, timeout: 300 });
    assert.ok(Date.now() - started >= 250);
    assert.deepEqual(s.rooms.join, {});
  });

  test('account data writes wake a waiting sync', async () => {
    const since = (await r.sync(alice)).next_batch;
    const waiting = r.sync(alice, { since, timeout: 20_000 });
    await new Promise((res) => setTimeout(res, 50));
    await t.req('PUT', `${V3}/user/${enc(alice.userId)}/account_data/org.example.wake`, { token: alice.token, body: { x: 1 } });
    const s = await waiting;
    assert.ok(s.account_data.events.some((e: { type: string }) => e.type === 'org.example.wake'));
  });

  test('stored filters and inline filters; bad filters are rejected', async () => {
    const def = await t.req('POST', `${V3}/user/${enc(alice.userId)}/filter`, { token: alice.token, body: { room: { timeline: { limit: 2 } } } });
    assert.equal(def.status, 200);
    const got = await t.req('GET', `${V3}/user/${enc(alice.userId)}/filter/${def.json.filter_id}`, { token: alice.token });
    assert.deepEqual(got.json, { room: { timeline: { limit: 2 } } });
    const otherUser = await t.req('GET', `${V3}/user/${enc(alice.userId)}/filter/${def.json.filter_id}`, { token: bob.token });
    assert.equal(otherUser.status, 403);
    const roomId = await r.createRoom(alice);
    for (let i = 0; i < 4; i++) await r.send(alice, roomId);
    const s = await r.sync(alice, { filter: def.json.filter_id });
    assert.equal(s.rooms.join[roomId].timeline.events.length, 2);
    const bad = await t.req('POST', `${V3}/user/${enc(alice.userId)}/filter`, { token: alice.token, body: { room: { timeline: { limit: 'x' } } } });
    assert.equal(bad.json.errcode, 'M_BAD_JSON');
    const badInline = await t.req('GET', `${V3}/sync?filter=${enc('{nope')}`, { token: alice.token });
    assert.equal(badInline.status, 400);
    const badToken = await t.req('GET', `${V3}/sync?since=garbage`, { token: alice.token });
    assert.equal(badToken.status, 400);
    const badTimeout = await t.req('GET', `${V3}/sync?timeout=soon`, { token: alice.token });
    assert.equal(badTimeout.status, 400);
  });

  test('typing and receipts arrive as ephemeral events', async () => {
    const roomId = await r.createRoom(alice, { preset: 'public_chat' });
    await r.join(bob, roomId);
    const ev = await r.send(bob, roomId, 'read me');
    const since = (await r.sync(alice)).next_batch;
    await t.req('PUT', `${V3}/rooms/${enc(roomId)}/typing/${enc(bob.userId)}`, { token: bob.token, body: { typing: true, timeout: 10_000 } });
    await t.req('POST', `${V3}/rooms/${enc(roomId)}/receipt/m.read/${enc(ev)}`, { token: bob.token, body: {} });
    const s = await r.sync(alice, { since });
    const eph = s.rooms.join[roomId].ephemeral.events;
    const typing = eph.find((e: { type: string }) => e.type === 'm.typing');
    assert.deepEqual(typing.content.user_ids, [bob.userId]);
    const receipt = eph.find((e: { type: string }) => e.type === 'm.receipt');
    assert.ok(receipt.content[ev]['m.read'][bob.userId].ts > 0);
    const notMe = await t.req('PUT', `${V3}/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, { token: bob.token, body: { typing: true } });
    assert.equal(notMe.status, 403);
  });

  test('unread_notifications count messages after the read receipt', async () => {
    const roomId = await r.createRoom(alice, { preset: 'public_chat' });
    await r.join(bob, roomId);
    await r.send(bob, roomId, 'one');
    const two = await r.send(bob, roomId, 'two');
    await r.send(bob, roomId, 'three');
    let s = await r.sync(alice);
    assert.equal(s.rooms.join[roomId].unread_notifications.notification_count, 3);
    await t.req('POST', `${V3}/rooms/${enc(roomId)}/receipt/m.read/${enc(two)}`, { token: alice.token, body: {} });
    s = await r.sync(alice);
    assert.equal(s.rooms.join[roomId].unread_notifications.notification_count, 1);
  });

  test('a redacted message stops counting as unread and leaves /notifications, held in memory or written', async () => {
    const roomId = await r.createRoom(alice, { preset: 'public_chat' });
    await r.join(bob, roomId);
    const count = async () => (await r.sync(alice)).rooms.join[roomId].unread_notifications.notification_count as number;
    const listed = async () => ((await t.req('GET', `${V3}/notifications`, { token: alice.token })).json.notifications as { event: { event_id: string } }[]).map((n) => n.event.event_id);
    const redact = (id: string, txn: string) => t.req('PUT', `${V3}/rooms/${enc(roomId)}/redact/${enc(id)}/${txn}`, { token: bob.token, body: {} });
    const held = t.services.caches.heldRows;
    // Written: the push actions are flushed to the table before the redaction.
    const one = await r.send(bob, roomId, 'one');
    await held?.flush();
    const two = await r.send(bob, roomId, 'two');
    assert.equal(await count(), 2);
    assert.equal((await redact(one, 'r1')).status, 200);
    assert.equal(await count(), 1);
    assert.ok(!(await listed()).includes(one));
    // Held: the redaction commits while the target's rows are still in memory; the flush after it
    // does not write them.
    assert.equal((await redact(two, 'r2')).status, 200);
    assert.equal(await count(), 0);
    await held?.flush();
    assert.equal(await count(), 0);
    assert.deepEqual((await listed()).filter((id) => id === one || id === two), []);
  });

  test('sync tokens survive a restart of the services on the same database', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'hush-restart-'));
    const file = join(dir, 'db.sqlite');
    try {
      const a = await createTestApp({ database: file });
      const ra = roomSteps(a);
      const u = await a.register('dora');
      const roomId = await ra.createRoom(u);
      const since = (await ra.sync(u)).next_batch;
      await a.close();
      const b = await createTestApp({ database: file });
      const rb = roomSteps(b);
      const ev = await rb.send(u, roomId, 'after restart');
      const s = await rb.sync(u, { since });
      assert.deepEqual(ids(s.rooms.join[roomId].timeline.events), [ev]);
      await b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
