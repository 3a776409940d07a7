// A throw-away PostgreSQL 15 cluster for a bench (scripts/pg-cluster.mjs: durability off, needs
// /usr/lib/postgresql/15/bin on the PATH), and fresh databases on it as URLs for
// `hush serve --database`.

import pg from 'pg';
// @ts-expect-error — a plain .mjs script without types
import { startCluster } from '../../scripts/pg-cluster.mjs';

export interface BenchCluster {
  url: string;
  stop(): void;
  /** Creates database `name` and returns its URL. */
  freshDatabase(name: string): Promise<string>;
}

export async function startBenchCluster(): Promise<BenchCluster> {
  const cluster = (await startCluster()) as { url: string; stop(): void };
  return {
    url: cluster.url,
    stop: () => cluster.stop(),
    async freshDatabase(name) {
      const admin = new pg.Client({ connectionString: cluster.url });
      await admin.connect();
      await admin.query(`create database ${name}`);
      await admin.end();
      const url = new URL(cluster.url);
      url.pathname = `/${name}`;
      return url.toString();
    },
  };
}
