// Opens the one database of a homeserver: SQLite (a file, the embedded default) or PostgreSQL (a
// postgres:// URL), behind one Kysely query builder so every store is written once.

import { Kysely, PostgresDialect, SqliteDialect, type Transaction } from 'kysely';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Database } from './schema.ts';
import { migrate } from './migrations.ts';

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

export async function openDatabase(location: string, opts: { poolSize?: number } = {}): Promise<DatabaseHandle> {
  let handle: DatabaseHandle;
  if (isPostgresUrl(location)) {
    const pool = new pg.Pool({ connectionString: location, max: opts.poolSize ?? 10 });
    // A pool error on an idle client must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    handle = { db, dialect: 'postgres', url: location, close: () => db.destroy() };
  } else {
    if (location !== ':memory:') mkdirSync(dirname(location), { recursive: true });
    const sqlite = new SqliteDatabase(location);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
    handle = { db, dialect: 'sqlite', url: location, close: () => db.destroy() };
  }
  try {
    await migrate(handle.db, handle.dialect);
  } catch (err) {
    await handle.close();
    throw err;
  }
  return handle;
}
