// storage/held-rows.ts (decision 0047): push actions held in memory after their event
// committed are counted by every reader of push.store as if they were in the table — unread counts
// per sender and per thread, GET /notifications pages, the badge's rooms — until a flush writes
// them, after which each counts once; redacted events never count; held search rows reach the
// index with the flush a search asks for, except those of events redacted meanwhile; a flush
// records the position it covers.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, type DatabaseHandle } from '../../src/storage/db.ts';
import { flushedUpTo, HeldRows, setFlushedUpTo } from '../../src/storage/held-rows.ts';
import { pushStore, type PushActionRow } from '../../src/storage/push.store.ts';
import { searchStore } from '../../src/storage/search.store.ts';

const ROOM = '!r:x';
const BOB = '@bob:x';

function event(n: number, sender: string) {
  return {
    stream_ordering: n,
    event_id: `$e${n}`,
    room_id: ROOM,
    type: 'm.room.message',
    state_key: null,
    sender,
    origin_server_ts: n,
    depth: n,
    json: '{}',
    prev_content: null,
    replaces_state: null,
    redacted_by: null,
    txn_device: null,
    txn_id: null,
    relates_to: null,
    rel_type: null,
  };
}

function action(n: number, sender: string, opts: { thread?: string; highlight?: boolean; user?: string } = {}): PushActionRow {
  return {
    user_id: opts.user ?? BOB,
    room_id: ROOM,
    stream_ordering: n,
    event_id: `$e${n}`,
    sender,
    thread_id: opts.thread ?? 'main',
    highlight: opts.highlight ? 1 : 0,
    actions: '["notify"]',
  };
}

const sorted = (c: { sender: string; n: number; highlights: number }[]) => [...c].sort((a, b) => a.sender.localeCompare(b.sender));

