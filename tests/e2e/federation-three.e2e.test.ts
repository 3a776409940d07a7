// Three `hush serve` processes federating over TLS on loopback (issue 22, decision 0033): a user of A
// creates a room and invites a user of B, who joins through A; messages both ways each end a waiting
// /sync on the other server; a user of C joins by alias (#room:A, /query/directory on A), reads the
// history from before its join (C's /messages backfills from A once it reaches the start of what it
// stored), sends, and the three servers hold every message once and in one order; C lists A's public
// rooms (/publicRooms?server=A); C leaves; B stopped
// while A sends 20 messages, then restarted, gets all 20 once each; matrix-js-sdk on B in A's room.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { client, type ClientSession } from '../support/server.ts';
import { FederationTestbed, type FederatingServer } from './support/federation.ts';
import { sdk, startedClient, waitFor } from './support/sdk.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;
let bed: FederationTestbed;
let a: FederatingServer;
let b: FederatingServer;
let c: FederatingServer;
let bDb: string;
let alice: ClientSession;
let bob: ClientSession;
let carol: ClientSession;
let roomId: string;
let alias: string;

before(async () => {
  bed = new FederationTestbed();
  bDb = join(bed.dir, 'b.sqlite');
  [a, b, c] = await Promise.all([bed.start(), bed.start({ database: bDb }), bed.start()]);
  [alice, bob, carol] = await Promise.all([client(a.proc.baseUrl).register('alice'), client(b.proc.baseUrl).register('bob'), client(c.proc.baseUrl).register('carol')]);
  alias = `#three:${a.name}`;
});

after(async () => {
  await bed?.close();
});

type Http = ReturnType<typeof client>;
const on = (s: FederatingServer): Http => client(s.proc.baseUrl);

async function send(s: FederatingServer, who: ClientSession, body: string): Promise<string> {
  const res = await on(s).request('PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/${enc(body.replace(/\W/g, '_'))}${Date.now()}`, {
    token: who.token,
    body: { msgtype: 'm.text', body },
  });
  assert.equal(res.status, 200, res.text);
  return res.json.event_id;
}

async function syncOnce(s: FederatingServer, who: ClientSession, since?: string, timeout = 0) {
  const res = await on(s).request('GET', `${V3}/sync?timeout=${timeout}${since ? `&since=${enc(since)}` : ''}`, { token: who.token });
  assert.equal(res.status, 200, res.text);
  return res.json;
}

/** Every m.room.message body of the room as `who` reads it with /messages, oldest first (paging back). */
async function history(s: FederatingServer, who: ClientSession): Promise<{ bodies: string[]; ids: string[] }> {
  const events: { event_id: string; type: string; content: { body?: string } }[] = [];
  let from: string | undefined;
  for (let page = 0; page < 50; page++) {
    const res = await on(s).request('GET', `${V3}/rooms/${enc(roomId)}/messages?dir=b&limit=30${from ? `&from=${enc(from)}` : ''}`, { token: who.token });
    assert.equal(res.status, 200, res.text);
    events.push(...res.json.chunk);
    if (!res.json.end || res.json.chunk.length === 0) break;
    from = res.json.end;
  }
  const msgs = events.filter((e) => e.type === 'm.room.message').reverse();
  return { bodies: msgs.map((e) => e.content.body ?? ''), ids: msgs.map((e) => e.event_id) };
}

/** Polls until `check` holds (federation is asynchronous), failing after `ms`. */
async function eventually<T>(what: string, get: () => Promise<T>, check: (v: T) => boolean, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  let last: T;
  for (;;) {
    last = await get();
    if (check(last)) return last;
    if (Date.now() > end) assert.fail(`${what}: still ${JSON.stringify(last).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function membership(s: FederatingServer, who: ClientSession, userId: string): Promise<string | undefined> {
  const res = await on(s).request('GET', `${V3}/rooms/${enc(roomId)}/state/m.room.member/${enc(userId)}`, { token: who.token });
  return res.status === 200 ? res.json.membership : undefined;
}

/** A /sync already waiting on `s` ends with the message `body` sent on the other server. */
async function wakesWaitingSync(from: FederatingServer, sender: ClientSession, to: FederatingServer, reader: ClientSession, body: string): Promise<void> {
  const since = (await syncOnce(to, reader)).next_batch;
  const started = Date.now();
  const waiting = (async () => {
    let token = since;
    for (;;) {
      const s = await syncOnce(to, reader, token, 20_000);
      const tl = s.rooms?.join?.[roomId]?.timeline?.events ?? [];
      if (tl.some((e: { content?: { body?: string } }) => e.content?.body === body)) return Date.now() - started;
      token = s.next_batch;
      if (Date.now() - started > 20_000) throw new Error(`${body} never reached ${to.name}'s /sync`);
    }
  })();
  await new Promise((r) => setTimeout(r, 300));
  await send(from, sender, body);
  const ms = await waiting;
  assert.ok(ms < 20_000);
}

