import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Notifier } from './notifier.ts';
import type { Bus, BusMessage } from './bus.ts';

/** A bus between processes, in memory: what one publishes every one receives. */
function fakeBus(listeners: number): Bus & { sent: BusMessage[]; receive(m: BusMessage, own?: boolean): void } {
  let handler: (m: BusMessage, own: boolean) => void = () => undefined;
  const sent: BusMessage[] = [];
  return {
    channel: 'test',
    sent,
    publish: (m) => void sent.push(m),
    encode: (m) => [JSON.stringify(m)],
    onMessage: (fn) => void (handler = fn),
    listeners: async () => listeners,
    close: async () => undefined,
    receive: (m, own = false) => handler(m, own),
  };
}

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

test('stream announcements of other processes wake waiters; those of this process come back without effect', async () => {
  const n = new Notifier();
  const bus = fakeBus(2);
  n.attach(bus);
  n.notify({ stream: 4 }, { rooms: ['!r:x'] });
  assert.deepEqual(bus.sent, [{ k: 'n', s: 4, r: ['!r:x'] }]);
  bus.receive({ k: 'n', s: 9, r: ['!r:x'] }, true);
  assert.equal(n.changedSince('@a:x', new Set(['!r:x']), { stream: 4, typing: 0 }), false);
  const p = n.wait('@a:x', new Set(['!r:x']), { stream: 4, typing: 0 }, 5_000);
  bus.receive({ k: 'n', s: 5, r: ['!r:x'] });
  await p;
  assert.equal(n.position().stream, 5);
});

test('"everyone re-check" wakes every waiter and moves the epoch on', async () => {
  const n = new Notifier();
  const bus = fakeBus(2);
  n.attach(bus);
  let told = 0;
  n.on('all', () => told++);
  const p = Promise.all([n.wait('@a:x', new Set(), zero, 5_000), n.wait('@b:x', new Set(['!r:x']), zero, 5_000)]);
  bus.receive({ k: 'all' });
  await p;
  assert.equal(n.epoch(), 1);
  assert.equal(told, 1);
});

test('a fact with an id is acknowledged once handled; the announcer waits for every other listener', async () => {
  const n = new Notifier();
  const bus = fakeBus(3);
  n.attach(bus);
  const seen: string[] = [];
  n.on('tokens', (m, own) => seen.push(`${m.user}${own ? ' (own)' : ''}`));
  bus.receive({ k: 'tokens', user: '@a:x', id: 'i1' });
  bus.receive({ k: 'tokens', user: '@b:x', id: 'i2' }, true);
  assert.deepEqual(seen, ['@a:x', '@b:x (own)']);
  assert.deepEqual(bus.sent, [{ k: 'ack', id: 'i1' }], 'only facts of other processes are acknowledged');

  const acks = n.expectAcks(5_000);
  bus.receive({ k: 'ack', id: acks.id }); // one arrives before the count is known
  const done = acks.wait();
  bus.receive({ k: 'ack', id: 'someone else' });
  bus.receive({ k: 'ack', id: acks.id }, true);
  let settled = false;
  void done.then(() => (settled = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, 'one of the two other processes has not answered');
  bus.receive({ k: 'ack', id: acks.id });
  assert.equal(await done, true);
});

test('waiting for acknowledgements gives up at the timeout, and is immediate in one process', async () => {
  const n = new Notifier();
  n.attach(fakeBus(2));
  assert.equal(await n.expectAcks(30).wait(), false);
  assert.equal(await new Notifier().expectAcks(30).wait(), true);
});
