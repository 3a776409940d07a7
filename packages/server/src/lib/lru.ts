// A bounded map that forgets the least recently used entry first. The in-memory caches of one app
// instance (services/caches.ts) are built on it, so none grows without bound or is dropped whole.
//
// A Map iterates in insertion order, and re-inserting an entry makes it the newest. Doing that on
// every hit made each hit a delete and an insert (the push rules' matchers are hit ~100 times per
// send): an entry hit again within max/4 operations of its last move is now only stamped and left
// where it is. The order is then the order of last moves, each at most max/4 operations older than
// the entry's last use — the entry forgotten first was used less recently than all but a quarter of
// the others — and with `max` under 4 it is exact.

interface Entry<V> {
  value: V;
  /** The operation count at its last move to the new end. */
  moved: number;
}

export class Lru<K, V> {
  private readonly entries = new Map<K, Entry<V>>();
  private ops = 0;
  private readonly recent: number;

  constructor(readonly max: number) {
    if (!(max >= 1)) throw new RangeError('an LRU holds at least one entry');
    this.recent = Math.floor(max / 4);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The entry, now the most recently used. */
  get(key: K): V | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    const now = ++this.ops;
    if (now - e.moved > this.recent) {
      this.entries.delete(key);
      this.entries.set(key, e);
      e.moved = now;
    }
    return e.value;
  }

  /** The entry without counting it as a use. */
  peek(key: K): V | undefined {
    return this.entries.get(key)?.value;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { value, moved: ++this.ops });
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as K);
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  /** Every entry, least recently moved first (deleting while iterating is allowed). */
  *[Symbol.iterator](): IterableIterator<[K, V]> {
    for (const [k, e] of this.entries) yield [k, e.value];
  }
}