test('A creates a room with an alias, invites a user of B, who joins through A', async () => {
  const created = await on(a).request('POST', `${V3}/createRoom`, {
    token: alice.token,
    body: { preset: 'public_chat', visibility: 'public', name: 'Three', room_alias_name: 'three', initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'shared' } }] },
  });
  assert.equal(created.status, 200, created.text);
  roomId = created.json.room_id;
  const inv = await on(a).request('POST', `${V3}/rooms/${enc(roomId)}/invite`, { token: alice.token, body: { user_id: bob.userId } });
  assert.equal(inv.status, 200, inv.text);
  const joined = await on(b).request('POST', `${V3}/join/${enc(roomId)}?via=${enc(a.name)}`, { token: bob.token, body: {} });
  assert.equal(joined.status, 200, joined.text);
  assert.equal(await membership(a, alice, bob.userId), 'join');
});

test('messages both ways each end a waiting /sync on the other server', async () => {
  await wakesWaitingSync(a, alice, b, bob, 'hello from A');
  await wakesWaitingSync(b, bob, a, alice, 'hello from B');
});

test("a state change and a redaction on A reach B: B's current state and B's copy of the event", async () => {
  const topic = await on(a).request('PUT', `${V3}/rooms/${enc(roomId)}/state/m.room.topic`, { token: alice.token, body: { topic: 'three servers' } });
  assert.equal(topic.status, 200, topic.text);
  await eventually('the topic reached B', async () => (await on(b).request('GET', `${V3}/rooms/${enc(roomId)}/state/m.room.topic`, { token: bob.token })).json?.topic, (v) => v === 'three servers');
  const id = await send(a, alice, 'to be redacted');
  await eventually('the message reached B', () => history(b, bob), (v) => v.ids.includes(id));
  const red = await on(a).request('PUT', `${V3}/rooms/${enc(roomId)}/redact/${enc(id)}/r1`, { token: alice.token, body: { reason: 'oops' } });
  assert.equal(red.status, 200, red.text);
  const onB = await eventually(
    'B shows the message redacted',
    async () => (await on(b).request('GET', `${V3}/rooms/${enc(roomId)}/event/${enc(id)}`, { token: bob.token })).json,
    (ev) => ev?.content !== undefined && ev.content.body === undefined,
  );
  assert.equal(onB.unsigned?.redacted_because?.event_id, red.json.event_id);
});

