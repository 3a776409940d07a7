// Two `hush serve` processes on one PostgreSQL database, as behind a load balancer: a long-poll on
// B wakes for a send on A (LISTEN/NOTIFY), also in a room joined through A after B last read the
// user's rooms; an ignore written on A hides on B; typing on A shows on B, concurrent typing through
// both ends up the same on both, a refresh through A keeps it on B; a logout on A is refused by B's
// very next request, and a logout/all on A ends a long-poll waiting on B with 401 at once; a lost LISTEN connection comes back without losing a wake-up; and 1,000
// concurrent sends from 20 users over both processes arrive exactly once, in one order, in /sync
// and in /messages. A room's state changed through one process counts at once on the other, which
// keeps what it read of the room's state (decision 0048).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { client, startHush, type ClientSession, type HushProcess } from '../support/server.ts';
import { freshPgDatabase } from '../support/postgres.ts';
import { bodies, enc, joined, steps, timelineOf, V3, type Json } from './support/steps.ts';

let a: HushProcess;
let b: HushProcess;
let dbUrl: string;
let drop: () => Promise<void>;
let onA: ReturnType<typeof steps>;
let onB: ReturnType<typeof steps>;

before(async () => {
  const pg = await freshPgDatabase();
  dbUrl = pg.url;
  drop = pg.drop;
  // Both start at once: migrations take an advisory lock.
  [a, b] = await Promise.all([startHush({ database: pg.url }), startHush({ database: pg.url })]);
  onA = steps(client(a.baseUrl));
  onB = steps(client(b.baseUrl));
});
after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await drop?.();
});

/** A user registered on A, with a second session (device) on B. */
async function both(name: string): Promise<{ onA: ClientSession; onB: ClientSession }> {
  const s = await onA.user(name);
  return { onA: s, onB: await onB.http.login(name) };
}

/** alice and bob, with sessions on both processes, in a public room made on A; alice's first sync
 *  on B. */
async function pair(prefix: string) {
  const [alice, bob] = await Promise.all([both(`${prefix}_alice`), both(`${prefix}_bob`)]);
  const room = await onA.createRoom(alice.onA, { preset: 'public_chat' });
  await onA.join(bob.onA, room);
  return { alice, bob, room, s0: await onB.sync(alice.onB) };
}

