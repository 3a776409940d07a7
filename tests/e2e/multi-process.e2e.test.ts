// Two `hush serve` processes on one PostgreSQL database, as behind a load balancer: a long-poll on
// B wakes for a send on A (LISTEN/NOTIFY), an ignore written on A hides on B, typing on A shows on
// B, a logout on A is refused on B, and 1,000 concurrent sends from 20 users over both processes
// arrive exactly once, in one order, in /sync and in /messages.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { client, startHush, type ClientSession, type HushProcess } from '../support/server.ts';
import { freshPgDatabase } from '../support/postgres.ts';
import { bodies, enc, joined, steps, timelineOf, V3, type Json } from './support/steps.ts';

let a: HushProcess;
let b: HushProcess;
let drop: () => Promise<void>;
let onA: ReturnType<typeof steps>;
let onB: ReturnType<typeof steps>;

before(async () => {
  const pg = await freshPgDatabase();
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

describe('two processes, one PostgreSQL', () => {
  test('a long-poll on B wakes for a send on A', async () => {
    const [alice, bob] = await Promise.all([both('mp1_alice'), both('mp1_bob')]);
    const room = await onA.createRoom(alice.onA, { preset: 'public_chat' });
    await onA.join(bob.onA, room);
    const s0 = await onB.sync(alice.onB);
    const t0 = Date.now();
    const waiting = onB.sync(alice.onB, { since: s0.next_batch, timeout: 20_000 });
    await onA.send(bob.onA, room, 'mp1 hello from A');
    const woke = await waiting;
    assert.deepEqual(bodies(timelineOf(woke, room)), ['mp1 hello from A']);
    assert.ok(Date.now() - t0 < 15_000, 'woken by the notification, not by the 20 s timeout');
  });

  test('an ignore written on A wakes a waiting sync on B and hides the user there', async () => {
    const [alice, bob] = await Promise.all([both('mp2_alice'), both('mp2_bob')]);
    const room = await onA.createRoom(alice.onA, { preset: 'public_chat' });
    await onA.join(bob.onA, room);
    const s0 = await onB.sync(alice.onB);
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
    const [alice, bob] = await Promise.all([both('mp3_alice'), both('mp3_bob')]);
    const room = await onA.createRoom(alice.onA, { preset: 'public_chat' });
    await onA.join(bob.onA, room);
    const s0 = await onB.sync(alice.onB);
    const waiting = onB.sync(alice.onB, { since: s0.next_batch, timeout: 20_000 });
    await onA.typing(bob.onA, room, true);
    const woke = await waiting;
    const typing = (joined(woke, room)?.ephemeral?.events as Json[] | undefined)?.find((e) => e.type === 'm.typing');
    assert.deepEqual(typing?.content.user_ids, [bob.onA.userId]);
  });

  test('a logout on A is refused on B at once', async () => {
    const s = await onA.user('mp4_alice');
    assert.equal((await onB.get(s, `${V3}/account/whoami`)).status, 200, 'B has the token cached now');
    assert.equal((await onA.http.request('POST', `${V3}/logout`, { token: s.token, body: {} })).status, 200);
    // No sleep: the revocation travels with the logout's notification; allow it the round trip.
    let status = 200;
    for (let i = 0; i < 50 && status === 200; i++) {
      status = (await onB.get(s, `${V3}/account/whoami`)).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(status, 401, 'B refuses the revoked token (well inside its 5 s cache lifetime)');
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
