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
