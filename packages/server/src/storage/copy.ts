// Copies a whole homeserver from one database to another (`hush migrate`, SQLite → PostgreSQL):
// every table in dependency order, streamed in batches, inside one transaction on the target; then
// verifies row counts per table and a random sample of events column by column. Stores know
// nothing of this; it moves rows as they are.

import { sql } from 'kysely';
import type { Db } from './db.ts';
import type { Database } from './schema.ts';

/** Tables in the order their rows may refer to each other; the stream counter is set at the end. */
export const COPY_ORDER = [
  'users',
  'devices',
  'access_tokens',
  'server_keys',
  'rooms',
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
] as const satisfies readonly (keyof Database)[];

type Table = (typeof COPY_ORDER)[number];
type Row = Record<string, unknown>;

export interface CopyReport {
  tables: { table: string; source: number; target: number }[];
  sampled: number;
  mismatches: string[];
  streamPosition: number;
}

const BATCH = 500;
const SAMPLE = 100;

async function count(db: Db, table: Table): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select(sql<number>`count(*)`.as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Refuses a target that already holds a homeserver (no merging of two servers' data). */
export async function assertEmptyTarget(target: Db): Promise<void> {
  for (const t of ['users', 'events', 'rooms'] as const) {
    if ((await count(target, t)) > 0) throw new Error(`the target database already has ${t}; migrate only into an empty database`);
  }
}

export async function copyHomeserver(source: Db, target: Db, onTable?: (table: string, rows: number) => void): Promise<CopyReport> {
  await assertEmptyTarget(target);
  const streamPosition = Number((await source.selectFrom('stream_counter').select('pos').where('id', '=', 1).executeTakeFirst())?.pos ?? 0);
  await target.transaction().execute(async (tx) => {
    for (const table of COPY_ORDER) {
      let batch: Row[] = [];
      let n = 0;
      const flush = async () => {
        if (batch.length === 0) return;
        await tx.insertInto(table).values(batch as never).execute();
        n += batch.length;
        batch = [];
      };
      // server_keys may already hold a key the target generated on a first start: the source's wins.
      if (table === 'server_keys') await tx.deleteFrom('server_keys').execute();
      for await (const row of source.selectFrom(table).selectAll().stream(BATCH)) {
        batch.push(row as Row);
        if (batch.length >= BATCH) await flush();
      }
      await flush();
      onTable?.(table, n);
    }
    await tx.updateTable('stream_counter').set({ pos: streamPosition }).where('id', '=', 1).execute();
  });
  return verify(source, target, streamPosition);
}

async function verify(source: Db, target: Db, streamPosition: number): Promise<CopyReport> {
  const tables: CopyReport['tables'] = [];
  const mismatches: string[] = [];
  for (const table of COPY_ORDER) {
    const s = await count(source, table);
    const t = await count(target, table);
    tables.push({ table, source: s, target: t });
    if (s !== t) mismatches.push(`${table}: ${s} rows in the source, ${t} in the target`);
  }
  const sample = await source
    .selectFrom('events')
    .selectAll()
    .orderBy(sql`random()`)
    .limit(SAMPLE)
    .execute();
  for (const ev of sample) {
    const copy = await target.selectFrom('events').selectAll().where('event_id', '=', ev.event_id).executeTakeFirst();
    const norm = (r: Row | undefined) => (r ? JSON.stringify(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]).sort()) : 'missing');
    if (norm(copy as Row | undefined) !== norm(ev as Row)) mismatches.push(`event ${ev.event_id} differs`);
  }
  return { tables, sampled: sample.length, mismatches, streamPosition };
}
