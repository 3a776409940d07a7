// `hush migrate --from sqlite:FILE --to postgres://…`: copies a whole homeserver into an empty
// PostgreSQL database and verifies it (row counts per table, a sample of events compared field by
// field). Stop the server first: SQLite is single-process.

import { Command } from 'commander';
import { copyHomeserver, isPostgresUrl, openDatabase } from '@hush/server';
import { CliError, EXIT, print, run, usage } from '../output.ts';

export function migrateCommand(): Command {
  return new Command('migrate')
    .description('copy a whole homeserver from SQLite into an empty PostgreSQL database, then verify it')
    .requiredOption('--from <source>', 'the SQLite database: sqlite:FILE (or a plain path)')
    .requiredOption('--to <url>', 'an empty PostgreSQL database: postgres://user@host/db')
    .option('--json', 'print one JSON document for scripts')
    .addHelpText('after', '\nStop hush serve first. Example:\n  hush migrate --from sqlite:data/hush.sqlite --to postgres://hush@localhost/hush\n  hush serve --database postgres://hush@localhost/hush')
    .action((opts: { from: string; to: string; json?: boolean }) =>
      run(async () => {
        const from = opts.from.startsWith('sqlite:') ? opts.from.slice('sqlite:'.length) : opts.from;
        if (from.length === 0 || isPostgresUrl(from)) throw usage('--from must name a SQLite file (sqlite:FILE)');
        if (!isPostgresUrl(opts.to)) throw usage('--to must be a postgres:// URL');
        const t0 = performance.now();
        const source = await openDatabase(from);
        const target = await openDatabase(opts.to, { poolSize: 2 });
        try {
          const report = await copyHomeserver(source.db, target.db, (table, rows) => {
            if (!opts.json) process.stderr.write(`copied ${table}: ${rows} rows\n`);
          });
          const seconds = Math.round(performance.now() - t0) / 1000;
          print(opts, { ...report, seconds }, (r) =>
            [
              ...r.tables.map((t) => `${t.table.padEnd(16)} ${String(t.source).padStart(9)} → ${t.target}`),
              `stream position ${r.streamPosition}; ${r.sampled} sampled events compared; ${seconds} s`,
              r.mismatches.length === 0 ? 'verified: the copy matches' : `MISMATCHES:\n${r.mismatches.join('\n')}`,
            ].join('\n'),
          );
          if (report.mismatches.length > 0) throw new CliError('the copy does not match the source', EXIT.MATRIX);
        } catch (err) {
          if (err instanceof Error && /already has/.test(err.message)) throw new CliError(err.message, EXIT.USAGE);
          throw err;
        } finally {
          await Promise.all([source.close(), target.close()]);
        }
      }),
    );
}
