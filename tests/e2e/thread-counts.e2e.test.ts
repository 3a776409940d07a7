// unread_thread_notifications against a real `hush serve` (cells TC1–TC3 of docs/ignore-semantics.md):
// per-thread counts and the main count under the filter flag, threaded read receipts, and the
// read-time ignore rule — after an ignore or un-ignore the counts are right on the next /sync,
// earlier replies included.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { client, type ClientSession, type HushProcess } from '../support/server.ts';
import { startSuiteHush } from '../support/postgres.ts';
import { enc, joined, steps, V3, type Json } from './support/steps.ts';

let hush: HushProcess;
let w: ReturnType<typeof steps>;

before(async () => {
  hush = await startSuiteHush();
  w = steps(client(hush.baseUrl));
});
after(() => hush?.stop());

const THREADED = { room: { timeline: { unread_thread_notifications: true } } };
const mainCount = (s: Json, room: string): number | undefined => joined(s, room)?.unread_notifications?.notification_count;
const threadCounts = (s: Json, room: string): Record<string, number> | undefined => {
  const t = joined(s, room)?.unread_thread_notifications as Record<string, { notification_count: number }> | undefined;
  return t && Object.fromEntries(Object.entries(t).map(([root, c]) => [root, c.notification_count]));
};
async function receipt(s: ClientSession, room: string, eventId: string, threadId?: string): Promise<void> {
  const r = await w.http.request('POST', `${V3}/rooms/${enc(room)}/receipt/m.read/${enc(eventId)}`, { token: s.token, body: threadId === undefined ? {} : { thread_id: threadId } });
  assert.equal(r.status, 200, r.text);
}

describe('TC — unread_thread_notifications', () => {
  test('TC1 with the flag, thread replies count per thread root and leave the main count; without it, everything counts in the room', async () => {
    const { alice, bob, carol, room } = await w.trio('tc1');
    const root = await w.send(carol, room, 'tc1 root');
    await w.threadReply(bob, room, root, 'tc1 reply 1');
    await w.threadReply(carol, room, root, 'tc1 reply 2');
    await w.send(bob, room, 'tc1 main');
    const threaded = await w.sync(alice, { filter: THREADED });
    assert.equal(mainCount(threaded, room), 2, 'root and main message');
    assert.deepEqual(threadCounts(threaded, room), { [root]: 2 });
    const plain = await w.sync(alice);
    assert.equal(mainCount(plain, room), 4);
    assert.equal(joined(plain, room)?.unread_thread_notifications, undefined, 'no per-thread counts without the flag');
  });

  test('TC2 a receipt in a thread clears that thread; a `main` receipt clears the main timeline; an unthreaded one clears both up to it', async () => {
    const { alice, bob, room } = await w.trio('tc2');
    const rootA = await w.send(bob, room, 'tc2 root a');
    const rootB = await w.send(bob, room, 'tc2 root b');
    const a1 = await w.threadReply(bob, room, rootA, 'tc2 a1');
    await w.threadReply(bob, room, rootB, 'tc2 b1');
    await w.threadReply(bob, room, rootA, 'tc2 a2');
    await receipt(alice, room, a1, rootA);
    let s = await w.sync(alice, { filter: THREADED });
    assert.deepEqual(threadCounts(s, room), { [rootA]: 1, [rootB]: 1 }, 'a2 after the thread receipt; b1 untouched');
    assert.equal(mainCount(s, room), 2);
    await receipt(alice, room, rootB, 'main');
    s = await w.sync(alice, { filter: THREADED });
    assert.equal(mainCount(s, room), 0, 'the main receipt at root b clears both roots');
    assert.deepEqual(threadCounts(s, room), { [rootA]: 1, [rootB]: 1 }, 'threads are not cleared by a main receipt');
    const last = await w.send(bob, room, 'tc2 latest');
    await receipt(alice, room, last);
    s = await w.sync(alice, { filter: THREADED });
    assert.equal(mainCount(s, room), 0);
    assert.deepEqual(threadCounts(s, room), {}, 'an unthreaded receipt after everything clears every thread');
  });

  test('TC3 ignoring removes an ignored user’s earlier replies from the thread counts on the next sync; un-ignoring restores them', async () => {
    const { alice, bob, carol, room } = await w.trio('tc3');
    const root = await w.send(carol, room, 'tc3 root');
    const onlyBob = await w.send(carol, room, 'tc3 root bob replies to');
    await w.threadReply(bob, room, root, 'tc3 bob 1');
    await w.threadReply(carol, room, root, 'tc3 carol 1');
    await w.threadReply(bob, room, onlyBob, 'tc3 bob only');
    const s0 = await w.sync(alice, { filter: THREADED });
    assert.deepEqual(threadCounts(s0, room), { [root]: 2, [onlyBob]: 1 });

    await w.ignore(alice, [bob.userId]);
    const s1 = await w.sync(alice, { since: s0.next_batch, filter: THREADED });
    assert.deepEqual(threadCounts(s1, room), { [root]: 1 }, "bob's earlier replies no longer count; his thread has nothing unread");
    await w.threadReply(bob, room, root, 'tc3 bob 2');
    const s2 = await w.sync(alice, { since: s1.next_batch, filter: THREADED });
    if (joined(s2, room)) assert.deepEqual(threadCounts(s2, room), { [root]: 1 }, 'a new reply from bob does not count');
    assert.deepEqual(threadCounts(await w.sync(alice, { filter: THREADED }), room), { [root]: 1 }, 'nor on a fresh sync');

    await w.ignore(alice, []);
    const s3 = await w.sync(alice, { since: s2.next_batch, filter: THREADED });
    assert.deepEqual(threadCounts(s3, room), { [root]: 3, [onlyBob]: 1 }, 'un-ignoring restores every reply in the counts');
  });
});
