// `hush lists export|import`: move a block list (ignored users, invite lists, invite permission,
// MSC4155 globs, policy rooms) between accounts as one JSON document.

import { readFileSync, writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { syncedClient, withCommon, type CommonOptions } from '../context.ts';
import { print, run, usage } from '../output.ts';
import { progressBar } from '../progress.ts';
import { parseExport } from '../validate.ts';

async function readInput(file: string): Promise<string> {
  if (file !== '-') {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw usage(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}

export function listsCommand(): Command {
  const cmd = new Command('lists')
    .description('export your block lists as JSON, and import them into another account')
    .addHelpText('after', '\nExamples:\n  hush lists export lists.json\n  hush lists import lists.json --homeserver https://other.example --token "$TOKEN"');
  cmd.addCommand(
    withCommon(new Command('export'), ['hush lists export lists.json', 'hush lists export - | jq .ignored_users'])
      .description('write your lists as JSON to FILE (mode 0600), or to standard output with -')
      .argument('<file>', 'output file, or - for standard output')
      .action((file: string, opts: CommonOptions) =>
        run(async () => {
          const client = await syncedClient(opts);
          const data = client.inviteRules.exportLists();
          const text = `${JSON.stringify(data, null, 2)}\n`;
          if (file === '-') {
            process.stdout.write(text);
            return;
          }
          writeFileSync(file, text, { mode: 0o600 });
          print(opts, { file, ignored_users: data.ignored_users.length, ignored_invites: data.ignored_invites, policy_rooms: data.policy_rooms.length }, (d) => `wrote ${d.file} (${d.ignored_users} ignored users)`);
        }),
      ),
  );
  cmd.addCommand(
    withCommon(new Command('import'), [
      'hush lists import lists.json',
      'hush lists export - --token "$OLD" | hush lists import - --token "$NEW"',
    ])
      .description('merge lists from FILE (- for standard input) into yours: nothing you have is removed; every entry is checked before anything is sent')
      .argument('<file>', 'a file written by hush lists export, or -')
      .action((file: string, opts: CommonOptions) =>
        run(async () => {
          const data = parseExport(await readInput(file), file === '-' ? 'standard input' : file);
          const client = await syncedClient(opts);
          const before = new Set(client.ignoredUsers());
          await client.inviteRules.importLists(data, progressBar('importing'));
          const after = client.ignoredUsers();
          print(opts, { ignored_users: after.length, added_ignored_users: after.filter((u) => !before.has(u)).length, invite_lists: client.inviteRules.lists() }, (d) =>
            `imported: ${d.added_ignored_users} newly ignored users, ${d.ignored_users} in all`,
          );
        }),
      ),
  );
  return cmd;
}
