// Hot statements built once: Kysely builds and compiles a query's tree on every call, which costs
// more CPU than SQLite takes to run the small statements of a send. A `prepared` statement is built
// once per dialect and shape with placeholder arguments; its SQL text is kept, and each call runs
// that text with the call's arguments in the placeholders' places (on SQLite the text also maps to
// one cached better-sqlite3 statement, storage/db.ts).

import type { Compilable, CompiledQuery, QueryResult } from 'kysely';
import type { Tx } from './db.ts';
import { defersWrites, markDeferred } from './deferred-writes.ts';

const MARK = '\u0000hush-arg\u0000';
/** More shapes than this (array lengths, present keys) and a statement is compiled per call. */
const MAX_SHAPES = 64;

type Path = readonly (string | number)[];
interface Plan {
  sql: string;
  query: CompiledQuery['query'];
  /** Per parameter: where to read it in the arguments, or the constant the builder put there. */
  slots: ({ path: Path } | { value: unknown })[];
}

/** The arguments with every leaf replaced by a marker naming its path, and the shape of the
 *  arguments (array lengths, keys, which leaves are undefined): one compiled text per shape. */
function mark(value: unknown, path: (string | number)[], paths: Path[]): { marked: unknown; shape: string } {
  if (value === undefined) return { marked: undefined, shape: 'u' };
  if (Array.isArray(value)) {
    const parts = value.map((v, i) => mark(v, [...path, i], paths));
    return { marked: parts.map((p) => p.marked), shape: `[${parts.map((p) => p.shape).join(',')}]` };
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    const shapes: string[] = [];
    for (const [k, v] of Object.entries(value)) {
      const p = mark(v, [...path, k], paths);
      out[k] = p.marked;
      shapes.push(`${JSON.stringify(k)}:${p.shape}`);
    }
    return { marked: out, shape: `{${shapes.join(',')}}` };
  }
  paths.push(path);
  return { marked: `${MARK}${paths.length - 1}`, shape: '.' };
}

/** The shape only (no markers), computed on every call to find the plan: kept cheap (no array
 *  or JSON per call); keys are our own identifiers, so a control character separates them. */
function shapeOf(value: unknown): string {
  if (value === undefined) return 'u';
  if (Array.isArray(value)) {
    let s = '[';
    for (const v of value) s += `${shapeOf(v)},`;
    return `${s}]`;
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    let s = '{';
    for (const k in value) s += `${k}\u0001${shapeOf((value as Record<string, unknown>)[k])},`;
    return `${s}}`;
  }
  return '.';
}

function read(args: unknown, path: Path): unknown {
  let v = args;
  for (const k of path) v = (v as Record<string | number, unknown>)[k];
  return v;
}

/**
 * A statement built by `build` once per dialect and argument shape. `build` must use its
 * arguments only as values of the query (it may test whether one is undefined and look at array
 * lengths and keys, never at the values themselves: those are placeholders when it runs).
 * `deferrable`: a write that returns nothing and whose row count no caller reads, with the rows
 * it touches that another deferred write might touch too (storage/deferred-writes.ts); in a
 * PostgreSQL transaction it is sent with the transaction's next other statement.
 */
export function prepared<A extends object, R>(
  build: (tx: Tx, args: A) => Compilable<R>,
  opts: { deferrable?: (args: A) => readonly string[] } = {},
): (tx: Tx, args: A) => Promise<QueryResult<R>> {
  const plans = new WeakMap<object, Map<string, Plan>>();
  return async (tx, args) => {
    const adapter = tx.getExecutor().adapter;
    let byShape = plans.get(adapter);
    if (!byShape) plans.set(adapter, (byShape = new Map()));
    const shape = shapeOf(args);
    let plan = byShape.get(shape);
    if (!plan) {
      if (byShape.size >= MAX_SHAPES) return tx.executeQuery(build(tx, args).compile());
      const paths: Path[] = [];
      const { marked } = mark(args, [], paths);
      const compiled = build(tx, marked as A).compile();
      const slots = compiled.parameters.map((p) => (typeof p === 'string' && p.startsWith(MARK) ? { path: paths[Number(p.slice(MARK.length))]! } : { value: p }));
      plan = { sql: compiled.sql, query: compiled.query, slots };
      byShape.set(shape, plan);
    }
    const parameters = plan.slots.map((s) => ('path' in s ? read(args, s.path) : s.value));
    const query = { sql: plan.sql, query: plan.query, parameters, queryId: { queryId: 'prepared' } } as CompiledQuery<R>;
    return tx.executeQuery<R>(opts.deferrable && defersWrites(tx) ? markDeferred(query, opts.deferrable(args)) : query);
  };
}
