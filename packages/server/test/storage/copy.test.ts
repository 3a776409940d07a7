// The copy behind `hush migrate`: it knows the place of every table the migrations create (on
// SQLite and PostgreSQL alike), copies rows and counters as they are, and refuses a target that
// already holds a homeserver without writing to it.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type DatabaseHandle } from '../../src/storage/db.ts';
import { COPY_ORDER, copyHomeserver, CopyRefused, isDerivedTable } from '../../src/storage/copy.ts';
import { streamStore } from '../../src/storage/stream.store.ts';
import { freshPgDatabase } from '../../../../tests/support/postgres.ts';

const open: DatabaseHandle[] = [];
const drops: (() => Promise<void>)[] = [];
const dir = mkdtempSync(join(tmpdir(), 'hush-copy-'));
after(async () => {
  await Promise.all(open.map((h) => h.close()));
  for (const d of drops) await d();
  rmSync(dir, { recursive: true, force: true });
});

async function pgDatabase(): Promise<DatabaseHandle> {
  const pg = await freshPgDatabase();
  drops.push(pg.drop);
  const h = await openDatabase(pg.url, { poolSize: 2 });
  open.push(h);
  return h;
}

test('every table the migrations create has its place in the copy order', async () => {
  const sqlite = await openDatabase(':memory:');
  open.push(sqlite);
  for (const h of [sqlite, await pgDatabase()]) {
    const tables = (await h.db.introspection.getTables()).map((t) => t.name).filter((t) => t !== 'schema_migrations' && !isDerivedTable(t));
    assert.deepEqual(tables.filter((t) => !(COPY_ORDER as readonly string[]).includes(t)), [], `${h.dialect}: tables missing from COPY_ORDER`);
  }
});

test('rows and both counters are copied as they are; a target that is not empty is refused untouched', async () => {
  const source = await openDatabase(join(dir, 'source.sqlite'), { singleProcess: true });
  open.push(source);
  await source.db.insertInto('users').values({ user_id: '@a:x', password_hash: null, displayname: 'ä ✓ 😀', avatar_url: null, created_ts: 2 ** 53 - 1, deactivated: 0 }).execute();
  await source.db.transaction().execute(async (tx) => {
    await streamStore.next(tx);
    await streamStore.nextTyping(tx);
  });
  const target = await pgDatabase();
  const report = await copyHomeserver(source.db, target.db);
  assert.deepEqual(report.mismatches, []);
  assert.deepEqual(await target.db.selectFrom('users').selectAll().execute(), await source.db.selectFrom('users').selectAll().execute());
  assert.equal(await streamStore.current(target.db), await streamStore.current(source.db));
  assert.equal(await streamStore.currentTyping(target.db), await streamStore.currentTyping(source.db));

  await source.db.insertInto('users').values({ user_id: '@b:x', password_hash: null, displayname: null, avatar_url: null, created_ts: 1, deactivated: 0 }).execute();
  await assert.rejects(copyHomeserver(source.db, target.db), (err: unknown) => err instanceof CopyRefused && /not empty \(users: 1 rows\)/.test(err.message));
  assert.equal((await target.db.selectFrom('users').selectAll().execute()).length, 1);
});
