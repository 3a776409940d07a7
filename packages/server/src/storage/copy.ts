// Copies a whole homeserver from one database to another (`hush migrate`, SQLite → PostgreSQL):
// every table in dependency order, streamed in batches, inside one transaction on the target (all
// or nothing), the stream counters included; then verifies row counts per table and a random sample
// of events column by column (the event JSON byte for byte). It moves rows as they are; stores know
// nothing of it.

import { PostgresAdapter, sql } from 'kysely';
import type { Db } from './db.ts';
import type { Database } from './schema.ts';
import { fillSearchIndex } from './search.store.ts';

/** Tables in the order their rows refer to each other: accounts before what they own, rooms before
 *  their events, events before what indexes them. A table the schema has and this list lacks is
 *  still copied (after these); a unit test asks for it to be placed here. */
export const COPY_ORDER = [
  'users',
  'profile_fields',
  'devices',
  'access_tokens',
  'server_keys',
  'remote_server_keys',
  'rooms',
  'room_predecessors',
  'events',
  'state_events',
  'room_state',
  'memberships',
  'event_txns',
  'room_aliases',
  'account_data',
  'filters',
  'receipts',
  'to_device',
  'to_device_txns',
  'reports',
  'presence',
  'e2e_device_keys',
  'e2e_one_time_keys',
  'e2e_fallback_keys',
  'e2e_cross_signing_keys',
  'e2e_signatures',
  'e2e_device_list_changes',
  'room_key_backup_versions',
  'room_key_backup_keys',
  'media',
  'forward_extremities',
  'backward_extremities',
  'event_outliers',
  'event_rejections',
  'event_state_deltas',
  'federation_inbound_txns',
  'federation_destinations',
  'federation_queue',
  'remote_e2e_keys',
  'invite_rejections',
  'event_push_actions',
  'push_actions_flushed',
  'pushers',
  'push_queue',
  'stream_counter',
  'stream_claims',
] as const satisfies readonly (keyof Database)[];

/** Tables a freshly opened database may already hold rows in; the source's rows replace them. */
const REPLACED = new Set(['server_keys', 'stream_counter']);
/** stream_claims: positions in flight, named by the source cluster's transaction ids (decision 0028). */
const NOT_COPIED = new Set(['schema_migrations', 'stream_claims']);
/** Tables derived from others and rebuilt on the target, never copied: the search index (on SQLite
 *  an FTS5 table and its shadow tables, on PostgreSQL a table of tsvectors). */
export function isDerivedTable(name: string): boolean {
  return name === 'event_search' || name.startsWith('event_search_');
}
/** Bound parameters per INSERT stay well under PostgreSQL's 65,535. */
const MAX_PARAMS = 30_000;
const MAX_BATCH = 1_000;
const SAMPLE = 200;

/** Refused before anything was written (exit 2 in the CLI). */
export class CopyRefused extends Error {}

export interface CopyReport {
  tables: { table: string; source: number; target: number }[];
  sampled: number;
  mismatches: string[];
  streamPosition: number;
}

type Row = Record<string, unknown>;
// Tables are discovered at run time; Kysely's table typing cannot follow.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Db & { selectFrom(t: string): any; insertInto(t: string): any; deleteFrom(t: string): any };

async function count(db: Db, table: string): Promise<number> {
  const row = await (db as AnyDb).selectFrom(table).select(sql<number>`count(*)`.as('n')).executeTakeFirst();
  return Number((row as { n?: unknown } | undefined)?.n ?? 0);
}

