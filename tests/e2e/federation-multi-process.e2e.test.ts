// Two federating servers, each two `hush serve` processes on one PostgreSQL database behind a TCP
// proxy that round-robins connections between them (support/proxy.ts; issue 22, decision 0040),
// and a third single-process server on SQLite: messages both ways end /syncs waiting on either
// process; every event reaches the other server in exactly one transaction (no destination queue
// sent by two processes: the receiver's recorded transactions name each event once); a process of
// the sending server killed (SIGKILL) in the middle of a transaction — its connection stalled by
// the proxy — loses nothing: the other process takes the destination over once the lease expires
// and re-sends the same transaction; events of two origins arriving at both processes of one
// server at once end in one order, read the same from both processes.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { client, type ClientSession } from '../support/server.ts';
import { freshPgDatabase } from '../support/postgres.ts';
import { FederationTestbed, type FederatingServer } from './support/federation.ts';
import { TcpProxy } from './support/proxy.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
let bed: FederationTestbed;
let pA: TcpProxy;
let pB: TcpProxy;
let pC: TcpProxy;
let a1: FederatingServer;
let a2: FederatingServer;
let b1: FederatingServer;
let b2: FederatingServer;
let c: FederatingServer;
const dbs: { url: string; drop(): Promise<void> }[] = [];
/** alice on A (a session on each process), bob on B (likewise), carol on C. */
let alice1: ClientSession;
let alice2: ClientSession;
let bob1: ClientSession;
let bob2: ClientSession;
let carol: ClientSession;
let roomId: string;

const on = (s: FederatingServer) => client(s.proc.baseUrl);

before(async () => {
  bed = new FederationTestbed();
  [pA, pB, pC] = await Promise.all([TcpProxy.start(), TcpProxy.start(), TcpProxy.start()]);
  const [dbA, dbB] = await Promise.all([freshPgDatabase(), freshPgDatabase()]);
  dbs.push(dbA, dbB);
  // The first process of each runs the migrations; the second starts on the migrated database.
  [a1, b1, c] = await Promise.all([bed.start({ proxy: pA, database: dbA.url }), bed.start({ proxy: pB, database: dbB.url }), bed.start({ proxy: pC })]);
  [a2, b2] = await Promise.all([bed.start({ proxy: pA, database: dbA.url }), bed.start({ proxy: pB, database: dbB.url })]);
  [alice1, bob1, carol] = await Promise.all([on(a1).register('alice'), on(b1).register('bob'), on(c).register('carol')]);
  [alice2, bob2] = await Promise.all([on(a2).login('alice'), on(b2).login('bob')]);
});

after(async () => {
  await bed?.close();
  await Promise.all([pA, pB, pC].map((p) => p?.close()));
  for (const d of dbs) await d.drop().catch(() => undefined);
});

