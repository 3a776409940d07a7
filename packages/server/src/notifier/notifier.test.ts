import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Notifier } from './notifier.ts';

const zero = { stream: 0, typing: 0 };

test('a waiter wakes on a notification for its room, not for another room', async () => {
  const n = new Notifier();
  let woke = false;
  const p = n.wait('@a:x', new Set(['!r1:x']), zero, 5_000).then(() => (woke = true));
  n.notify({ stream: 1 }, { rooms: ['!other:x'] });
  await new Promise((r) => setImmediate(r));
  assert.equal(woke, false);
  n.notify({ stream: 2 }, { rooms: ['!r1:x'] });
  await p;
  assert.equal(woke, true);
  assert.equal(n.waiting(), 0);
});

test('a waiter wakes on a notification for its user (a new invite has no room yet)', async () => {
  const n = new Notifier();
  const p = n.wait('@a:x', new Set(), zero, 5_000);
  n.notify({ stream: 3 }, { users: ['@a:x'] });
  await p;
  assert.deepEqual(n.position(), { stream: 3, typing: 0 });
});

test('a change announced between read and wait is not missed', async () => {
  const n = new Notifier();
  n.notify({ stream: 5 }, { rooms: ['!r:x'] });
  const t = Date.now();
  await n.wait('@a:x', new Set(['!r:x']), { stream: 4, typing: 0 }, 5_000);
  assert.ok(Date.now() - t < 1_000);
  assert.equal(n.changedSince('@a:x', new Set(['!r:x']), { stream: 5, typing: 0 }), false);
});

test('wait ends at the timeout and on abort, leaving no waiter behind', async () => {
  const n = new Notifier();
  const t = Date.now();
  await n.wait('@a:x', new Set(['!r:x']), zero, 50);
  assert.ok(Date.now() - t >= 45);
  const ac = new AbortController();
  const p = n.wait('@a:x', new Set(['!r:x']), zero, 5_000, ac.signal);
  assert.equal(n.waiting(), 1);
  ac.abort();
  await p;
  assert.equal(n.waiting(), 0);
});

test('typing serials wake waiters too', async () => {
  const n = new Notifier();
  const p = n.wait('@a:x', new Set(['!r:x']), zero, 5_000);
  n.notify({ typing: 7 }, { rooms: ['!r:x'] });
  await p;
  assert.equal(n.position().typing, 7);
});
