// The typed emitter: listeners called in order with the payload, unsubscribe, and changes made while
// an event is being delivered apply from the next event on.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Emitter } from './emitter.ts';

interface Events {
  ping: { n: number };
  other: { s: string };
}

test('listeners get the payload of their event only, in the order they were added', () => {
  const e = new Emitter<Events>();
  const got: string[] = [];
  e.on('ping', (p) => got.push(`a${p.n}`));
  e.on('ping', (p) => got.push(`b${p.n}`));
  e.on('other', (p) => got.push(`o${p.s}`));
  e.emit('ping', { n: 1 });
  e.emit('other', { s: 'x' });
  assert.deepEqual(got, ['a1', 'b1', 'ox']);
});

test('the function on() returns unsubscribes that listener only', () => {
  const e = new Emitter<Events>();
  const got: number[] = [];
  const off = e.on('ping', (p) => got.push(p.n));
  e.on('ping', (p) => got.push(p.n * 10));
  e.emit('ping', { n: 1 });
  off();
  off(); // twice is harmless
  e.emit('ping', { n: 2 });
  assert.deepEqual(got, [1, 10, 20]);
});

test('a listener added or removed during delivery takes effect from the next event', () => {
  const e = new Emitter<Events>();
  const got: string[] = [];
  let offLater: () => void = () => undefined;
  e.on('ping', (p) => {
    got.push(`first${p.n}`);
    if (p.n === 1) e.on('ping', (q) => got.push(`added${q.n}`));
    offLater();
  });
  offLater = e.on('ping', (p) => got.push(`second${p.n}`));
  e.emit('ping', { n: 1 });
  e.emit('ping', { n: 2 });
  assert.deepEqual(got, ['first1', 'second1', 'first2', 'added2']);
});

test('emitting with no listeners does nothing', () => {
  const e = new Emitter<Events>();
  assert.doesNotThrow(() => e.emit('other', { s: 'nobody' }));
});