let seq = 0;
async function say(s: FederatingServer, who: ClientSession, body: string): Promise<string> {
  const res = await on(s).request('PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/m${Date.now()}.${seq++}`, { token: who.token, body: { msgtype: 'm.text', body } });
  assert.equal(res.status, 200, res.text);
  return res.json.event_id;
}

async function sync(s: FederatingServer, who: ClientSession, since?: string, timeout = 0): Promise<Json> {
  const res = await on(s).request('GET', `${V3}/sync?timeout=${timeout}${since ? `&since=${enc(since)}` : ''}`, { token: who.token });
  assert.equal(res.status, 200, res.text);
  return res.json;
}

/** A /sync already waiting on `to` ends with `body` sent on `from`. */
async function wakes(from: FederatingServer, sender: ClientSession, to: FederatingServer, reader: ClientSession, body: string): Promise<void> {
  const since = (await sync(to, reader)).next_batch;
  const started = Date.now();
  const waiting = (async () => {
    let token = since;
    while (Date.now() - started < 20_000) {
      const s = await sync(to, reader, token, 20_000);
      if ((s.rooms?.join?.[roomId]?.timeline?.events ?? []).some((e: Json) => e.content?.body === body)) return;
      token = s.next_batch;
    }
    assert.fail(`${body} never reached a /sync waiting on ${to.proc.baseUrl}`);
  })();
  await new Promise((r) => setTimeout(r, 300));
  await say(from, sender, body);
  await waiting;
}

/** Every message of the room on `s`, oldest first: [event id, body]. */
async function messages(s: FederatingServer, who: ClientSession): Promise<[string, string][]> {
  const out: [string, string][] = [];
  let from: string | undefined;
  for (let page = 0; page < 50; page++) {
    const res = await on(s).request('GET', `${V3}/rooms/${enc(roomId)}/messages?dir=b&limit=100${from ? `&from=${enc(from)}` : ''}`, { token: who.token });
    assert.equal(res.status, 200, res.text);
    for (const e of res.json.chunk as Json[]) if (e.type === 'm.room.message') out.push([e.event_id, e.content.body]);
    if (!res.json.end || res.json.chunk.length === 0) break;
    from = res.json.end;
  }
  return out.reverse();
}

async function eventually<T>(what: string, get: () => Promise<T>, check: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (check(v)) return v;
    if (Date.now() > end) assert.fail(`${what}: still ${JSON.stringify(v).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** How many of the transactions `origin` sent to the server on `dbUrl` named each event id. */
async function deliveries(dbUrl: string, origin: string): Promise<Map<string, number>> {
  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ response_json: string }>('select response_json from federation_inbound_txns where origin = $1', [origin]);
    const count = new Map<string, number>();
    for (const r of rows) for (const id of Object.keys((JSON.parse(r.response_json) as { pdus: Json }).pdus)) count.set(id, (count.get(id) ?? 0) + 1);
    return count;
  } finally {
    await db.end();
  }
}

test('a room on A joined from both processes of B and from C; messages both ways end /syncs waiting on either process', async () => {
  const created = await on(a1).request('POST', `${V3}/createRoom`, { token: alice1.token, body: { preset: 'public_chat', name: 'Two by two' } });
  assert.equal(created.status, 200, created.text);
  roomId = created.json.room_id;
  const joined = await on(b2).request('POST', `${V3}/join/${enc(roomId)}?via=${enc(a1.name)}`, { token: bob2.token, body: {} });
  assert.equal(joined.status, 200, joined.text);
  const joinedC = await on(c).request('POST', `${V3}/join/${enc(roomId)}?via=${enc(a1.name)}`, { token: carol.token, body: {} });
  assert.equal(joinedC.status, 200, joinedC.text);
  await wakes(a1, alice1, b1, bob1, 'a1 to a sync on b1');
  await wakes(a2, alice2, b2, bob2, 'a2 to a sync on b2');
  await wakes(b1, bob1, a2, alice2, 'b1 to a sync on a2');
  await wakes(b2, bob2, a1, alice1, 'b2 to a sync on a1');
});

test('messages sent through both processes of A at once reach B in exactly one transaction each', async () => {
  const ids = await Promise.all(Array.from({ length: 30 }, (_, i) => say(i % 2 === 0 ? a1 : a2, i % 2 === 0 ? alice1 : alice2, `burst ${i}`)));
  await eventually('B has the 30', async () => new Set((await messages(b1, bob1)).map(([id]) => id)), (have) => ids.every((id) => have.has(id)));
  const count = await deliveries(dbs[1]!.url, a1.name);
  const twice = ids.filter((id) => count.get(id) !== 1);
  assert.deepEqual(twice.map((id) => [id, count.get(id)]), [], 'each event in exactly one transaction to B');
});

test('a process of A killed in the middle of a transaction: the other process takes B over and nothing is lost', async () => {
  // a1's connections to B hang (a server that stopped answering); a2's are refused, so a2 backs off
  // and a1 holds the lease with the transaction in flight.
  pB.stall([a1.proc.pid]);
  pB.cut();
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push(await say(a1, alice1, `pending ${i}`));
  await eventually('a1 has a connection to B stalled', async () => pB.stats.stalled, (n) => n > 0, 15_000);
  process.kill(a1.proc.pid, 'SIGKILL');
  await a1.proc.stop();
  pA.removeBackend(a1.port);
  pB.heal();
  // More from the survivor; the lease of the dead process expires (15 s) and a2 re-sends.
  ids.push(await say(a2, alice2, 'after the kill'));
  const have = await eventually('B has every message', async () => new Set((await messages(b2, bob2)).map(([id]) => id)), (h) => ids.every((id) => h.has(id)), 100_000);
  assert.ok(ids.every((id) => have.has(id)));
  const count = await deliveries(dbs[1]!.url, a1.name);
  assert.deepEqual(ids.filter((id) => (count.get(id) ?? 0) < 1), [], 'each delivered in a recorded transaction');
});

test('events of B and C arriving at both processes of A at once end in one order, read alike from both', async () => {
  // a1 was killed: a third process of A on the same database joins the proxy beside a2.
  const a3 = await bed.start({ proxy: pA, database: dbs[0]!.url });
  const alice3 = await on(a3).login('alice');
  const sent = await Promise.all([
    ...Array.from({ length: 12 }, (_, i) => say(i % 2 === 0 ? b1 : b2, i % 2 === 0 ? bob1 : bob2, `from B ${i}`)),
    ...Array.from({ length: 12 }, (_, i) => say(c, carol, `from C ${i}`)),
  ]);
  const onA2 = await eventually('A has all 24', () => messages(a2, alice2), (m) => sent.every((id) => m.some(([x]) => x === id)), 60_000);
  const onA3 = await messages(a3, alice3);
  assert.deepEqual(onA3, onA2, 'one order on both processes of A');
  assert.equal(new Set(onA2.map(([id]) => id)).size, onA2.length, 'each event once');
  // Both processes of A received transactions (the proxy alternates connections between them).
  const served = (s: FederatingServer) => s.proc.logs().split('\n').filter((l) => l.includes('/_matrix/federation/v1/send/')).length;
  assert.ok(served(a2) > 0 && served(a3) > 0, `transactions on a2: ${served(a2)}, on a3: ${served(a3)}`);
});
