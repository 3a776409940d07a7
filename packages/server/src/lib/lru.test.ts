// The bounded map under every app cache: a full one forgets its least recently used entry, one at a
// time — never everything at once (issue 20.4: the ignore-view cache used to be cleared whole).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lru } from './lru.ts';

test('a full LRU forgets the least recently used entry, and only that one', () => {
  const lru = new Lru<string, number>(3);
  lru.set('a', 1);
  lru.set('b', 2);
  lru.set('c', 3);
  assert.equal(lru.get('a'), 1); // a is now the most recently used: b is the oldest
  lru.set('d', 4);
  assert.equal(lru.size, 3);
  assert.deepEqual([...lru].map(([k]) => k), ['c', 'a', 'd']);
  assert.equal(lru.get('b'), undefined);
});

test('peek does not count as a use; set of a held key refreshes it', () => {
  const lru = new Lru<string, number>(2);
  lru.set('a', 1);
  lru.set('b', 2);
  assert.equal(lru.peek('a'), 1);
  lru.set('c', 3); // a was only peeked at: it goes
  assert.deepEqual([...lru].map(([k]) => k), ['b', 'c']);
  lru.set('b', 20);
  lru.set('d', 4); // b was refreshed by its set: c goes
  assert.deepEqual([...lru], [['b', 20], ['d', 4]]);
  assert.throws(() => new Lru(0), RangeError);
});

test('a hit soon after its last move is not moved again; the order stays within max/4 of true use', () => {
  const lru = new Lru<number, number>(8); // hits within 2 operations of the last move stay in place
  for (let i = 0; i < 8; i++) lru.set(i, i);
  assert.equal(lru.get(0), 0); // 0 was set 8 operations ago: moved to the new end
  assert.deepEqual([...lru].map(([k]) => k), [1, 2, 3, 4, 5, 6, 7, 0]);
  assert.equal(lru.get(7), 7); // 7 was set 2 operations ago: left in place
  assert.deepEqual([...lru].map(([k]) => k), [1, 2, 3, 4, 5, 6, 7, 0]);
  assert.equal(lru.get(1), 1); // 1, the oldest, is used: moved
  lru.set(8, 8); // the oldest now is 2: it goes
  assert.equal(lru.size, 8);
  assert.equal(lru.peek(2), undefined);
  assert.deepEqual([...lru].map(([k]) => k), [3, 4, 5, 6, 7, 0, 1, 8]);
  for (let i = 9; i < 100; i++) {
    lru.set(i, i);
    assert.ok(lru.size <= 8);
  }
  assert.deepEqual([...lru].map(([k]) => k), [92, 93, 94, 95, 96, 97, 98, 99]);
});
