// Opens the one database of a homeserver: SQLite (a file, the embedded default) or PostgreSQL (a
// postgres:// URL), behind one Kysely query builder so every store is written once. Any number of
// processes may share a PostgreSQL database; a SQLite file belongs to one process, which holds a
// lock on it (`singleProcess`) so that a second `hush serve` on the same file is refused.

import { Kysely, PostgresDialect, SqliteDialect, type LogConfig, type PostgresPool, type PostgresPoolClient, type SqliteDatabase as SqliteDialectDatabase, type Transaction } from 'kysely';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Database } from './schema.ts';
import { migrate } from './migrations.ts';
import { streamStore } from './stream.store.ts';
import { DEFERRED, DEFERRED_RESULT, KeptWrites } from './deferred-writes.ts';

export type Dialect = 'sqlite' | 'postgres';
export type Db = Kysely<Database>;
export type Tx = Transaction<Database> | Kysely<Database>;

export interface DatabaseHandle {
  db: Db;
  dialect: Dialect;
  /** The connection string for PostgreSQL (the notifier opens its own LISTEN connection). */
  url: string;
  close(): Promise<void>;
}

// int8 (bigint, count(*)) comes back from pg as a string; our integers all fit in a double.
pg.types.setTypeParser(20, (v: string) => Number(v));

export function isPostgresUrl(s: string): boolean {
  return s.startsWith('postgres://') || s.startsWith('postgresql://');
}

/** Kysely prepares every query anew; better-sqlite3 statements can be reused, so keep them by SQL
 *  text (queries are parameterised, so the set of texts is small and bounded). */
function cachingStatements(sqlite: SqliteDatabase.Database): SqliteDialectDatabase {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(text: string) {
      let st = cache.get(text);
      if (!st) {
        st = sqlite.prepare(text);
        if (cache.size < 2000) cache.set(text, st);
      }
      return st;
    },
  };
}

/** More distinct statement texts than this and the rest run unnamed (parsed and planned per call). */
const MAX_NAMED = 1000;

/**
 * The pool Kysely uses, with each parameterised statement sent as a *named* prepared statement:
 * PostgreSQL parses and plans its text once per connection instead of on every call (the small
 * statements of a send cost PostgreSQL more to parse and plan than to run). A name stands for one
 * text in every connection, so a connection that prepared it runs it by name alone. Each
 * connection also keeps the deferred writes of its transaction (storage/deferred-writes.ts).
 */
function poolForKysely(pool: pg.Pool): PostgresPool {
  const names = new Map<string, string>();
  const nameOf = (text: string): string | undefined => {
    let name = names.get(text);
    if (name === undefined && names.size < MAX_NAMED) names.set(text, (name = `hush${names.size}`));
    return name;
  };
  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    const run = (first: unknown, values?: unknown[]): Promise<unknown> => {
      if (typeof first === 'string' && values !== undefined && values.length > 0) {
        const name = nameOf(first);
        if (name !== undefined) return client.query({ name, text: first, values });
      }
      return (client.query as (a: unknown, b?: unknown) => Promise<unknown>)(first, values);
    };
    /** Deferred writes not sent yet (storage/deferred-writes.ts). */
    const kept = new KeptWrites();
    return {
      release: (destroy?: boolean) => {
        // Kept writes end with their transaction; any still here never ran: drop the connection.
        const stray = kept.take() !== undefined;
        client.release(destroy || stray);
      },
      query(first: unknown, values?: unknown[]) {
        if (typeof first === 'string' && first.startsWith(DEFERRED)) {
          const before = kept.keep(first, values ?? []);
          return before ? run(before.text, before.values).then(() => DEFERRED_RESULT) : Promise.resolve(DEFERRED_RESULT);
        }
        const batch = kept.take();
        if (!batch) return run(first, values);
        // A rollback (to a savepoint too) undoes the kept writes anyway: they need not run.
        if (typeof first === 'string' && /^\s*rollback\b/i.test(first)) return run(first, values);
        return run(batch.text, batch.values).then(() => run(first, values));
      },
    } as unknown as PostgresPoolClient;
  };
  // One wrapper per pooled connection (Kysely keeps its connection object by the client it gets).
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  return {
    end: () => pool.end(),
    async connect() {
      const client = await pool.connect();
      let w = wrapped.get(client);
      if (!w) wrapped.set(client, (w = wrap(client)));
      return w;
    },
  };
}

/** With HUSH_QUERY_STATS=1, the total time per query text is printed to stderr at exit (profiling). */
function queryStats(): LogConfig | undefined {
  if (process.env['HUSH_QUERY_STATS'] !== '1') return undefined;
  const stats = new Map<string, { n: number; ms: number }>();
  process.once('exit', () => {
    const rows = [...stats].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25);
    for (const [text, s] of rows) process.stderr.write(`${s.ms.toFixed(1).padStart(9)} ms ${String(s.n).padStart(7)}× ${text.slice(0, 160)}\n`);
  });
  return (event) => {
    const key = event.query.sql;
    const s = stats.get(key) ?? { n: 0, ms: 0 };
    s.n++;
    s.ms += event.queryDurationMillis;
    stats.set(key, s);
  };
}

/** Another process holds the SQLite file. */
export class DatabaseBusy extends Error {}

/** Locks `FILE.lock` (a small SQLite file beside the database) exclusively until released; the
 *  operating system releases it when the process ends, however it ends. The database itself stays
 *  readable by other tools (backups, the sqlite3 shell). */
function lockSqliteFile(location: string): () => void {
  const lock = new SqliteDatabase(`${location}.lock`);
  try {
    lock.pragma('busy_timeout = 0');
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (err) {
    lock.close();
    if ((err as { code?: unknown }).code !== 'SQLITE_BUSY') throw err;
    throw new DatabaseBusy(
      `another process is using the SQLite database ${location}: a SQLite database serves one process. Stop the other one, or move to PostgreSQL (hush migrate) to run several`,
    );
  }
  return () => lock.close();
}

export interface OpenOptions {
  poolSize?: number;
  /** SQLite file: refuse when another process holds it (hush serve, hush migrate). */
  singleProcess?: boolean;
}

export async function openDatabase(location: string, opts: OpenOptions = {}): Promise<DatabaseHandle> {
  let handle: DatabaseHandle;
  if (isPostgresUrl(location)) {
    const pool = new pg.Pool({ connectionString: location, max: opts.poolSize ?? 10 });
    // A pool error on an idle client must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: poolForKysely(pool) }), log: queryStats() });
    // Stream positions are claimed on a connection of their own (decision 0028).
    const stopClaims = streamStore.useClaims(db, location);
    handle = { db, dialect: 'postgres', url: location, close: () => db.destroy().finally(stopClaims) };
  } else {
    if (location !== ':memory:') mkdirSync(dirname(location), { recursive: true });
    const unlock = opts.singleProcess && location !== ':memory:' ? lockSqliteFile(location) : () => undefined;
    let sqlite: SqliteDatabase.Database;
    try {
      sqlite = new SqliteDatabase(location);
    } catch (err) {
      unlock();
      throw err;
    }
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    // Checkpoint less often: each one fsyncs, and per-commit cost dominated the send path.
    sqlite.pragma('wal_autocheckpoint = 10000');
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(sqlite) }), log: queryStats() });
    handle = { db, dialect: 'sqlite', url: location, close: () => db.destroy().finally(unlock) };
  }
  try {
    await migrate(handle.db, handle.dialect);
  } catch (err) {
    await handle.close();
    throw err;
  }
  return handle;
}
