// `hush reports list --database …`: the reports users sent (reportEvent, reportRoom, reportUser),
// newest first, for the server's administrators. Reads the database directly, like `hush migrate`;
// a SQLite file in use by `hush serve` is read through a second connection (SQLite allows readers).

import { existsSync } from 'node:fs';
import { Command } from 'commander';
import type { ReportRow } from '@hush/server';
import { print, run, usage } from '../output.ts';

function line(r: ReportRow): string {
  const when = new Date(Number(r.received_ts)).toISOString();
  const what =
    r.kind === 'event' ? `event ${r.event_id} in ${r.room_id} (sent by ${r.target_user_id})` : r.kind === 'room' ? `room ${r.room_id}` : `user ${r.target_user_id}`;
  const score = r.score === null ? '' : ` score ${r.score}`;
  return `${when}  ${r.reporter} reported ${what}${score}: ${r.reason === null || r.reason === '' ? '(no reason)' : JSON.stringify(r.reason)}`;
}

export function reportsCommand(): Command {
  const cmd = new Command('reports').description("server administration: reports of events, rooms and users sent to this server's administrators");
  cmd
    .command('list')
    .description('list the reports, newest first')
    .requiredOption('--database <location>', 'the homeserver database: a SQLite file (sqlite:FILE or a path) or a postgres:// URL')
    .option('--limit <n>', 'at most this many reports (default 100)')
    .option('--since <iso-date>', 'only reports received at or after this time')
    .option('--json', 'print one JSON document for scripts')
    .action((opts: { database: string; limit?: string; since?: string; json?: boolean }) =>
      run(async () => {
        // Loaded here, not at the top: the client commands and --help need none of the server.
        const { isPostgresUrl, listReports, openDatabase } = await import('@hush/server');
        const location = opts.database.startsWith('sqlite:') ? opts.database.slice('sqlite:'.length) : opts.database;
        if (!isPostgresUrl(location) && !existsSync(location)) throw usage(`--database: no such file ${location}`);
        const limit = opts.limit === undefined ? 100 : Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw usage('--limit must be an integer from 1 to 10000');
        const since = opts.since === undefined ? undefined : Date.parse(opts.since);
        if (since !== undefined && Number.isNaN(since)) throw usage('--since must be a date, e.g. 2026-12-01 or 2026-12-01T12:00:00Z');
        const db = await openDatabase(location, { poolSize: 1 });
        try {
          const reports = await listReports(db.db, { limit, ...(since !== undefined ? { since } : {}) });
          print(opts, { reports }, (d) => (d.reports.length === 0 ? { note: 'no reports' } : d.reports.map(line).join('\n')));
        } finally {
          await db.close();
        }
      }),
    );
  return cmd;
}