test('power given on A lets the user of B change the name, which reaches A; a user of B banned on A can no longer send on B', async () => {
  const pl = (await on(a).request('GET', `${V3}/rooms/${enc(roomId)}/state/m.room.power_levels`, { token: alice.token })).json;
  const put = await on(a).request('PUT', `${V3}/rooms/${enc(roomId)}/state/m.room.power_levels`, { token: alice.token, body: { ...pl, users: { ...pl.users, [bob.userId]: 50 } } });
  assert.equal(put.status, 200, put.text);
  await eventually('B knows the new power levels', async () => (await on(b).request('GET', `${V3}/rooms/${enc(roomId)}/state/m.room.power_levels`, { token: bob.token })).json?.users?.[bob.userId], (v) => v === 50);
  const name = await on(b).request('PUT', `${V3}/rooms/${enc(roomId)}/state/m.room.name`, { token: bob.token, body: { name: 'Renamed on B' } });
  assert.equal(name.status, 200, name.text);
  await eventually('the name reached A', async () => (await on(a).request('GET', `${V3}/rooms/${enc(roomId)}/state/m.room.name`, { token: alice.token })).json?.name, (v) => v === 'Renamed on B');

  const dave = await on(b).register('dave');
  const joined = await on(b).request('POST', `${V3}/join/${enc(roomId)}?via=${enc(a.name)}`, { token: dave.token, body: {} });
  assert.equal(joined.status, 200, joined.text);
  await eventually('dave joined on A', () => membership(a, alice, dave.userId), (m) => m === 'join');
  const ban = await on(a).request('POST', `${V3}/rooms/${enc(roomId)}/ban`, { token: alice.token, body: { user_id: dave.userId, reason: 'test' } });
  assert.equal(ban.status, 200, ban.text);
  await eventually('B knows dave is banned', () => membership(b, bob, dave.userId), (m) => m === 'ban');
  const refused = await on(b).request('PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/banned1`, { token: dave.token, body: { msgtype: 'm.text', body: 'let me in' } });
  assert.equal(refused.status, 403, refused.text);
});

test('a user of C joins by alias, reads the history from before its join (backfill from A), and sends', async () => {
  for (let i = 0; i < 40; i++) await send(a, alice, `before C ${i}`);
  // (with the redacted message of the test before: its body is gone, its event stays)
  const resolved = await on(c).request('GET', `${V3}/directory/room/${enc(alias)}`, { token: carol.token });
  assert.equal(resolved.status, 200, resolved.text);
  assert.equal(resolved.json.room_id, roomId);
  assert.ok(resolved.json.servers.includes(a.name), resolved.text);

  const joined = await on(c).request('POST', `${V3}/join/${enc(alias)}`, { token: carol.token, body: {} });
  assert.equal(joined.status, 200, joined.text);
  assert.equal(joined.json.room_id, roomId);
  await eventually('C joined on A and B', async () => [await membership(a, alice, carol.userId), await membership(b, bob, carol.userId)], (v) => v.every((m) => m === 'join'));

  const onA = await history(a, alice);
  const onC = await history(c, carol);
  assert.deepEqual(onC.bodies, onA.bodies, 'C reads the same history as A (backfilled from A)');
  assert.equal(onC.bodies.length, 43);

  // Each message is sent once the one before reached every server, so each follows the last in
  // the room's DAG: one order everywhere, not just the same set.
  for (const [s, who, body] of [[c, carol, 'hello from C'], [b, bob, 'B after C'], [a, alice, 'A after C']] as const) {
    const id = await send(s, who, body);
    for (const [t, reader] of [[a, alice], [b, bob], [c, carol]] as const) {
      await eventually(`${body} reached ${t.name}`, () => history(t, reader), (v) => v.ids.includes(id));
    }
  }
  const expected = [...onA.bodies, 'hello from C', 'B after C', 'A after C'];
  for (const [s, who] of [[a, alice], [b, bob], [c, carol]] as const) {
    const h = await eventually(`${s.name} holds every message once`, () => history(s, who), (v) => v.bodies.length >= expected.length);
    assert.equal(new Set(h.ids).size, h.ids.length, `no message twice on ${s.name}`);
    assert.deepEqual(h.bodies, expected, `${s.name}: every message once, in order`);
  }
  const orders = await Promise.all([history(a, alice), history(b, bob), history(c, carol)]);
  assert.deepEqual(orders[1].ids, orders[0].ids, 'B: the same messages in the same order as A');
  assert.deepEqual(orders[2].ids, orders[0].ids, 'C: the same messages in the same order as A');
});

test('a room whose history is for joined members only: C backfills nothing from before its join, and sees what follows', async () => {
  const mk = await on(a).request('POST', `${V3}/createRoom`, {
    token: alice.token,
    body: { preset: 'public_chat', initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } }] },
  });
  assert.equal(mk.status, 200, mk.text);
  const closed = mk.json.room_id as string;
  for (let i = 0; i < 3; i++) {
    const r = await on(a).request('PUT', `${V3}/rooms/${enc(closed)}/send/m.room.message/closed${i}`, { token: alice.token, body: { msgtype: 'm.text', body: `secret ${i}` } });
    assert.equal(r.status, 200, r.text);
  }
  const joined = await on(c).request('POST', `${V3}/join/${enc(closed)}?via=${enc(a.name)}`, { token: carol.token, body: {} });
  assert.equal(joined.status, 200, joined.text);
  const page = await on(c).request('GET', `${V3}/rooms/${enc(closed)}/messages?dir=b&limit=50`, { token: carol.token });
  assert.equal(page.status, 200, page.text);
  assert.deepEqual(page.json.chunk.filter((e: { type: string }) => e.type === 'm.room.message'), [], 'nothing from before the join, not even redacted');
  const after = await on(a).request('PUT', `${V3}/rooms/${enc(closed)}/send/m.room.message/closed-after`, { token: alice.token, body: { msgtype: 'm.text', body: 'welcome' } });
  await eventually(
    'the message after the join reached C',
    async () => (await on(c).request('GET', `${V3}/rooms/${enc(closed)}/messages?dir=b&limit=50`, { token: carol.token })).json.chunk.map((e: { event_id: string }) => e.event_id),
    (ids: string[]) => ids.includes(after.json.event_id),
  );
});

