// Writes sent late and together on PostgreSQL (decision 0049). A statement whose answer nobody
// reads — an insert, update or delete that returns nothing, inside a transaction — may be marked
// deferred: the connection (storage/db.ts) keeps it instead of sending it, and sends what it kept
// as one statement (each write a data-modifying WITH clause) just before the transaction's next
// statement of any other kind — a read, a savepoint, the commit — or drops it at a rollback, which
// would undo it anyway. Every other statement therefore sees every write before it, as if each
// had been sent at once.
//
// The clauses of one statement run on one snapshot and do not see each other's rows, so writes
// kept together must not touch the same rows: each deferred write names the rows it touches that
// another deferred write might (its row keys: the room row a new head is written to, the forward
// extremities it adds or drops), and one whose keys meet those of a kept write sends the kept ones
// first. What changes for a caller is only that a deferred write's error is reported by the
// statement that sends it, and that it reports no row count. A send's writes are then one round
// trip instead of seven. SQLite runs in our process: nothing is deferred there.

import { PostgresAdapter, type CompiledQuery } from 'kysely';
import type { Tx } from './db.ts';

/** Marks a statement's text as deferred (stripped before it is sent; a constant, never data). */
export const DEFERRED = '/*hush:deferred*/';

/** A deferred write's row keys, passed as its last parameter (taken off before it is sent). */
export class RowKeys {
  constructor(readonly keys: readonly string[]) {}
}

/** What a deferred statement answers at once: no rows, and no row count (Kysely's
 *  numAffectedRows stays undefined for a command it does not know). */
export const DEFERRED_RESULT = Object.freeze({ command: 'DEFERRED', rowCount: null, rows: Object.freeze([]) as unknown as unknown[] });

/** Whether writes in `tx` may be deferred: a PostgreSQL transaction. */
export function defersWrites(tx: Tx): boolean {
  return tx.isTransaction && tx.getExecutor().adapter instanceof PostgresAdapter;
}

/** `query` marked deferred, with `keys`: the rows it touches that another deferred write might
 *  touch too (none for a row of its own). `KeptWrites.keep` takes the marks off again. */
export function markDeferred<R>(query: CompiledQuery<R>, keys: readonly string[]): CompiledQuery<R> {
  return { ...query, sql: DEFERRED + query.sql, parameters: [...query.parameters, new RowKeys(keys)] };
}

/** `query`, a write whose answer nobody reads, deferred when `tx` defers writes. */
export function deferredIn<R>(tx: Tx, query: CompiledQuery<R>, keys: readonly string[] = []): CompiledQuery<R> {
  return defersWrites(tx) ? markDeferred(query, keys) : query;
}

/** The statements kept on one connection, as one: each a WITH clause, its parameters numbered on
 *  from the previous one's. Only our own statements are deferred, built by Kysely with every value
 *  a parameter, so `$n` in their text is always a parameter. */
export function combine(kept: readonly { text: string; values: readonly unknown[] }[]): { text: string; values: unknown[] } {
  if (kept.length === 1) return { text: kept[0]!.text, values: [...kept[0]!.values] };
  const values: unknown[] = [];
  const clauses = kept.map((k, i) => {
    const offset = values.length;
    values.push(...k.values);
    return `w${i} as (${offset === 0 ? k.text : k.text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`)})`;
  });
  return { text: `with ${clauses.join(', ')} select 1`, values };
}

/** One connection's kept writes (storage/db.ts runs what `take` gives back). */
export class KeptWrites {
  private writes: { text: string; values: unknown[] }[] = [];
  private keys = new Set<string>();

  get size(): number {
    return this.writes.length;
  }

  /** Keeps a deferred statement (its text with the mark, its values with the row keys last); what
   *  was kept must be sent first when their rows meet (returned, and no longer kept). */
  keep(text: string, values: readonly unknown[]): { text: string; values: unknown[] } | undefined {
    const last = values[values.length - 1];
    const rowKeys = last instanceof RowKeys ? last.keys : [];
    const own = { text: text.slice(DEFERRED.length), values: last instanceof RowKeys ? values.slice(0, -1) : [...values] };
    const first = rowKeys.some((k) => this.keys.has(k)) ? this.take() : undefined;
    this.writes.push(own);
    for (const k of rowKeys) this.keys.add(k);
    return first;
  }

  /** Everything kept, as one statement; nothing is kept after. */
  take(): { text: string; values: unknown[] } | undefined {
    if (this.writes.length === 0) return undefined;
    const out = combine(this.writes);
    this.writes = [];
    this.keys = new Set();
    return out;
  }
}
