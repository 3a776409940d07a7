// Pending rejections of remote invites (decision 0039): kept in the database, so a new instance
// (a restarted server) tries them; retried with growing delays while the leave fails; dropped without
// a leave once the lists no longer reject the inviter or the invite is gone. On SQLite; the
// .postgres twin runs it on PostgreSQL.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, type DatabaseHandle } from '../../src/storage/db.ts';
import { InviteRejections, REJECTION_DELAYS_MS, type RejectionTarget } from '../../src/services/rooms/invite-rejections.ts';
import { inviteRejectionsStore } from '../../src/storage/invite-rejections.store.ts';
import { freshPgDatabase } from '../../../../tests/support/postgres.ts';

const onPostgres = process.env['HUSH_API_DIALECT'] === 'postgres';
const handles: DatabaseHandle[] = [];
const drops: (() => Promise<void>)[] = [];
after(async () => {
  for (const h of handles) await h.close();
  for (const d of drops) await d();
});
async function fresh(): Promise<DatabaseHandle> {
  let location = ':memory:';
  if (onPostgres) {
    const pg = await freshPgDatabase();
    drops.push(pg.drop);
    location = pg.url;
  }
  const h = await openDatabase(location);
  handles.push(h);
  return h;
}
const pending = (h: DatabaseHandle) => h.db.selectFrom('invite_rejections').selectAll().execute();

/** A target whose leave fails while `down`, and which records the leaves made. */
function target(): RejectionTarget & { down: boolean; rejected: boolean; leaves: string[] } {
  const t = {
    down: true,
    rejected: true,
    leaves: [] as string[],
    stillRejected: async () => t.rejected,
    leave: async (userId: string, roomId: string) => {
      if (t.down) throw new Error('unreachable');
      t.leaves.push(`${userId} ${roomId}`);
    },
  };
  return t;
}

test('a failing leave is retried with the growing delays; a new instance on the same database makes it once the server is back', async () => {
  const h = await fresh();
  let now = 1_000_000;
  const t = target();
  const first = new InviteRejections(h.db, t, () => now);
  await first.schedule('@alice:b', '!room:a', '@bob:a');
  const expected: number[] = [];
  for (let i = 0; i < 6; i++) {
    const [row] = await pending(h);
    assert.ok(row);
    now = row.next_ts;
    await first.runDue();
    const [after] = await pending(h);
    assert.equal(after?.attempts, i + 1);
    expected.push(REJECTION_DELAYS_MS[i + 1] as number);
    assert.equal((after?.next_ts ?? 0) - now, expected[i], `delay after ${i + 1} failures`);
  }
  // "Restart": a new instance, nothing in memory; the row is all there is.
  const second = new InviteRejections(h.db, t, () => now);
  t.down = false;
  await second.runDue();
  assert.deepEqual(t.leaves, [], 'not due yet');
  now = (await pending(h))[0]?.next_ts ?? now;
  await second.runDue();
  assert.deepEqual(t.leaves, ['@alice:b !room:a']);
  assert.deepEqual(await pending(h), []);
});

test('a change of the lists (or of the membership) cancels the rejection: no leave, no row', async () => {
  const h = await fresh();
  let now = 5_000;
  const t = target();
  const r = new InviteRejections(h.db, t, () => now);
  await r.schedule('@alice:b', '!room:a', '@bob:a');
  t.rejected = false;
  t.down = false;
  now += 1000;
  await r.runDue();
  assert.deepEqual(t.leaves, []);
  assert.deepEqual(await pending(h), []);
});

test('the inviting server contacting us brings its rows forward; another server\'s stay', async () => {
  const h = await fresh();
  let now = 5_000;
  const t = target();
  const r = new InviteRejections(h.db, t, () => now);
  await r.schedule('@alice:b', '!one:a', '@bob:a', 3_600_000);
  await r.schedule('@alice:b', '!two:c', '@carol:c', 3_600_000);
  t.down = false;
  await r.wake('a');
  await r.runDue();
  assert.deepEqual(t.leaves, ['@alice:b !one:a']);
  assert.deepEqual((await pending(h)).map((x) => x.room_id), ['!two:c']);
  now += 3_600_000;
  await r.runDue();
  assert.equal(t.leaves.length, 2);
});

test('a row claimed by one process is not tried by another', async () => {
  const h = await fresh();
  await inviteRejectionsStore.put(h.db, { user_id: '@alice:b', room_id: '!r:a', sender: '@bob:a', attempts: 0, next_ts: 10, created_ts: 0 });
  const [row] = await pending(h);
  assert.ok(row);
  assert.equal(await inviteRejectionsStore.claim(h.db, row, 1000), true);
  assert.equal(await inviteRejectionsStore.claim(h.db, row, 2000), false, 'the second claim sees the moved time');
});
