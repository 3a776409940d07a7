// A room's state version (migration 26, decision 0048), on SQLite and on PostgreSQL: the database
// bumps it on every change of the room's current state (insert, replace, removal) and of a
// membership, whoever writes it, and not when a user only forgets the room; and the writers' memo
// of a room's state (services/rooms/state-memo.ts) answers from what it kept only while the
// version it is given is the one it read at.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, type DatabaseHandle } from '../../src/storage/db.ts';
import { stateStore } from '../../src/storage/state.store.ts';
import { roomsStore } from '../../src/storage/rooms.store.ts';
import type { RoomsTable } from '../../src/storage/schema.ts';
import { markStateChanged, RoomStateMemo } from '../../src/services/rooms/state-memo.ts';
import { freshPgDatabase } from '../../../../tests/support/postgres.ts';

const ROOM = '!v:x';
const open: DatabaseHandle[] = [];
const drops: (() => Promise<void>)[] = [];
after(async () => {
  await Promise.all(open.map((h) => h.close()));
  for (const d of drops) await d();
});

async function database(kind: 'sqlite' | 'postgres'): Promise<DatabaseHandle> {
  let h: DatabaseHandle;
  if (kind === 'sqlite') h = await openDatabase(':memory:');
  else {
    const pg = await freshPgDatabase();
    drops.push(pg.drop);
    h = await openDatabase(pg.url, { poolSize: 2 });
  }
  open.push(h);
  await roomsStore.insertRoom(h.db, { room_id: ROOM, room_version: '10', creator: '@a:x', created_ts: 1, head_event_id: null, head_depth: 0, is_public: 0, state_version: 0 });
  return h;
}

async function room(h: DatabaseHandle): Promise<RoomsTable> {
  const r = await roomsStore.getRoom(h.db, ROOM);
  assert.ok(r);
  return r;
}
const version = async (h: DatabaseHandle) => (await room(h)).state_version;
const member = (userId: string, membership: string, n: number) => ({ room_id: ROOM, user_id: userId, membership, event_id: `$m${n}`, stream_ordering: n, sender: userId });

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`rooms.state_version (${kind})`, () => {
    it('is bumped by each change of the current state or of a membership, and by nothing else', async () => {
      const h = await database(kind);
      const steps: [string, () => Promise<unknown>, boolean][] = [
        ['a new state key', () => stateStore.setCurrent(h.db, ROOM, 'm.room.topic', '', '$t1', 1), true],
        ['a replaced state event', () => stateStore.setCurrent(h.db, ROOM, 'm.room.topic', '', '$t2', 2), true],
        ['a new membership', () => stateStore.upsertMembership(h.db, member('@b:x', 'join', 3)), true],
        ['the same membership again (a new display name)', () => stateStore.upsertMembership(h.db, member('@b:x', 'join', 4)), false],
        ['a membership that changes', () => stateStore.upsertMembership(h.db, member('@b:x', 'leave', 5)), true],
        ['a forgotten room', () => stateStore.forget(h.db, ROOM, '@b:x'), false],
        ['a key leaving the current state', () => stateStore.removeCurrent(h.db, ROOM, 'm.room.topic', ''), true],
        ['a membership deleted', () => h.db.deleteFrom('memberships').where('room_id', '=', ROOM).execute(), true],
        ['a change in another room', () => stateStore.setCurrent(h.db, '!other:x', 'm.room.topic', '', '$o', 6), false],
      ];
      for (const [what, change, bumps] of steps) {
        const before = await version(h);
        await change();
        const now = await version(h);
        if (bumps) assert.ok(now > before, `${what}: ${before} → ${now}`);
        else assert.equal(now, before, what);
      }
    });

    it("the memo answers from what it kept while the version holds, and reads again once it moves", async () => {
      const h = await database(kind);
      await stateStore.setCurrent(h.db, ROOM, 'm.room.name', '', '$n1', 1);
      await stateStore.upsertMembership(h.db, member('@b:x', 'join', 2));
      const memo = new RoomStateMemo();
      const keys = [['m.room.name', ''], ['m.room.topic', '']] as const;
      const r1 = await room(h);
      assert.deepEqual((await memo.refs(h.db, r1, keys)).map((r) => r.eventId), ['$n1']);
      assert.deepEqual(await memo.joined(h.db, r1), ['@b:x']);

      // A change the memo cannot see but the version shows (another process, say).
      await stateStore.setCurrent(h.db, ROOM, 'm.room.name', '', '$n2', 3);
      await stateStore.setCurrent(h.db, ROOM, 'm.room.topic', '', '$t1', 4);
      await stateStore.upsertMembership(h.db, member('@c:x', 'join', 5));
      // Given the version it read at, it answers from what it kept (the absent topic included)…
      assert.deepEqual((await memo.refs(h.db, r1, keys)).map((r) => r.eventId), ['$n1']);
      assert.deepEqual(await memo.joined(h.db, r1), ['@b:x']);
      // …and given the room's row as it is now, it reads again.
      const r2 = await room(h);
      assert.notEqual(r2.state_version, r1.state_version);
      assert.deepEqual((await memo.refs(h.db, r2, keys)).map((r) => r.eventId).sort(), ['$n2', '$t1']);
      assert.deepEqual(await memo.joined(h.db, r2), ['@b:x', '@c:x']);

      // A row whose transaction changed the state reads through and keeps nothing.
      markStateChanged(r2);
      await stateStore.setCurrent(h.db, ROOM, 'm.room.name', '', '$n3', 6);
      assert.deepEqual((await memo.refs(h.db, r2, [['m.room.name', '']])).map((r) => r.eventId), ['$n3']);
      const r3 = await room(h);
      assert.deepEqual((await memo.refs(h.db, r3, [['m.room.name', '']])).map((r) => r.eventId), ['$n3']);
      // By its id alone, a room is read through.
      await stateStore.upsertMembership(h.db, member('@d:x', 'join', 7));
      assert.deepEqual(await memo.joined(h.db, ROOM), ['@b:x', '@c:x', '@d:x']);
    });
  });
}