/** Every table of the schema (PostgreSQL: the current schema) with its columns, in copy order. */
async function tablesOf(db: Db): Promise<Map<string, string[]>> {
  const schema =
    db.getExecutor().adapter instanceof PostgresAdapter ? (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s : undefined;
  const all = await db.introspection.getTables();
  const found = new Map(all.filter((t) => !t.isView && (schema === undefined || t.schema === schema)).map((t) => [t.name, t.columns.map((c) => c.name).sort()]));
  const known: string[] = [...COPY_ORDER];
  const order = [...known.filter((t) => found.has(t)), ...[...found.keys()].filter((t) => !known.includes(t)).sort()];
  return new Map(order.filter((t) => !NOT_COPIED.has(t) && !isDerivedTable(t)).map((t) => [t, found.get(t) ?? []]));
}

async function versions(db: Db): Promise<string> {
  const rows = await db.selectFrom('schema_migrations').select('version').orderBy('version').execute();
  return rows.map((r) => r.version).join(',');
}

/** The schemas match and the target holds no homeserver yet: no merging of two servers' data. */
async function checkTarget(source: Db, target: Db): Promise<Map<string, string[]>> {
  if ((await versions(source)) !== (await versions(target))) throw new CopyRefused('the source and target schemas differ (run both with this version of hush)');
  const tables = await tablesOf(source);
  const targetTables = await tablesOf(target);
  for (const [table, columns] of tables) {
    if (targetTables.get(table)?.join() !== columns.join()) throw new CopyRefused(`table ${table} differs between the source and the target`);
    if (REPLACED.has(table)) continue;
    const n = await count(target, table);
    if (n > 0) throw new CopyRefused(`the target database is not empty (${table}: ${n} rows); hush migrate copies into an empty database only`);
  }
  return tables;
}

export async function copyHomeserver(source: Db, target: Db, onTable?: (table: string, rows: number) => void): Promise<CopyReport> {
  const tables = await checkTarget(source, target);
  await target.transaction().execute(async (tx) => {
    const into = tx as unknown as AnyDb;
    for (const [table, columns] of tables) {
      if (REPLACED.has(table)) await into.deleteFrom(table).execute();
      const size = Math.max(1, Math.min(MAX_BATCH, Math.floor(MAX_PARAMS / Math.max(1, columns.length))));
      let batch: Row[] = [];
      let n = 0;
      const flush = async () => {
        if (batch.length === 0) return;
        try {
          await into.insertInto(table).values(batch).execute();
        } catch (err) {
          throw new Error(`copying ${table} failed at rows ${n + 1}–${n + batch.length}: ${(err as Error).message}`, { cause: err });
        }
        n += batch.length;
        batch = [];
      };
      for await (const row of (source as AnyDb).selectFrom(table).selectAll().stream(size) as AsyncIterable<Row>) {
        batch.push(row);
        if (batch.length >= size) await flush();
      }
      await flush();
      onTable?.(table, n);
    }
    await fillSearchIndex(tx, tx.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite');
  });
  return verify(source, target, [...tables.keys()]);
}

/** Numbers compare as numbers (SQLite and PostgreSQL drivers differ in integer types); text, the
 *  event JSON included, must be identical. */
function differingColumns(a: Row, b: Row | undefined): string[] {
  if (!b) return ['the whole row is missing'];
  const norm = (v: unknown) => (typeof v === 'bigint' ? Number(v) : v);
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => norm(a[k]) !== norm(b[k])).sort();
}

async function verify(source: Db, target: Db, tables: string[]): Promise<CopyReport> {
  const report: CopyReport['tables'] = [];
  const mismatches: string[] = [];
  for (const table of tables) {
    const s = await count(source, table);
    const t = await count(target, table);
    report.push({ table, source: s, target: t });
    if (s !== t) mismatches.push(`${table}: ${s} rows in the source, ${t} in the target`);
  }
  const position = async (db: Db) => Number((await db.selectFrom('stream_counter').select('pos').where('id', '=', 1).executeTakeFirst())?.pos ?? 0);
  const streamPosition = await position(source);
  if ((await position(target)) !== streamPosition) mismatches.push('stream position differs');
  const sample = await source.selectFrom('events').selectAll().orderBy(sql`random()`).limit(SAMPLE).execute();
  for (const ev of sample) {
    const copy = await target.selectFrom('events').selectAll().where('event_id', '=', ev.event_id).executeTakeFirst();
    const diff = differingColumns(ev as Row, copy as Row | undefined);
    if (diff.length > 0) mismatches.push(`event ${ev.event_id} differs: ${diff.join(', ')}`);
  }
  return { tables: report, sampled: sample.length, mismatches, streamPosition };
}
