// storage/prepared.ts: a statement built once runs each call with that call's arguments (never the
// first call's), one compiled text per argument shape (array lengths, absent keys), constants the
// builder wrote kept; and the hot stores built on it answer as their queries did. On PostgreSQL every
// parameterised statement is a named prepared statement, parsed once per connection.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, type DatabaseHandle } from '../../src/storage/db.ts';
import { prepared } from '../../src/storage/prepared.ts';
import { stateStore } from '../../src/storage/state.store.ts';
import { sql } from 'kysely';
import { freshPgDatabase } from '../../../../tests/support/postgres.ts';

describe('prepared statements', () => {
  let h: DatabaseHandle;
  before(async () => {
    h = await openDatabase(':memory:');
    await h.db
      .insertInto('memberships')
      .values(
        ['@a:x', '@b:x', '@c:x'].map((u, i) => ({
          room_id: i < 2 ? '!r:x' : '!s:x',
          user_id: u,
          membership: u === '@b:x' ? 'invite' : 'join',
          event_id: `$e${i}`,
          stream_ordering: i + 1,
          sender: u,
          forgotten: 0,
        })),
      )
      .execute();
  });
  after(async () => {
    await h.close();
  });

  it('runs each call with its own arguments, keeps the builder’s constants, and compiles per shape', async () => {
    let builds = 0;
    const users = prepared((tx, a: { roomId: string; userIds: readonly string[]; membership?: string | undefined }) => {
      builds++;
      let q = tx.selectFrom('memberships').select('user_id').where('room_id', '=', a.roomId).where('user_id', 'in', a.userIds).where('forgotten', '=', 0);
      if (a.membership !== undefined) q = q.where('membership', '=', a.membership);
      return q.orderBy('user_id');
    });
    const ids = async (a: Parameters<typeof users>[1]) => (await users(h.db, a)).rows.map((r) => r.user_id);
    assert.deepEqual(await ids({ roomId: '!r:x', userIds: ['@a:x', '@b:x'] }), ['@a:x', '@b:x']);
    assert.deepEqual(await ids({ roomId: '!s:x', userIds: ['@a:x', '@c:x'] }), ['@c:x']);
    assert.equal(builds, 1, 'same shape: built once');
    assert.deepEqual(await ids({ roomId: '!r:x', userIds: ['@a:x', '@b:x'], membership: 'invite' }), ['@b:x']);
    assert.deepEqual(await ids({ roomId: '!r:x', userIds: ['@a:x'] }), ['@a:x']);
    assert.equal(builds, 3, 'a present key and another array length are other shapes');
    assert.deepEqual(await ids({ roomId: '!r:x', userIds: ['@b:x', '@c:x'], membership: 'join' }), []);
    assert.deepEqual(await ids({ roomId: '!r:x', userIds: ['@a:x', '@b:x'], membership: 'join' }), ['@a:x']);
  });

  it('stateStore.members answers per room and membership as before', async () => {
    assert.deepEqual(
      (await stateStore.members(h.db, '!r:x')).map((m) => m.user_id),
      ['@a:x', '@b:x'],
    );
    assert.deepEqual(
      (await stateStore.members(h.db, '!r:x', 'join')).map((m) => m.user_id),
      ['@a:x'],
    );
    assert.deepEqual(
      (await stateStore.members(h.db, '!s:x', 'join')).map((m) => m.user_id),
      ['@c:x'],
    );
  });
});

describe('PostgreSQL: named statements (storage/db.ts)', () => {
  let h: DatabaseHandle;
  let drop: () => Promise<void>;
  before(async () => {
    const pg = await freshPgDatabase();
    drop = pg.drop;
    h = await openDatabase(pg.url, { poolSize: 1 });
  });
  after(async () => {
    await h.close();
    await drop();
  });

  it('a parameterised statement is prepared once per connection and run by name after', async () => {
    const named = async () =>
      (await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements where statement like ${'%hush_named_probe%'}`.execute(h.db)).rows.filter((r) =>
        r.statement.includes('"room_id" = $1'),
      );
    const probe = (roomId: string) => h.db.selectFrom('rooms').select('room_id').where('room_id', '=', roomId).where(sql<boolean>`'hush_named_probe' is not null`).execute();
    assert.deepEqual(await named(), []);
    await probe('!a:x');
    await probe('!b:x');
    const after = await named();
    assert.equal(after.length, 1, 'one prepared statement for the text, whatever its arguments');
    assert.match(after[0]!.name, /^hush\d+$/);
    // Each call still runs with its own arguments.
    await h.db.insertInto('rooms').values({ room_id: '!c:x', room_version: '10', creator: '@u:x', created_ts: 1, head_event_id: null, head_depth: 0, is_public: 0, state_version: 0 }).execute();
    assert.deepEqual(await probe('!c:x'), [{ room_id: '!c:x' }]);
    assert.deepEqual(await probe('!d:x'), []);
  });

  it('a statement without parameters is run unnamed (nothing prepared for it)', async () => {
    await sql`select 'hush_unnamed_probe' as x`.execute(h.db);
    const rows = (await sql<{ n: number }>`select count(*) as n from pg_prepared_statements where statement like ${'%hush_unnamed_probe%'} and statement not like ${'%pg_prepared%'}`.execute(h.db)).rows;
    assert.equal(Number(rows[0]!.n), 0);
  });
});
