// Two `hush serve` processes on one PostgreSQL database whose writers commit out of position order
// (HUSH_TEST_STREAM_DELAY_MS: each write waits at random after taking its position): many
// concurrent senders on both, while a reader on each process long-polls /sync without pause. A
// reader handed a position past a change still in flight would skip that change forever; every
// message must reach both readers exactly once, through incremental syncs alone (gaps of a limited
// timeline followed with /messages, as a client does).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { client, startHush, type ClientSession, type HushProcess } from '../support/server.ts';
import { freshPgDatabase } from '../support/postgres.ts';
import { bodies, enc, joined, steps, V3, type Json } from './support/steps.ts';

let a: HushProcess;
let b: HushProcess;
let drop: () => Promise<void>;
let onA: ReturnType<typeof steps>;
let onB: ReturnType<typeof steps>;

before(async () => {
  const pg = await freshPgDatabase();
  drop = pg.drop;
  const env = { HUSH_TEST_STREAM_DELAY_MS: '25' };
  [a, b] = await Promise.all([startHush({ database: pg.url, env }), startHush({ database: pg.url, env })]);
  onA = steps(client(a.baseUrl));
  onB = steps(client(b.baseUrl));
});
after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await drop?.();
});

const ROOMS = 3;
const SENDERS = 12;
const EACH = 25;

/** Syncs incrementally until `stop()` says so, collecting the stress messages of each room. */
function keepSyncing(on: ReturnType<typeof steps>, s: ClientSession, rooms: string[], since: string, stop: () => boolean) {
  const seen = new Map(rooms.map((r) => [r, [] as string[]]));
  let syncs = 0;
  const done = (async () => {
    let token = since;
    while (!stop()) {
      const r: Json = await on.sync(s, { since: token, timeout: 500, filter: { room: { timeline: { limit: 20 } } } });
      syncs++;
      for (const room of rooms) {
        const tl = joined(r, room)?.timeline;
        if (!tl) continue;
        const mine = seen.get(room) as string[];
        if (tl.limited) {
          const back = await on.get(s, `${V3}/rooms/${enc(room)}/messages?dir=f&from=${enc(token)}&to=${enc(tl.prev_batch)}&limit=1000`);
          mine.push(...bodies(back.json.chunk).filter((x) => x.startsWith('st ')));
        }
        mine.push(...bodies(tl.events ?? []).filter((x) => x.startsWith('st ')));
      }
      token = r.next_batch;
    }
  })();
  return { seen, done, syncs: () => syncs };
}

test('out-of-order commits on two processes: readers syncing all along on both get every message once', async () => {
  const readerA = await onA.user('st_reader_a');
  const readerB = await onB.user('st_reader_b');
  const rooms: string[] = [];
  for (let i = 0; i < ROOMS; i++) {
    const room = await onA.createRoom(readerA, { preset: 'public_chat' });
    await onB.join(readerB, room);
    rooms.push(room);
  }
  const senders = await Promise.all(Array.from({ length: SENDERS }, (_, i) => (i % 2 ? onB : onA).user(`st_u${i}`)));
  for (const [i, u] of senders.entries()) for (const room of rooms) await (i % 2 ? onB : onA).join(u, room);
  const [sa, sb] = await Promise.all([onA.sync(readerA), onB.sync(readerB)]);

  const expected = new Map(rooms.map((r) => [r, new Set<string>()]));
  let finished = false;
  let deadline = Infinity;
  const complete = (seen: Map<string, string[]>) => rooms.every((r) => (seen.get(r)?.length ?? 0) >= (expected.get(r)?.size ?? 0));
  const readers: ReturnType<typeof keepSyncing>[] = [];
  const stop = () => Date.now() > deadline || (finished && readers.every((r) => complete(r.seen)));
  const ra = keepSyncing(onA, readerA, rooms, sa.next_batch, stop);
  const rb = keepSyncing(onB, readerB, rooms, sb.next_batch, stop);
  readers.push(ra, rb);

  await Promise.all(
    senders.map(async (u, i) => {
      const via = i % 2 ? onB : onA;
      for (let k = 0; k < EACH; k++) {
        const room = rooms[(i + k) % ROOMS] as string;
        const body = `st ${i} ${k}`;
        expected.get(room)?.add(body);
        await via.send(u, room, body);
      }
    }),
  );
  finished = true;
  deadline = Date.now() + 30_000;
  await Promise.all([ra.done, rb.done]);

  for (const [name, r] of [['A', ra] as const, ['B', rb] as const]) {
    assert.ok(r.syncs() > 10, `reader on ${name} synced ${r.syncs()} times`);
    for (const room of rooms) {
      const got = r.seen.get(room) ?? [];
      const want = expected.get(room) ?? new Set<string>();
      assert.equal(new Set(got).size, got.length, `reader on ${name}: nothing repeated in ${room}`);
      assert.deepEqual([...got].sort(), [...want].sort(), `reader on ${name}: every message of ${room} arrived`);
    }
  }
  // Both readers saw each room's messages in one order.
  for (const room of rooms) assert.deepEqual(ra.seen.get(room), rb.seen.get(room), `one order in ${room} on both processes`);
});
