// `hush invites …`: ignore invites by user, server or room (MSC3840, MSC2270), block all invites
// (Invite permission), list pending invites, and review what the server hides and why.

import { Command, Option } from 'commander';
import { isRoomId, isServerName } from '@hush/spec';
import type { RuleKind } from '@hush/client';
import { syncedClient, withCommon, type CommonOptions } from '../context.ts';
import { print, run, usage } from '../output.ts';
import { checkUserIds } from './ignore.ts';

interface TargetOptions extends CommonOptions {
  user?: string[];
  server?: string[];
  room?: string[];
  reason?: string;
}

function targets(opts: TargetOptions): [RuleKind, string[]][] {
  const list: [RuleKind, string[]][] = [
    ['user', opts.user ?? []],
    ['server', opts.server ?? []],
    ['room', opts.room ?? []],
  ];
  if (list.every(([, ids]) => ids.length === 0)) throw usage('name at least one --user, --server or --room');
  checkUserIds(opts.user ?? []);
  const badServer = (opts.server ?? []).find((s) => !isServerName(s));
  if (badServer !== undefined) throw usage(`not a server name: ${JSON.stringify(badServer)}`);
  const badRoom = (opts.room ?? []).find((r) => !isRoomId(r));
  if (badRoom !== undefined) throw usage(`not a room ID: ${JSON.stringify(badRoom)} (expected !id:server)`);
  return list.filter(([, ids]) => ids.length > 0);
}

function targetOptions(cmd: Command): Command {
  return withCommon(cmd)
    .addOption(new Option('--user <id...>', 'inviters, e.g. @spammer:example.org'))
    .addOption(new Option('--server <name...>', 'servers, e.g. spam.example'))
    .addOption(new Option('--room <id...>', 'rooms, e.g. !abc:example.org'));
}

export function invitesCommand(): Command {
  const cmd = new Command('invites').description('decide which invites reach you');
  cmd.addCommand(
    targetOptions(new Command('ignore'))
      .description('ignore invites from users, servers or to rooms (their other messages stay visible)')
      .option('--reason <text>', 'a note kept with the entry')
      .addHelpText('after', '\nExample:\n  hush invites ignore --server spam.example --user @bot:other.example')
      .action((opts: TargetOptions) =>
        run(async () => {
          const list = targets(opts);
          const client = await syncedClient(opts);
          for (const [kind, ids] of list) await client.inviteRules.ignoreManyInvitesFrom(kind, ids, opts.reason);
          print(opts, client.inviteRules.lists(), () => `ignoring invites from ${list.map(([k, ids]) => `${k} ${ids.join(', ')}`).join('; ')}`);
        }),
      ),
  );
  cmd.addCommand(
    targetOptions(new Command('unignore'))
      .description('stop ignoring invites from users, servers or to rooms')
      .action((opts: TargetOptions) =>
        run(async () => {
          const list = targets(opts);
          const client = await syncedClient(opts);
          for (const [kind, ids] of list) for (const id of ids) await client.inviteRules.unignoreInvitesFrom(kind, id);
          print(opts, client.inviteRules.lists(), () => `no longer ignoring invites from ${list.map(([k, ids]) => `${k} ${ids.join(', ')}`).join('; ')}`);
        }),
      ),
  );
  cmd.addCommand(
    withCommon(new Command('block'))
      .description('block every invite (on) or allow them again (off): inviters get M_INVITE_BLOCKED')
      .argument('<on|off>', 'on or off')
      .action((state: string, opts: CommonOptions) =>
        run(async () => {
          if (state !== 'on' && state !== 'off') throw usage(`expected on or off, not ${JSON.stringify(state)}`);
          const client = await syncedClient(opts);
          await client.inviteRules.setBlockAll(state === 'on');
          print(opts, { blocked: state === 'on' }, (d) => (d.blocked ? 'all invites are blocked' : 'invites are allowed again'));
        }),
      ),
  );
  cmd.addCommand(
    withCommon(new Command('pending'))
      .description('list the invites waiting for you (those your lists do not hide)')
      .action((opts: CommonOptions) =>
        run(async () => {
          const client = await syncedClient(opts);
          const invites = client.pendingInvites().map((i) => ({ room_id: i.roomId, inviter: i.inviter, name: i.name ?? null }));
          print(opts, { invites }, (d) => (d.invites.length === 0 ? 'no pending invites' : d.invites.map((i) => `${i.room_id}  from ${i.inviter}${i.name ? `  "${i.name}"` : ''}`).join('\n')));
        }),
      ),
  );
  cmd.addCommand(
    withCommon(new Command('hidden'))
      .description('list the invites the server hides from you, and the rule that hid each (Hush servers)')
      .action((opts: CommonOptions) =>
        run(async () => {
          const client = await syncedClient(opts);
          const invites = await client.inviteRules.hiddenInvites();
          print(opts, { invites }, (d) => (d.invites.length === 0 ? 'the server hides no invites from you' : d.invites.map((i) => `${i.room_id}  from ${i.inviter}  hidden by ${i.rule}`).join('\n')));
        }),
      ),
  );
  return cmd;
}