describe('push actions held in memory', () => {
  let h: DatabaseHandle;
  let held: HeldRows;
  before(async () => {
    h = await openDatabase(':memory:');
    // No timer flushes during the test: each flush is asked for.
    held = new HeldRows(h.db, { delayMs: 3_600_000 });
    const senders = ['@a:x', '@c:x'];
    await h.db.insertInto('events').values(Array.from({ length: 12 }, (_, i) => event(i + 1, senders[i % 2]!))).execute();
  });
  after(async () => {
    await held.stop();
    await h.close();
  });

  it('counts held rows and table rows together, each once, before and after a flush', async () => {
    // 1–4 in the table already; 5–8 held.
    await pushStore.insertActions(h.db, [1, 2, 3, 4].map((n) => action(n, n % 2 ? '@a:x' : '@c:x')));
    held.add([5, 6, 7, 8].map((n) => action(n, n % 2 ? '@a:x' : '@c:x', { highlight: n === 8 })), 8);
    const expected = [
      { sender: '@a:x', n: 3, highlights: 0 },
      { sender: '@c:x', n: 3, highlights: 1 },
    ];
    assert.deepEqual(sorted(await pushStore.countBySender(h.db, held, BOB, ROOM, 2, 1000)), expected);
    // The cap keeps the newest: the held rows come first.
    assert.deepEqual(sorted(await pushStore.countBySender(h.db, held, BOB, ROOM, 0, 3)), [
      { sender: '@a:x', n: 1, highlights: 0 },
      { sender: '@c:x', n: 2, highlights: 1 },
    ]);
    // Without the held rows (what a reader that forgot them would see): only the table's.
    assert.deepEqual(sorted(await pushStore.countBySender(h.db, undefined, BOB, ROOM, 2, 1000)), [
      { sender: '@a:x', n: 1, highlights: 0 },
      { sender: '@c:x', n: 1, highlights: 0 },
    ]);
    const page = await pushStore.actionsBefore(h.db, held, BOB, 8, 5, false);
    assert.deepEqual(page.map((a) => a.stream_ordering), [7, 6, 5, 4, 3]);
    assert.deepEqual((await pushStore.actionsBefore(h.db, held, BOB, 100, 5, true)).map((a) => a.stream_ordering), [8]);
    assert.deepEqual(await pushStore.roomsWithActions(h.db, held, '@dan:x', 0), []);
    assert.deepEqual(await pushStore.roomsWithActions(h.db, held, BOB, 4), [ROOM]);

    assert.equal(held.size, 4);
    await held.flush();
    assert.equal(held.size, 0);
    assert.equal(await flushedUpTo(h.db), 8);
    assert.deepEqual(sorted(await pushStore.countBySender(h.db, held, BOB, ROOM, 2, 1000)), expected);
    assert.deepEqual((await pushStore.actionsBefore(h.db, held, BOB, 8, 5, false)).map((a) => a.stream_ordering), [7, 6, 5, 4, 3]);
  });

  it('leaves out held rows of redacted events, and counts held thread replies per thread', async () => {
    held.add([action(9, '@a:x', { thread: '$root' }), action(10, '@c:x', { thread: '$root' }), action(11, '@a:x')], 11);
    await h.db.updateTable('events').set({ redacted_by: '$redaction' }).where('stream_ordering', '=', 10).execute();
    const replies = await pushStore.threadActions(h.db, held, BOB, ROOM, 8, 1000);
    assert.deepEqual(replies.map((r) => r.ordering), [9]);
    assert.deepEqual(sorted(await pushStore.countBySender(h.db, held, BOB, ROOM, 8, 1000, 'main')), [{ sender: '@a:x', n: 1, highlights: 0 }]);
    assert.deepEqual(sorted(await pushStore.countBySender(h.db, held, BOB, ROOM, 8, 1000)), [{ sender: '@a:x', n: 2, highlights: 0 }]);
    await held.flush();
    assert.deepEqual((await pushStore.threadActions(h.db, held, BOB, ROOM, 8, 1000)).map((r) => r.ordering), [9]);
  });

  it('a flush with nothing held still moves the recorded position; rows already in the table are kept', async () => {
    held.add([], 12);
    await held.flush();
    assert.equal(await flushedUpTo(h.db), 12);
    // An event recorded again after a crash: the insert keeps the row that is there.
    await pushStore.insertActions(h.db, [action(11, '@a:x')]);
    assert.equal((await h.db.selectFrom('event_push_actions').select('stream_ordering').where('stream_ordering', '=', 11).execute()).length, 1);
    await setFlushedUpTo(h.db, 5);
    assert.equal(await flushedUpTo(h.db), 5);
  });

  it('search rows: written by flushSearch, not for an event redacted meanwhile', async () => {
    const scope = { rooms: new Map([[ROOM, [[0, 100] as const]]]), keys: ['content.body'], skipSenders: [] };
    const find = async (word: string) => (await searchStore.find(h.db, [word], scope, { by: 'recent', before: 100 }, 10)).map((r) => r.stream_ordering);
    held.addSearch({ stream_ordering: 11, key: 'content.body', text: 'kumquat eleven' });
    held.addSearch({ stream_ordering: 10, key: 'content.body', text: 'kumquat ten' });
    assert.deepEqual(await find('kumquat'), [], 'held, not yet in the index');
    // Event 10 was redacted (the previous test) before this flush: its redaction found nothing to remove.
    await held.flushSearch();
    assert.equal(held.size, 0);
    assert.deepEqual(await find('kumquat'), [11]);
    // The highest position handed on so far (12, in the test before) is covered again.
    assert.equal(await flushedUpTo(h.db), 12);
    // Nothing held: flushSearch writes nothing.
    await held.flushSearch();
    assert.deepEqual(await find('kumquat'), [11]);
  });

  it('flushes on its own once the delay has passed', async () => {
    const quick = new HeldRows(h.db, { delayMs: 10 });
    quick.add([action(12, '@c:x', { user: '@eve:x' })], 12);
    assert.equal(quick.size, 1);
    for (let i = 0; i < 200 && quick.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(quick.size, 0);
    const rows = await h.db.selectFrom('event_push_actions').selectAll().where('user_id', '=', '@eve:x').execute();
    assert.equal(rows.length, 1);
    await quick.stop();
  });
});
