// `hush lists export|import`: move a block list (ignored users, invite lists, invite permission,
// MSC4155 globs, policy rooms) between accounts as JSON.

import { readFileSync, writeFileSync } from 'node:fs';
import { Command } from 'commander';
import type { ExportedLists } from '@hush/client';
import { syncedClient, withCommon, type CommonOptions } from '../context.ts';
import { print, progressBar, run, usage } from '../output.ts';

async function readInput(file: string): Promise<string> {
  if (file !== '-') return readFileSync(file, 'utf8');
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}

export function listsCommand(): Command {
  const cmd = new Command('lists').description('export and import your block lists as JSON');
  cmd.addCommand(
    withCommon(new Command('export'))
      .description('write your lists as JSON to FILE (- for standard output)')
      .argument('<file>', 'output file, or -')
      .action((file: string, opts: CommonOptions) =>
        run(async () => {
          const client = await syncedClient(opts);
          const data = client.inviteRules.exportLists();
          const text = `${JSON.stringify(data, null, 2)}\n`;
          if (file === '-') process.stdout.write(text);
          else {
            writeFileSync(file, text);
            print(opts, { file, ignored_users: data.ignored_users.length }, (d) => `wrote ${d.file} (${d.ignored_users} ignored users)`);
          }
        }),
      ),
  );
  cmd.addCommand(
    withCommon(new Command('import'))
      .description('merge lists from FILE (- for standard input) into yours')
      .argument('<file>', 'a file written by hush lists export, or -')
      .action((file: string, opts: CommonOptions) =>
        run(async () => {
          let data: ExportedLists;
          try {
            data = JSON.parse(await readInput(file)) as ExportedLists;
          } catch (err) {
            throw usage(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
          }
          if (data?.version !== 1 || !Array.isArray(data.ignored_users)) throw usage(`${file} is not a hush lists export (version 1)`);
          const client = await syncedClient(opts);
          await client.inviteRules.importLists(data, progressBar('importing'));
          print(opts, { ignored_users: client.ignoredUsers().length, invite_lists: client.inviteRules.lists() }, (d) => `imported: you now ignore ${d.ignored_users} users`);
        }),
      ),
  );
  return cmd;
}
