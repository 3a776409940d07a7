// The `hush` command line: `hush serve` runs the homeserver; the client commands work against any
// homeserver through @hush/client.

import { Command, CommanderError } from 'commander';
import { serveCommand } from './commands/serve.ts';
import { loginCommand, logoutCommand, whoamiCommand } from './commands/login.ts';
import { ignoreCommand } from './commands/ignore.ts';
import { invitesCommand } from './commands/invites.ts';
import { listsCommand } from './commands/lists.ts';
import { migrateCommand } from './commands/migrate.ts';
import { reportsCommand } from './commands/reports.ts';
import { EXIT, EXIT_HELP } from './output.ts';

export async function main(argv: string[]): Promise<void> {
  const program = new Command('hush')
    .description('Hush: a Matrix homeserver and client tools with the most complete ignoring')
    .showHelpAfterError()
    .exitOverride()
    .addHelpText(
      'after',
      `\nClient commands take --homeserver URL and --token TOKEN (or $HUSH_HOMESERVER / $HUSH_TOKEN), else the\nsession stored by hush login; --json prints one JSON document.\n\n${EXIT_HELP}`,
    );
  program.addCommand(serveCommand());
  program.addCommand(migrateCommand());
  program.addCommand(reportsCommand());
  for (const c of [loginCommand(), logoutCommand(), whoamiCommand(), ignoreCommand(), invitesCommand(), listsCommand()]) program.addCommand(c);
  strictEverywhere(program);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    // Help and version end well; every other parse failure is a usage error (exit 2).
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : EXIT.USAGE);
    throw err;
  }
}

/** Sub-commands added with addCommand do not inherit these settings: give them to every one. */
function strictEverywhere(cmd: Command): void {
  for (const sub of cmd.commands) {
    sub.exitOverride().showHelpAfterError();
    strictEverywhere(sub);
  }
}