test("C's client lists A's public rooms (GET and POST /publicRooms?server=A); an unreachable server is a 502", async () => {
  const got = await on(c).request('GET', `/_matrix/client/v3/publicRooms?server=${enc(a.name)}`);
  assert.equal(got.status, 200, got.text);
  const listed = got.json.chunk.find((r: { room_id: string }) => r.room_id === roomId);
  assert.equal(listed?.name, 'Renamed on B', 'the name the user of B gave it');
  assert.equal(listed?.canonical_alias, alias);
  const searched = await on(c).request('POST', `/_matrix/client/v3/publicRooms?server=${enc(a.name)}`, { token: carol.token, body: { filter: { generic_search_term: 'thr' } } });
  assert.equal(searched.status, 200, searched.text);
  assert.deepEqual(searched.json.chunk.map((r: { room_id: string }) => r.room_id), [roomId]);
  const none = await on(c).request('POST', `/_matrix/client/v3/publicRooms?server=${enc(a.name)}`, { token: carol.token, body: { filter: { generic_search_term: 'zzz' } } });
  assert.deepEqual(none.json.chunk, []);
  const down = await on(c).request('GET', `/_matrix/client/v3/publicRooms?server=${enc('localhost:1')}`);
  assert.equal(down.status, 502, down.text);
});

test('the user of C leaves: A and B see the leave', async () => {
  const left = await on(c).request('POST', `${V3}/rooms/${enc(roomId)}/leave`, { token: carol.token, body: {} });
  assert.equal(left.status, 200, left.text);
  await eventually('the leave reached A and B', async () => [await membership(a, alice, carol.userId), await membership(b, bob, carol.userId)], (v) => v.every((m) => m === 'leave'));
});

test('B stopped while A sends 20 messages, then restarted: all 20 arrive, once each, in order', async () => {
  const onA = (await history(a, alice)).ids;
  const before = (await eventually('B holds what A holds', () => history(b, bob), (v) => v.ids.length >= onA.length)).ids.length;
  await b.proc.stop();
  const sent: string[] = [];
  for (let i = 0; i < 20; i++) sent.push(await send(a, alice, `while B was down ${i}`));
  b = await bed.start({ port: b.port, database: bDb });
  const h = await eventually('the 20 messages reached B', () => history(b, bob), (v) => v.ids.length >= before + 20, 60_000);
  assert.equal(new Set(h.ids).size, h.ids.length, 'nothing twice');
  assert.deepEqual(h.ids.slice(before), sent, 'all 20, in the order A sent them');
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal((await history(b, bob)).ids.length, before + 20, 'nothing arrives twice later');
});

test('matrix-js-sdk on B in a room of A: sends and receives', async () => {
  const sdkBob = await startedClient(b.proc.baseUrl, { userId: bob.userId, token: bob.token, deviceId: bob.deviceId });
  try {
    const got = waitFor<string>((done) => {
      const h = (ev: { getType(): string; getContent(): { body?: string }; getRoomId(): string | undefined }) => {
        if (ev.getRoomId() === roomId && ev.getType() === 'm.room.message' && ev.getContent().body === 'to the SDK') done('ok');
      };
      sdkBob.on(sdk.RoomEvent.Timeline, h as never);
      return () => sdkBob.off(sdk.RoomEvent.Timeline, h as never);
    }, 20_000, 'the message from A in the SDK timeline');
    await send(a, alice, 'to the SDK');
    assert.equal(await got, 'ok');
    const { event_id } = await sdkBob.sendTextMessage(roomId, 'from the SDK');
    await eventually('the SDK message reached A', () => history(a, alice), (v) => v.ids.includes(event_id));
  } finally {
    sdkBob.stopClient();
  }
});
