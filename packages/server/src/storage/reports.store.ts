// Reports of events, rooms and users, kept for the server's administrators (`hush reports list`).
// Rows only.

import type { Tx } from './db.ts';
import type { ReportsTable } from './schema.ts';

export type ReportRow = ReportsTable;

export const reportsStore = {
  async insert(tx: Tx, row: ReportRow): Promise<void> {
    await tx.insertInto('reports').values(row).execute();
  },

  /** The newest reports first, received at or after `since` (ms), at most `limit`. */
  async list(tx: Tx, opts: { since?: number; limit: number }): Promise<ReportRow[]> {
    let q = tx.selectFrom('reports').selectAll();
    if (opts.since !== undefined) q = q.where('received_ts', '>=', opts.since);
    return q.orderBy('received_ts', 'desc').orderBy('report_id').limit(opts.limit).execute();
  },
};
