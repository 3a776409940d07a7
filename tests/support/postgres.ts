// A fresh database in the test run's PostgreSQL cluster (scripts/test.mjs passes its URL in
// HUSH_TEST_PG_URL). Storage tests run on it and on SQLite; without it they fail, never skip. And a
// `hush serve` per e2e suite on either database.

import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startHush, type ExitInfo, type HushProcess } from './server.ts';

export function pgUrl(): string {
  const url = process.env['HUSH_TEST_PG_URL'];
  if (!url) throw new Error('HUSH_TEST_PG_URL is not set: run the tests with `npm test`, which starts PostgreSQL');
  return url;
}

/** Creates `hush_test_<random>` in the run's cluster. Close your pools before `drop()`: it
 *  terminates connections still open, and an idle pool client without an 'error' listener
 *  would then crash the test process. */
export async function freshPgDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const base = pgUrl();
  const name = `hush_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base, connectionTimeoutMillis: 10_000 });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(`cannot connect to HUSH_TEST_PG_URL (${base}): ${(err as Error).message}`);
  }
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(base);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      // WITH (FORCE) terminates the connections still open on it (PostgreSQL 13+).
      const c = new pg.Client({ connectionString: base, connectionTimeoutMillis: 10_000 });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A `hush serve` for an e2e suite: SQLite by default; on a fresh PostgreSQL database (dropped when
 *  the server stops) when the suite runs under HUSH_E2E_DIALECT=postgres (the *.postgres twins). */
export async function startSuiteHush(): Promise<HushProcess> {
  if (process.env['HUSH_E2E_DIALECT'] !== 'postgres') return startHush();
  const pg = await freshPgDatabase();
  const hush = await startHush({ database: pg.url });
  const stop = hush.stop;
  let stopped: Promise<ExitInfo> | undefined;
  return {
    ...hush,
    stop: () =>
      (stopped ??= (async () => {
        const exit = await stop();
        await pg.drop();
        return exit;
      })()),
  };
}
