// `hush ignore add|remove|list`: the user's m.ignored_user_list (the spec's "Ignoring Users").

import { Command } from 'commander';
import { syncedClient, withCommon, type CommonOptions } from '../context.ts';
import { print, run, usage } from '../output.ts';
import { checkUserIds } from '../validate.ts';

const sorted = (xs: readonly string[]): string[] => [...xs].sort();

export function ignoreCommand(): Command {
  const cmd = new Command('ignore')
    .description('ignore users: their messages, invites, reactions, typing and receipts are hidden everywhere')
    .addHelpText('after', '\nExamples:\n  hush ignore add @spammer:example.org\n  hush ignore list --json\n  hush ignore remove @spammer:example.org');
  cmd.addCommand(
    withCommon(new Command('add'), ['hush ignore add @spammer:example.org @troll:example.org', 'hush ignore add @spammer:example.org --json'])
      .description('ignore one or more users (one read-modify-write of the list, so what other devices added is kept)')
      .argument('<user...>', 'user IDs, e.g. @spammer:example.org')
      .action((users: string[], opts: CommonOptions) =>
        run(async () => {
          checkUserIds(users);
          const client = await syncedClient(opts);
          if (users.includes(client.userId)) throw usage('you cannot ignore yourself');
          const before = new Set(client.ignoredUsers());
          const added = [...new Set(users)].filter((u) => !before.has(u));
          if (added.length > 0) await client.ignoreUsers(added);
          print(opts, { added, ignored_users: sorted(client.ignoredUsers()) }, (d) =>
            d.added.length === 0 ? { note: 'already ignored; nothing changed' } : `now ignoring ${d.added.join(', ')} (${d.ignored_users.length} ignored in all)`,
          );
        }),
      ),
  );
  cmd.addCommand(
    withCommon(new Command('remove'), ['hush ignore remove @friend:example.org'])
      .description('stop ignoring users (clients show their messages again)')
      .argument('<user...>', 'user IDs')
      .action((users: string[], opts: CommonOptions) =>
        run(async () => {
          checkUserIds(users);
          const client = await syncedClient(opts);
          const before = new Set(client.ignoredUsers());
          const removed = [...new Set(users)].filter((u) => before.has(u));
          if (removed.length > 0) await client.unignoreUsers(removed);
          print(opts, { removed, ignored_users: sorted(client.ignoredUsers()) }, (d) =>
            d.removed.length === 0 ? { note: 'none of them was ignored; nothing changed' } : `no longer ignoring ${d.removed.join(', ')}`,
          );
        }),
      ),
  );
  cmd.addCommand(
    withCommon(new Command('list'), ['hush ignore list', 'hush ignore list --json | jq -r \'.ignored_users[]\''])
      .description('list the users you ignore, one per line')
      .action((opts: CommonOptions) =>
        run(async () => {
          const client = await syncedClient(opts);
          print(opts, { ignored_users: sorted(client.ignoredUsers()) }, (d) => (d.ignored_users.length === 0 ? { note: 'you ignore nobody' } : d.ignored_users.join('\n')));
        }),
      ),
  );
  return cmd;
}
