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

/** A persisted-up-to position the test moves by hand (PostgreSQL's stream claims, decision 0028). */
function fakeGate(initial = 0) {
  const g = { settled: initial, reads: 0, inOrder: new Set<number>() };
  return {
    g,
    gate: {
      read: async () => (g.reads++, g.settled),
      known: () => 0,
      committedInOrder: (p: number) => g.inOrder.delete(p),
    },
  };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

test('gated: a waiter is not woken for N+1 while N is in flight, and is once N commits', async () => {
  const n = new Notifier();
  const bus = fakeBus(2);
  n.attach(bus);
  const { g, gate } = fakeGate(4);
  n.gate(gate);
  n.advanceTo(4);
  let woke = false;
  const p = n.wait('@a:x', new Set(['!r:x']), { stream: 4, typing: 0 }, 5_000).then(() => (woke = true));
  // 6 committed, 5 still in flight: the stream is persisted up to 4 only.
  n.notify({ stream: 6 }, { rooms: ['!r:x'] });
  await tick();
  assert.equal(woke, false);
  assert.equal(n.changedSince('@a:x', new Set(['!r:x']), { stream: 4, typing: 0 }), false);
  assert.equal(bus.sent.length, 0, 'nothing is published past the persisted-up-to position');
  assert.ok(g.reads >= 1);
  // 5 commits: both go out, in position order, each carrying the position reached.
  g.settled = 6;
  n.notify({ stream: 5 }, { rooms: ['!r:x'] });
  await p;
  assert.equal(woke, true);
  assert.equal(n.position().stream, 6);
  assert.deepEqual(
    bus.sent.map((m) => (m.k === 'n' ? [m.s, m.w] : m.k)),
    [
      [5, 6],
      [6, 6],
    ],
  );
});

test('gated: a position held for a rolled-back predecessor is released by the re-reads', async () => {
  const n = new Notifier();
  const { g, gate } = fakeGate(1);
  n.gate(gate);
  let woke = false;
  const p = n.wait('@a:x', new Set(['!r:x']), { stream: 1, typing: 0 }, 5_000).then(() => (woke = true));
  n.notify({ stream: 3 }, { rooms: ['!r:x'] }); // 2 rolled back: nobody will announce it
  await tick();
  assert.equal(woke, false);
  g.settled = 3; // the claim of 2 is seen as done
  await p;
  assert.equal(woke, true);
  n.stop();
});

test('gated: a position claimed with nothing before it in flight wakes at once, without a read', async () => {
  const n = new Notifier();
  const { g, gate } = fakeGate(0);
  n.gate(gate);
  g.inOrder.add(7);
  const p = n.wait('@a:x', new Set(['!r:x']), { stream: 6, typing: 0 }, 5_000);
  n.notify({ stream: 7 }, { rooms: ['!r:x'] });
  await p;
  assert.equal(g.reads, 0);
});

test('gated: another process\'s announcement wakes at once when it carries the position reached, else after a read', async () => {
  const n = new Notifier();
  const bus = fakeBus(2);
  n.attach(bus);
  const { g, gate } = fakeGate(2);
  n.gate(gate);
  const p1 = n.wait('@a:x', new Set(['!r:x']), { stream: 2, typing: 0 }, 5_000);
  bus.receive({ k: 'n', s: 3, w: 3, r: ['!r:x'] });
  await p1;
  assert.equal(g.reads, 0);
  let woke = false;
  const p2 = n.wait('@a:x', new Set(['!r:x']), { stream: 3, typing: 0 }, 5_000).then(() => (woke = true));
  bus.receive({ k: 'n', s: 5, r: ['!r:x'] }); // an older process: no `w`
  await tick();
  assert.equal(woke, false);
  g.settled = 5;
  await p2;
  n.stop();
});
