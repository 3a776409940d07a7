// The `hush` command line: `hush serve` runs the homeserver; client commands come later.

import { Command, CommanderError } from 'commander';
import { serveCommand } from './commands/serve.ts';

export async function main(argv: string[]): Promise<void> {
  const program = new Command('hush')
    .description('Hush: a Matrix homeserver and client tools with the most complete ignoring')
    .showHelpAfterError()
    .exitOverride();
  program.addCommand(serveCommand());
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    throw err;
  }
}
