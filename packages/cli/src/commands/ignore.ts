// `hush ignore add|remove|list`: the user's m.ignored_user_list ("Ignoring Users").

import { Command } from 'commander';
import { isUserId } from '@hush/spec';
import { syncedClient, withCommon, type CommonOptions } from '../context.ts';
import { print, run, usage } from '../output.ts';

export function checkUserIds(ids: readonly string[]): void {
  const bad = ids.filter((id) => !isUserId(id));
  if (bad.length > 0) throw usage(`not a Matrix user ID: ${bad.map((b) => JSON.stringify(b)).join(', ')} (expected @name:server)`);
}

export function ignoreCommand(): Command {
  const cmd = new Command('ignore').description('ignore users: hide their messages, invites, typing and receipts everywhere');
  cmd.addCommand(
    withCommon(new Command('add'))
      .description('ignore one or more users')
      .argument('<user...>', 'user IDs, e.g. @spammer:example.org')
      .addHelpText('after', '\nExample:\n  hush ignore add @spammer:example.org @troll:example.org')
      .action((users: string[], opts: CommonOptions) =>
        run(async () => {
          checkUserIds(users);
          const client = await syncedClient(opts);
          if (users.includes(client.userId)) throw usage('you cannot ignore yourself');
          await client.setIgnoredUsers([...new Set([...client.ignoredUsers(), ...users])]);
          print(opts, { ignored_users: client.ignoredUsers() }, () => `ignoring ${users.join(', ')} (${client.ignoredUsers().length} ignored in all)`);
        }),
      ),
  );
  cmd.addCommand(
    withCommon(new Command('remove'))
      .description('stop ignoring users (clients refill what was hidden)')
      .argument('<user...>', 'user IDs')
      .action((users: string[], opts: CommonOptions) =>
        run(async () => {
          checkUserIds(users);
          const client = await syncedClient(opts);
          const gone = new Set(users);
          await client.setIgnoredUsers(client.ignoredUsers().filter((u) => !gone.has(u)));
          print(opts, { ignored_users: client.ignoredUsers() }, () => `no longer ignoring ${users.join(', ')}`);
        }),
      ),
  );
  cmd.addCommand(
    withCommon(new Command('list'))
      .description('list the users you ignore')
      .action((opts: CommonOptions) =>
        run(async () => {
          const client = await syncedClient(opts);
          const users = client.ignoredUsers().sort();
          print(opts, { ignored_users: users }, (d) => (d.ignored_users.length === 0 ? 'you ignore nobody' : d.ignored_users.join('\n')));
        }),
      ),
  );
  return cmd;
}
