// Schema migrations, applied in order inside one transaction each. On PostgreSQL an advisory lock
// lets several server processes start at once against the same database.

import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import type { Dialect } from './db.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

interface Migration {
  version: number;
  name: string;
  up(db: AnyDb, dialect: Dialect): Promise<void>;
}

const MIGRATION_LOCK = 7310;

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'accounts',
    async up(db) {
      await db.schema
        .createTable('users')
        .addColumn('user_id', 'text', (c) => c.primaryKey())
        .addColumn('password_hash', 'text')
        .addColumn('displayname', 'text')
        .addColumn('avatar_url', 'text')
        .addColumn('created_ts', 'bigint', (c) => c.notNull())
        .addColumn('deactivated', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createTable('devices')
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('display_name', 'text')
        .addColumn('created_ts', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_ts', 'bigint')
        .addColumn('last_seen_ip', 'text')
        .addPrimaryKeyConstraint('devices_pk', ['user_id', 'device_id'])
        .execute();
      await db.schema
        .createTable('access_tokens')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('created_ts', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('access_tokens_device').on('access_tokens').columns(['user_id', 'device_id']).execute();
      await db.schema
        .createTable('server_keys')
        .addColumn('key_id', 'text', (c) => c.primaryKey())
        .addColumn('seed', 'text', (c) => c.notNull())
        .addColumn('created_ts', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
];

export async function migrate(db: Kysely<Database>, dialect: Dialect): Promise<void> {
  const anyDb = db as unknown as AnyDb;
  await anyDb.schema
    .createTable('schema_migrations')
    .ifNotExists()
    .addColumn('version', 'integer', (c) => c.primaryKey())
    .addColumn('applied_ts', 'bigint', (c) => c.notNull())
    .execute()
    .catch(async (err: unknown) => {
      // Two processes racing on CREATE TABLE IF NOT EXISTS in PostgreSQL: the loser sees a
      // unique violation on pg_type; the table exists either way.
      const exists = await sql`select 1 from schema_migrations limit 1`.execute(anyDb).then(() => true, () => false);
      if (!exists) throw err;
    });
  await db.transaction().execute(async (tx) => {
    if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(tx);
    const done = new Set((await tx.selectFrom('schema_migrations').select('version').execute()).map((r) => r.version));
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await m.up(tx as unknown as AnyDb, dialect);
      await tx.insertInto('schema_migrations').values({ version: m.version, applied_ts: Date.now() }).execute();
    }
  });
}
