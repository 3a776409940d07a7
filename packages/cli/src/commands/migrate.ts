// `hush migrate --from sqlite:FILE --to postgres://…`: copies a whole homeserver into an empty
// PostgreSQL database in one transaction and verifies it (row counts per table, a sample of events
// compared column by column). Exit 0 when verified, 1 on a mismatch or failure, 2 when refused
// before anything was written (bad arguments, the SQLite file in use, a target that is not empty).

import { existsSync } from 'node:fs';
import { Command } from 'commander';
import type { CopyReport, DatabaseHandle } from '@hush/server';
import { CliError, EXIT, print, run, usage } from '../output.ts';

function summary(r: CopyReport & { seconds: number }): string {
  return [
    ...r.tables.map((t) => `${t.table.padEnd(16)} ${String(t.source).padStart(9)} → ${t.target}`),
    `stream position ${r.streamPosition}; ${r.sampled} sampled events compared; ${r.seconds} s`,
    r.mismatches.length === 0 ? 'verified: the copy matches the source' : `MISMATCHES:\n${r.mismatches.join('\n')}`,
  ].join('\n');
}

export function migrateCommand(): Command {
  return new Command('migrate')
    .description('copy a whole homeserver from SQLite into an empty PostgreSQL database, then verify it')
    .requiredOption('--from <source>', 'the SQLite database: sqlite:FILE (or a plain path)')
    .requiredOption('--to <url>', 'an empty PostgreSQL database: postgres://user@host/db')
    .option('--json', 'print one JSON document for scripts')
    .addHelpText(
      'after',
      `
Stop hush serve first (a SQLite file in use is refused). The source is first brought to this
version's schema, as hush serve would; the target must be empty (it may have been opened by hush
serve, but hold no users, rooms or events). Everything is copied in one transaction: on any error
the target is left as it was.

Example:
  hush migrate --from sqlite:data/hush.sqlite --to postgres://hush@localhost/hush
  hush serve --database postgres://hush@localhost/hush`,
    )
    .action((opts: { from: string; to: string; json?: boolean }) =>
      run(async () => {
        // Loaded here, not at the top: the client commands and --help need none of the server.
        const { copyHomeserver, CopyRefused, DatabaseBusy, isPostgresUrl, openDatabase } = await import('@hush/server');
        const from = opts.from.startsWith('sqlite:') ? opts.from.slice('sqlite:'.length) : opts.from;
        if (from.length === 0 || from === ':memory:' || isPostgresUrl(from)) throw usage('--from must name a SQLite file (sqlite:FILE)');
        if (!existsSync(from)) throw usage(`--from: no such file ${from}`);
        if (!isPostgresUrl(opts.to)) throw usage('--to must be a postgres:// URL');
        const t0 = performance.now();
        let source: DatabaseHandle | undefined;
        let target: DatabaseHandle | undefined;
        try {
          source = await openDatabase(from, { singleProcess: true });
          target = await openDatabase(opts.to, { poolSize: 2 });
          const report = await copyHomeserver(source.db, target.db, (table, rows) => {
            if (!opts.json) process.stderr.write(`copied ${table}: ${rows} rows\n`);
          });
          const seconds = Math.round(performance.now() - t0) / 1000;
          print(opts, { ...report, seconds }, summary);
          if (report.mismatches.length > 0) throw new CliError('the copy does not match the source', EXIT.MATRIX);
        } catch (err) {
          if (err instanceof CopyRefused || err instanceof DatabaseBusy) throw new CliError(err.message, EXIT.USAGE);
          throw err;
        } finally {
          await Promise.all([source?.close(), target?.close()]);
        }
      }),
    );
}
