// Deferred writes on PostgreSQL (storage/deferred-writes.ts, decision 0049): kept by the
// connection and sent as one statement before the transaction's next other statement, so every
// later statement sees them; their parameters land where each statement put them; writes whose
// rows meet are sent one after the other, those whose rows do not as one; a failing one
// fails its transaction (reported by the statement that sent it) and stores nothing; a rollback,
// to a savepoint too, drops them; outside a transaction, and on SQLite, nothing is deferred.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { openDatabase, type DatabaseHandle, type Tx } from '../../src/storage/db.ts';
import { prepared } from '../../src/storage/prepared.ts';
import { combine, defersWrites } from '../../src/storage/deferred-writes.ts';
import { freshPgDatabase } from '../../../../tests/support/postgres.ts';

const put = prepared((tx, row: { k: string; a: number; b: string }) => tx.insertInto('probe' as never).values(row as never), { deferrable: (row) => [`probe:${row.k}`] });
const bump = prepared((tx, x: { k: string; by: number }) => tx.updateTable('probe' as never).set({ a: sql`a + ${x.by}` } as never).where('k' as never, '=', x.k as never), {
  deferrable: (x) => [`probe:${x.k}`],
});
/** The same update, claiming to touch no row another write might: kept beside the others. */
const bumpUnkeyed = prepared((tx, x: { k: string; by: number }) => tx.updateTable('probe' as never).set({ a: sql`a + ${x.by}` } as never).where('k' as never, '=', x.k as never), {
  deferrable: () => [],
});
const rows = async (tx: Tx) => (await sql<{ k: string; a: number; b: string }>`select k, a, b from probe order by k`.execute(tx)).rows;

describe('combine', () => {
  it('numbers each statement’s parameters on from the previous one’s', () => {
    const c = combine([
      { text: 'insert into t (x, y) values ($1, $2)', values: [1, 2] },
      { text: 'update t set x = $1 where y = $2 or y = $12', values: [3, 4, ...Array(10).fill(0)] },
      { text: 'delete from t where x = $1', values: [5] },
    ]);
    assert.equal(c.text, 'with w0 as (insert into t (x, y) values ($1, $2)), w1 as (update t set x = $3 where y = $4 or y = $14), w2 as (delete from t where x = $15) select 1');
    assert.deepEqual(c.values, [1, 2, 3, 4, ...Array(10).fill(0), 5]);
    assert.deepEqual(combine([{ text: 'delete from t where x = $1', values: [1] }]), { text: 'delete from t where x = $1', values: [1] });
  });
});

describe('deferred writes (PostgreSQL)', () => {
  let h: DatabaseHandle;
  let drop: () => Promise<void>;
  before(async () => {
    const pg = await freshPgDatabase();
    drop = pg.drop;
    h = await openDatabase(pg.url, { poolSize: 2 });
    await sql`create table probe (k text primary key, a integer not null, b text not null)`.execute(h.db);
  });
  after(async () => {
    await h.close();
    await drop();
  });
  const reset = () => sql`delete from probe`.execute(h.db);

  it('are kept, then sent together before the next statement, which sees them all with their own values', async () => {
    await reset();
    await h.db.transaction().execute(async (tx) => {
      assert.ok(defersWrites(tx));
      const r1 = await put(tx, { k: 'x', a: 1, b: 'one' });
      assert.equal(r1.numAffectedRows, undefined, 'a deferred write reports no row count');
      await put(tx, { k: 'y', a: 2, b: 'two' });
      await bump(tx, { k: 'y', by: 10 }); // its row meets a kept one: those are sent first
      await put(tx, { k: 'z', a: 3, b: 'three' });
      assert.deepEqual(await rows(tx), [
        { k: 'x', a: 1, b: 'one' },
        { k: 'y', a: 12, b: 'two' },
        { k: 'z', a: 3, b: 'three' },
      ]);
    });
    assert.deepEqual((await rows(h.db)).map((r) => r.a), [1, 12, 3]);
  });

  it('writes whose rows do not meet go as one statement (which is why each names its rows)', async () => {
    await reset();
    await h.db.transaction().execute(async (tx) => {
      await put(tx, { k: 'x', a: 1, b: 'one' });
      // Told it touches no row another write might, the update goes in the same statement as the
      // insert, and — one snapshot for both — does not see the row inserted beside it.
      await bumpUnkeyed(tx, { k: 'x', by: 10 });
    });
    assert.deepEqual(await rows(h.db), [{ k: 'x', a: 1, b: 'one' }]);
  });

  it('a write kept before a read is sent before it: each read sees every write made before it', async () => {
    await reset();
    await h.db.transaction().execute(async (tx) => {
      await put(tx, { k: 'x', a: 1, b: 'one' });
      assert.equal((await rows(tx)).length, 1);
      await bump(tx, { k: 'x', by: 10 });
      assert.deepEqual(await rows(tx), [{ k: 'x', a: 11, b: 'one' }]);
      await bump(tx, { k: 'x', by: 100 });
    });
    assert.deepEqual(await rows(h.db), [{ k: 'x', a: 111, b: 'one' }], 'the last one is sent with the commit');
  });

  it('a failing write fails its transaction at the next statement, and nothing of it is stored', async () => {
    await reset();
    await put(h.db, { k: 'x', a: 1, b: 'one' });
    await assert.rejects(
      h.db.transaction().execute(async (tx) => {
        await put(tx, { k: 'z', a: 3, b: 'three' });
        await put(tx, { k: 'x', a: 9, b: 'again' }); // a duplicate key, kept for now
      }),
      /duplicate key/,
    );
    assert.deepEqual(await rows(h.db), [{ k: 'x', a: 1, b: 'one' }]);
    // The connection serves the next transaction as usual.
    await h.db.transaction().execute(async (tx) => void (await put(tx, { k: 'w', a: 4, b: 'four' })));
    assert.deepEqual((await rows(h.db)).map((r) => r.k), ['w', 'x']);
  });

  it('a rollback to a savepoint drops what was kept after it, and the transaction goes on', async () => {
    await reset();
    await h.db.transaction().execute(async (tx) => {
      await put(tx, { k: 'a', a: 1, b: 'kept' });
      await sql`savepoint s`.execute(tx);
      await put(tx, { k: 'b', a: 2, b: 'undone' });
      await put(tx, { k: 'a', a: 0, b: 'a duplicate that would fail' });
      await sql`rollback to savepoint s`.execute(tx);
      await put(tx, { k: 'c', a: 3, b: 'after' });
    });
    assert.deepEqual((await rows(h.db)).map((r) => r.k), ['a', 'c']);
  });

  it('outside a transaction a write is sent at once, with its row count', async () => {
    await reset();
    assert.equal(defersWrites(h.db), false);
    const r = await put(h.db, { k: 'x', a: 1, b: 'one' });
    assert.equal(r.numAffectedRows, 1n);
  });
});

describe('deferred writes (SQLite): nothing is deferred', () => {
  it('a write in a transaction runs at once', async () => {
    const h = await openDatabase(':memory:');
    try {
      await sql`create table probe (k text primary key, a integer not null, b text not null)`.execute(h.db);
      await h.db.transaction().execute(async (tx) => {
        assert.equal(defersWrites(tx), false);
        const r = await put(tx, { k: 'x', a: 1, b: 'one' });
        assert.equal(r.numAffectedRows, 1n);
      });
    } finally {
      await h.close();
    }
  });
});
