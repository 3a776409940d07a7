// A fresh database in the test run's PostgreSQL cluster (scripts/test.mjs passes its URL in
// HUSH_TEST_PG_URL). Storage tests run on it and on SQLite; without it they fail, never skip.

import { randomBytes } from 'node:crypto';
import pg from 'pg';

export function pgUrl(): string {
  const url = process.env['HUSH_TEST_PG_URL'];
  if (!url) throw new Error('HUSH_TEST_PG_URL is not set: run the tests with `npm test`, which starts PostgreSQL');
  return url;
}

export async function freshPgDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const base = pgUrl();
  const name = `hush_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
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
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
