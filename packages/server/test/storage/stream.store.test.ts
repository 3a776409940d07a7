// Stream positions on PostgreSQL (decision 0028): writers no longer wait for each other's commits,
// and the persisted-up-to position a reader gets never passes a change still in flight — checked
// one case at a time and under many concurrent writers with random commit delays. SQLite keeps
// its one counter.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { openDatabase, type DatabaseHandle } from '../../src/storage/db.ts';
import { streamStore } from '../../src/storage/stream.store.ts';
import type { Tx } from '../../src/storage/db.ts';
import { freshPgDatabase } from '../../../../tests/support/postgres.ts';

const open: DatabaseHandle[] = [];
const drops: (() => Promise<void>)[] = [];
after(async () => {
  await Promise.all(open.map((h) => h.close()));
  for (const d of drops) await d();
});

async function pgDatabase(poolSize = 4): Promise<DatabaseHandle> {
  const pg = await freshPgDatabase();
  drops.push(pg.drop);
  const h = await openDatabase(pg.url, { poolSize });
  open.push(h);
  // A table of the test's own: one row per position, written by the transaction that took it.
  await sql`create table probe (pos bigint primary key)`.execute(h.db);
  return h;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Opens a transaction, takes a position, writes it, and returns it with the means to end it. */
async function openWriter(h: DatabaseHandle, scope?: string | null): Promise<{ pos: number; commit(): Promise<void>; rollback(): Promise<void> }> {
  let taken!: (p: number) => void;
  let end!: (commit: boolean) => void;
  const ended = new Promise<boolean>((r) => (end = r));
  const pos = new Promise<number>((r) => (taken = r));
  const done = h.db
    .transaction()
    .execute(async (tx) => {
      const p = await streamStore.next(tx, scope);
      await sql`insert into probe (pos) values (${p})`.execute(tx);
      taken(p);
      if (!(await ended)) throw new Error('rollback');
    })
    .catch((err: unknown) => {
      if ((err as Error).message !== 'rollback') throw err;
    });
  return {
    pos: await pos,
    commit: async () => (end(true), await done),
    rollback: async () => (end(false), await done),
  };
}

test('PostgreSQL: a later position commits while an earlier one is in flight, and readers stop before the earlier one', async () => {
  const h = await pgDatabase();
  const start = await streamStore.current(h.db);
  const a = await openWriter(h);
  // Another scope: no wait for a's commit (before decision 0028 this waited on the counter's lock).
  const b = await Promise.race([openWriter(h, 'other'), sleep(5_000).then(() => undefined)]);
  assert.ok(b, 'a second writer got a position while the first was still open');
  assert.equal(b.pos, a.pos + 1);
  await b.commit();
  assert.equal(await streamStore.current(h.db), start, 'the reader stops before the position in flight');
  await a.commit();
  assert.equal(await streamStore.current(h.db), b.pos);
  const rows = await sql<{ pos: number }>`select pos from probe order by pos`.execute(h.db);
  assert.deepEqual(rows.rows.map((r) => Number(r.pos)), [a.pos, b.pos]);
});

test('PostgreSQL: a rolled-back position holds no reader back', async () => {
  const h = await pgDatabase();
  const a = await openWriter(h);
  const b = await openWriter(h, null);
  await b.commit();
  await a.rollback();
  assert.equal(await streamStore.current(h.db), b.pos);
});

test('PostgreSQL: writers of one scope take positions in commit order; other scopes do not wait', async () => {
  const h = await pgDatabase();
  const a = await openWriter(h, '@alice:x');
  let secondTook = false;
  const second = openWriter(h, '@alice:x').then((w) => ((secondTook = true), w));
  const other = await openWriter(h, '@bob:x');
  await sleep(100);
  assert.equal(secondTook, false, 'the same scope waits for the first writer to commit');
  await a.commit();
  const s = await second;
  assert.ok(s.pos > other.pos && other.pos > a.pos);
  await Promise.all([s.commit(), other.commit()]);
  assert.equal(await streamStore.current(h.db), s.pos);
});

test('PostgreSQL: every position up to what a reader is told is visible to its next statement, under concurrent writers with random delays', async () => {
  const h = await pgDatabase(12);
  const WRITERS = 8;
  const PER_WRITER = 40;
  let writing = true;
  const reads: { upTo: number; seen: Set<number> }[] = [];
  const reader = (async () => {
    while (writing) {
      await h.db.transaction().execute(async (tx: Tx) => {
        const upTo = await streamStore.current(tx);
        const rows = await sql<{ pos: number }>`select pos from probe where pos <= ${upTo}`.execute(tx);
        reads.push({ upTo, seen: new Set(rows.rows.map((r) => Number(r.pos))) });
      });
    }
  })();
  const committed = new Set<number>();
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = 0; i < PER_WRITER; i++) {
        const rollback = Math.random() < 0.1;
        await h.db
          .transaction()
          .execute(async (tx) => {
            const p = await streamStore.next(tx, i % 2 === 0 ? null : `w${w}`);
            await sql`insert into probe (pos) values (${p})`.execute(tx);
            await sleep(Math.random() * 15);
            if (rollback) throw new Error('rollback');
            return p;
          })
          .then(
            (p) => committed.add(p),
            () => undefined,
          );
      }
    }),
  );
  writing = false;
  await reader;
  const final = await streamStore.current(h.db);
  const top = Number((await sql<{ pos: number }>`select pos from stream_counter where id = 1`.execute(h.db)).rows[0]?.pos);
  assert.equal(final, top, 'with nothing in flight, readers reach the last position handed out');
  assert.ok(reads.length > 10, `the reader read ${reads.length} times`);
  let last = 0;
  for (const { upTo, seen } of reads) {
    assert.ok(upTo >= last, 'the persisted-up-to position never goes back');
    last = upTo;
    // Nothing committed later may land at or below a position a reader was already given.
    const expected = [...committed].filter((p) => p <= upTo).sort((x, y) => x - y);
    assert.deepEqual([...seen].sort((x, y) => x - y), expected, `read up to ${upTo}`);
  }
});

test('SQLite: one counter, as before', async () => {
  const h = await openDatabase(':memory:');
  open.push(h);
  const p = await h.db.transaction().execute((tx) => streamStore.next(tx));
  const q = await h.db.transaction().execute((tx) => streamStore.next(tx, null));
  assert.equal(q, p + 1);
  assert.equal(await streamStore.current(h.db), q);
});
