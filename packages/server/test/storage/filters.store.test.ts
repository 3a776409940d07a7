// filtersStore.insert under concurrency on PostgreSQL: transactions that read the same highest
// number (as two processes do) each get their own filter id — none fails, none is lost. And on
// SQLite, ids simply count up per user.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, type DatabaseHandle } from '../../src/storage/db.ts';
import { filtersStore } from '../../src/storage/filters.store.ts';
import { freshPgDatabase } from '../../../../tests/support/postgres.ts';

describe('filtersStore.insert', () => {
  let pg: { url: string; drop(): Promise<void> };
  let handles: DatabaseHandle[] = [];
  before(async () => {
    pg = await freshPgDatabase();
    // Two pools on one database: like two server processes.
    handles = [await openDatabase(pg.url, { poolSize: 10 }), await openDatabase(pg.url, { poolSize: 10 })];
  });
  after(async () => {
    for (const h of handles) await h.close();
    await pg?.drop();
  });

  it('40 concurrent creates from two pools (PostgreSQL) get 40 distinct ids, 0..39', async () => {
    const ids = await Promise.all(
      Array.from({ length: 40 }, (_, i) => handles[i % 2]!.db.transaction().execute((tx) => filtersStore.insert(tx, '@a:hs', JSON.stringify({ n: i })))),
    );
    assert.deepEqual([...ids].sort((x, y) => x - y), Array.from({ length: 40 }, (_, i) => i));
    const other = await handles[0]!.db.transaction().execute((tx) => filtersStore.insert(tx, '@b:hs', '{}'));
    assert.equal(other, 0, 'numbered per user');
    const stored = await handles[1]!.db.transaction().execute((tx) => filtersStore.get(tx, '@a:hs', ids[7]!));
    assert.deepEqual(JSON.parse(stored!), { n: 7 });
  });

  it('on SQLite ids count up per user', async () => {
    const h = await openDatabase(':memory:');
    try {
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push(await h.db.transaction().execute((tx) => filtersStore.insert(tx, '@a:hs', '{}')));
      assert.deepEqual(ids, [0, 1, 2]);
    } finally {
      await h.close();
    }
  });
});