const typingIn = (sync: Json, room: string): string[] | undefined =>
  (joined(sync, room)?.ephemeral?.events as Json[] | undefined)?.find((e) => e.type === 'm.typing')?.content.user_ids;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('two processes, one PostgreSQL', () => {
  test('a long-poll on B wakes for a send on A', async () => {
    const { alice, bob, room, s0 } = await pair('mp1');
    const t0 = Date.now();
    const waiting = onB.sync(alice.onB, { since: s0.next_batch, timeout: 20_000 });
    await onA.send(bob.onA, room, 'mp1 hello from A');
    const woke = await waiting;
    assert.deepEqual(bodies(timelineOf(woke, room)), ['mp1 hello from A']);
    assert.ok(Date.now() - t0 < 15_000, 'woken by the notification, not by the 20 s timeout');
  });

  test('a long-poll on B wakes for a room joined through A after B last read the user\'s rooms', async () => {
    const [alice, bob] = await Promise.all([both('mp6_alice'), both('mp6_bob')]);
    const first = await onB.sync(alice.onB); // B knows alice's rooms: none
    const room = await onA.createRoom(bob.onA, { preset: 'public_chat' });
    // bob's long-poll on B returns once B has heard of alice's join.
    const bobSince = (await onB.sync(bob.onB)).next_batch;
    const bobWaits = onB.sync(bob.onB, { since: bobSince, timeout: 20_000 });
    await onA.join(alice.onA, room);
    await bobWaits;
    // alice's next token comes from A, already past her join; then she waits on B.
    const viaA = await onA.sync(alice.onA, { since: first.next_batch });
    assert.ok(joined(viaA, room), 'A reports the join');
    const t0 = Date.now();
    const waiting = onB.sync(alice.onB, { since: viaA.next_batch, timeout: 20_000 });
    await onA.send(bob.onA, room, 'mp6 in the new room');
    assert.deepEqual(bodies(timelineOf(await waiting, room)), ['mp6 in the new room']);
    assert.ok(Date.now() - t0 < 15_000, 'woken by the send, not by the 20 s timeout');
  });

  test('an ignore written on A wakes a waiting sync on B and hides the user there', async () => {
    const { alice, bob, room, s0 } = await pair('mp2');
    const waiting = onB.sync(alice.onB, { since: s0.next_batch, timeout: 20_000 });
    await onA.ignore(alice.onA, [bob.onA.userId]);
    const woke = await waiting;
    assert.ok((woke.account_data.events as Json[]).some((e) => e.type === 'm.ignored_user_list'), 'the waiting sync on B returned the new list');
    await onA.send(bob.onA, room, 'mp2 bob, ignored');
    await onB.send(bob.onB, room, 'mp2 bob via B, ignored');
    const next = await onB.sync(alice.onB, { since: woke.next_batch });
    assert.deepEqual(bodies(timelineOf(next, room)), []);
    const page = await onB.get(alice.onB, `${V3}/rooms/${enc(room)}/messages?dir=b&limit=20`);
    assert.ok(!bodies(page.json.chunk).some((x) => x.startsWith('mp2 bob')), '/messages on B hides bob too');
  });

  test('typing through A shows in a sync on B', async () => {
    const { alice, bob, room, s0 } = await pair('mp3');
    const waiting = onB.sync(alice.onB, { since: s0.next_batch, timeout: 20_000 });
    await onA.typing(bob.onA, room, true);
    assert.deepEqual(typingIn(await waiting, room), [bob.onA.userId]);
  });

  test('users typing at once through A and through B show on both processes alike', async () => {
    const [alice, bob, carol] = await Promise.all([both('mp7_alice'), both('mp7_bob'), both('mp7_carol')]);
    const rooms: string[] = [];
    for (let i = 0; i < 8; i++) {
      const room = await onA.createRoom(alice.onA, { preset: 'public_chat' });
      await Promise.all([onA.join(bob.onA, room), onB.join(carol.onB, room)]);
      rooms.push(room);
    }
    await Promise.all(rooms.flatMap((room) => [onA.typing(bob.onA, room, true), onB.typing(carol.onB, room, true)]));
    // Each PUT returns once its own process applied it; the other process may be a moment behind.
    const both2 = [bob.onA.userId, carol.onA.userId].sort();
    for (const [name, on, session] of [['A', onA, alice.onA], ['B', onB, alice.onB]] as const) {
      const shown = new Map<string, string[]>();
      let s = await on.sync(session);
      for (let i = 0; ; i++) {
        for (const room of rooms) {
          const users = typingIn(s, room);
          if (users) shown.set(room, [...users].sort());
        }
        if (i === 20 || rooms.every((r) => shown.get(r)?.length === 2)) break;
        s = await on.sync(session, { since: s.next_batch, timeout: 1_000 });
      }
      for (const room of rooms) assert.deepEqual(shown.get(room), both2, `${name} shows both typing in every room`);
    }
  });

  test('a typing refresh through A keeps the user typing on B past the first timeout', async () => {
    const { alice, bob, room } = await pair('mp8');
    const put = (timeout: number) =>
      onA.http.request('PUT', `${V3}/rooms/${enc(room)}/typing/${enc(bob.onA.userId)}`, { token: bob.onA.token, body: { typing: true, timeout } });
    assert.equal((await put(1_000)).status, 200);
    assert.equal((await put(60_000)).status, 200);
    await sleep(3_000); // past the first timeout and an expiry sweep on both processes
    assert.deepEqual(typingIn(await onB.sync(alice.onB), room), [bob.onA.userId]);
    assert.deepEqual(typingIn(await onA.sync(alice.onA), room), [bob.onA.userId]);
  });

  test('a logout on A is refused by the very next request on B', async () => {
    for (let i = 0; i < 5; i++) {
      const s = await onA.user(`mp4_alice${i}`);
      assert.equal((await onB.get(s, `${V3}/account/whoami`)).status, 200, 'B has the token cached now');
      assert.equal((await onA.http.request('POST', `${V3}/logout`, { token: s.token, body: {} })).status, 200);
      assert.equal((await onB.get(s, `${V3}/account/whoami`)).status, 401, 'B refuses the revoked token (inside its 5 s cache lifetime)');
    }
  });

  test('logout/all on A ends a long-poll waiting on B with 401 M_UNKNOWN_TOKEN at once; a message sent after it never reaches it', async () => {
    const { alice, bob, room, s0 } = await pair('mp10');
    const pending = onB.http
      .request('GET', `${V3}/sync?timeout=20000&since=${enc(s0.next_batch)}`, { token: alice.onB.token })
      .then((res) => ({ res, at: Date.now() }));
    await sleep(500); // B's long-poll is parked in its notifier
    assert.equal((await onA.http.request('POST', `${V3}/logout/all`, { token: alice.onA.token, body: {} })).status, 200);
    const revokedAt = Date.now();
    await onA.send(bob.onA, room, 'mp10 after the logout');
    const { res, at } = await pending;
    assert.equal(res.status, 401, `B's long-poll answered ${res.status} ${res.text.slice(0, 300)}`);
    assert.equal(res.json?.errcode, 'M_UNKNOWN_TOKEN');
    assert.ok(at - revokedAt < 1_000, `answered ${at - revokedAt} ms after logout/all answered`);
  });

  test('a lost LISTEN connection is re-established, and what was announced meanwhile still wakes', async () => {
    const { alice, bob, room, s0 } = await pair('mp9');
    const waiting = onB.sync(alice.onB, { since: s0.next_batch, timeout: 20_000 });
    const admin = new pg.Client({ connectionString: dbUrl });
    await admin.connect();
    try {
      const killed = await admin.query(
        "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'hush-listen' and datname = current_database()",
      );
      assert.equal(killed.rowCount, 2, 'both processes had their listener');
    } finally {
      await admin.end();
    }
    await onA.send(bob.onA, room, 'mp9 while B was not listening');
    const woke = await waiting;
    assert.deepEqual(bodies(timelineOf(woke, room)), ['mp9 while B was not listening']);
    // Listening again: the next send wakes the next long-poll.
    const again = onB.sync(alice.onB, { since: woke.next_batch, timeout: 20_000 });
    await onA.send(bob.onA, room, 'mp9 after the reconnect');
    assert.deepEqual(bodies(timelineOf(await again, room)), ['mp9 after the reconnect']);
    assert.match(b.logs(), /bus listener reconnected/);
  });

  test('a room state changed through B counts on A at once, although A kept the state its earlier sends read (decision 0048)', async () => {
    const [alice, bob, carol, dave] = await Promise.all([both('mp11_alice'), both('mp11_bob'), both('mp11_carol'), both('mp11_dave')]);
    const room = await onA.createRoom(alice.onA, { preset: 'public_chat' });
    for (const u of [bob, carol]) await onA.join(u.onA, room);
    // Sends through A read the room's auth state, members, names and power levels, and keep them.
    await onA.send(bob.onA, room, 'mp11 one');
    await onA.send(alice.onA, room, 'mp11 two');
    const carolSince = (await onA.sync(carol.onA)).next_batch;

    // Through B: bob is banned, carol takes a new display name, dave joins.
    const ban = await onB.http.request('POST', `${V3}/rooms/${enc(room)}/ban`, { token: alice.onB.token, body: { user_id: bob.onB.userId } });
    assert.equal(ban.status, 200, ban.text);
    await onB.setState(carol.onB, room, 'm.room.member', { membership: 'join', displayname: 'Zebulon' }, carol.onB.userId);
    await onB.join(dave.onB, room);

    // On A: bob may no longer send; a message naming carol's new name highlights her; dave counts it.
    const refused = await onA.http.request('PUT', `${V3}/rooms/${enc(room)}/send/m.room.message/mp11-bob`, { token: bob.onA.token, body: { msgtype: 'm.text', body: 'mp11 banned' } });
    assert.equal(refused.status, 403, refused.text);
    await onA.send(alice.onA, room, 'mp11 hello Zebulon');
    const carolSync = await onA.sync(carol.onA, { since: carolSince });
    assert.equal(joined(carolSync, room)?.unread_notifications?.highlight_count, 1, 'her new name, set through B, highlights on A');
    const daveSync = await onA.sync(dave.onA);
    assert.equal(joined(daveSync, room)?.unread_notifications?.notification_count, 1, 'dave, joined through B, is a recipient on A');
  });

  test('1,000 concurrent sends from 20 users over both processes: none lost or repeated, one order everywhere', async () => {
    const users = await Promise.all(Array.from({ length: 20 }, (_, i) => onA.user(`mp5_u${i}`)));
    const reader = await both('mp5_reader');
    const room = await onA.createRoom(reader.onA, { preset: 'public_chat' });
    for (const [i, u] of users.entries()) await (i % 2 ? onB : onA).join(u, room);
    const s0 = await onB.sync(reader.onB);
    await Promise.all(
      users.map(async (u, i) => {
        const via = i % 2 ? onB : onA;
        for (let k = 0; k < 50; k++) await via.send(u, room, `mp5 ${i} ${k}`);
      }),
    );
    // Read everything through B's incremental syncs, then through /messages on A.
    const seen: string[] = [];
    let token = s0.next_batch;
    for (let round = 0; round < 200 && seen.length < 1000; round++) {
      const s = await onB.sync(reader.onB, { since: token, filter: { room: { timeline: { limit: 100 } } } });
      const tl = joined(s, room)?.timeline;
      if (tl?.limited) {
        // A gap: fetch what lies between the previous token and this batch through /messages.
        const back = await onB.get(reader.onB, `${V3}/rooms/${enc(room)}/messages?dir=f&from=${enc(token)}&to=${enc(tl.prev_batch)}&limit=1000`);
        seen.push(...bodies(back.json.chunk).filter((x) => x.startsWith('mp5 ')));
      }
      seen.push(...bodies(tl?.events ?? []).filter((x) => x.startsWith('mp5 ')));
      token = s.next_batch;
    }
    assert.equal(seen.length, 1000, 'every message arrived once through sync');
    assert.equal(new Set(seen).size, 1000, 'none repeated');
    for (let i = 0; i < 20; i++) {
      const mine = seen.filter((x) => x.startsWith(`mp5 ${i} `)).map((x) => Number(x.split(' ')[2]));
      assert.deepEqual(mine, Array.from({ length: 50 }, (_, k) => k), `user ${i}'s messages in the order sent`);
    }
    const all: string[] = [];
    let from: string | undefined;
    for (let page = 0; page < 20; page++) {
      const r = await onA.get(reader.onA, `${V3}/rooms/${enc(room)}/messages?dir=b&limit=200${from ? `&from=${enc(from)}` : ''}`);
      all.push(...bodies(r.json.chunk).filter((x) => x.startsWith('mp5 ')));
      if (!r.json.end) break;
      from = r.json.end;
    }
    assert.deepEqual([...all].reverse(), seen, '/messages on A gives the same 1,000 in the same order as sync on B');
  });
});
