// storage/prepared.ts: a statement built once runs each call with that call's arguments (never the
// first call's), one compiled text per argument shape (array lengths, absent keys), constants the
// builder wrote kept; and the hot stores built on it answer as their queries did.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, type DatabaseHandle } from '../../src/storage/db.ts';
import { prepared } from '../../src/storage/prepared.ts';
import { stateStore } from '../../src/storage/state.store.ts';

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
