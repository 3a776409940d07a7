// `hush lists export|import`: move a block list (ignored users, invite lists, invite permission,
// MSC4155 globs, policy rooms) between accounts as one JSON document.

import { readFileSync, writeFileSync } from 'node:fs';
import { Command } from 'commander';
import type { ImportReport } from '@hush/client';
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

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** What `hush lists import` did, one line per kind of change, then what it left out. */
export function importSummary(me: string, r: ImportReport, ignoredInAll: number): string {
  const a = r.added;
  const lines: string[] = [];
  if (a.ignored_users.length > 0) lines.push(`ignored users: ${a.ignored_users.length} added (${ignoredInAll} in all)`);
  const inv: [string, string[]][] = [
    ['ignored invites from users', a.ignored_invites.user],
    ['ignored invites from servers', a.ignored_invites.server],
    ['ignored invites to rooms', a.ignored_invites.room],
  ];
  for (const [what, ids] of inv) if (ids.length > 0) lines.push(`${what}: ${ids.length} added`);
  if (r.reasons > 0) lines.push(`reasons kept: ${r.reasons}`);
  if (r.invite_permission.after !== r.invite_permission.before) lines.push(`invite permission: ${r.invite_permission.before} → ${r.invite_permission.after}`);
  const globs = Object.entries(a.msc4155).map(([f, xs]) => `${f} ${xs?.length ?? 0}`);
  if (globs.length > 0) lines.push(`MSC4155 globs added: ${globs.join(', ')}`);
  if (a.policy_rooms.length > 0) lines.push(`policy rooms: ${a.policy_rooms.length} added${r.joined.length > 0 ? ` (joined ${r.joined.join(', ')})` : ''}`);
  const head = lines.length === 0 ? `imported into ${me}: nothing new` : `imported into ${me}:`;
  const tail: string[] = [];
  if (r.unchanged > 0) tail.push(`${plural(r.unchanged, 'entry', 'entries')} you had already`);
  const shown = r.dropped.slice(0, 5).map((d) => `${d.entry} (${d.field}: ${d.why})`);
  if (r.dropped.length > 0) tail.push(`left out ${plural(r.dropped.length, 'entry', 'entries')}: ${shown.join(', ')}${r.dropped.length > 5 ? `, and ${r.dropped.length - 5} more` : ''}`);
  return [head, ...lines.map((l) => `  ${l}`), ...tail.map((l) => `  ${l}`)].join('\n');
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
      .description(
        'merge lists from FILE (- for standard input) into yours: nothing you have is removed; every entry (and each new policy room, asked of the homeserver) is checked before anything is written, and if a write fails, what the import had changed is put back',
      )
      .argument('<file>', 'a file written by hush lists export, or -')
      .action((file: string, opts: CommonOptions) =>
        run(async () => {
          const data = parseExport(await readInput(file), file === '-' ? 'standard input' : file);
          const client = await syncedClient(opts);
          const before = new Set(client.ignoredUsers());
          const report = await client.inviteRules.importLists(data, progressBar('importing'));
          const after = client.ignoredUsers();
          print(
            opts,
            { ignored_users: after.length, added_ignored_users: after.filter((u) => !before.has(u)).length, changes: report, invite_lists: client.inviteRules.lists() },
            (d) => importSummary(client.userId, d.changes, d.ignored_users),
          );
        }),
      ),
  );
  return cmd;
}
