// `hush invites …`: ignore invites by user, server or room (MSC3840, MSC2270), block every invite
// (Invite permission), list pending invites, and review what the server hides and why.

import { Argument, Command, Option } from 'commander';
import { ErrCode, type HiddenInvite } from '@hush/protocol';
import { MatrixError, showAgainLift, type InviteLists } from '@hush/client';
import { syncedClient, withCommon, type CommonOptions } from '../context.ts';
import { CliError, EXIT, print, run } from '../output.ts';
import { parseTargets, type TargetOptions } from '../validate.ts';

interface ChangeOptions extends CommonOptions, TargetOptions {
  reason?: string;
}

function targetCommand(name: string, examples: string[]): Command {
  return withCommon(new Command(name), examples)
    .addOption(new Option('--user <id...>', 'inviters, e.g. @spammer:example.org'))
    .addOption(new Option('--server <name...>', 'every inviter on these servers, e.g. spam.example'))
    .addOption(new Option('--room <id...>', 'invites to these rooms, e.g. !abc:example.org'));
}

/** The invite lists as --json prints them. */
const listsJson = (l: InviteLists) => ({
  ignored_invites: { users: l.users, servers: l.servers, rooms: l.rooms, reasons: l.reasons },
  invite_permission: l.inviteDefault,
});

/** The reason kept with the MSC3840 entry that hid an invite (its inviter, their server, or the
 *  room), when the rule is one of those lists. */
export function hiddenReason(inv: Pick<HiddenInvite, 'rule' | 'inviter' | 'room_id'>, reasons: Readonly<Record<string, string>>): string | undefined {
  switch (showAgainLift(inv.rule)) {
    case 'inviter':
      return reasons[inv.inviter];
    case 'server':
      return reasons[inv.inviter.slice(inv.inviter.indexOf(':') + 1)];
    case 'room':
      return reasons[inv.room_id];
    default:
      return undefined;
  }
}

const describeTargets = (list: [string, string[]][]): string => list.map(([k, ids]) => `${k} ${ids.join(', ')}`).join('; ');

/** The room name an invite's stripped state carries, if any. */
export function inviteRoomName(inv: Pick<HiddenInvite, 'invite_state'>): string | undefined {
  const ev = inv.invite_state?.events?.find((e) => e.type === 'm.room.name' && e.state_key === '');
  const name = ev?.content['name'];
  return typeof name === 'string' && name.length > 0 ? name : undefined;
}

export function invitesCommand(): Command {
  const cmd = new Command('invites')
    .description('decide which invites reach you, and see the ones that do not')
    .addHelpText('after', '\nExamples:\n  hush invites pending\n  hush invites ignore --server spam.example\n  hush invites hidden\n  hush invites block on');
  cmd.addCommand(
    targetCommand('ignore', ['hush invites ignore --server spam.example --user @bot:other.example', "hush invites ignore --room '!abc:example.org' --reason 'keeps re-inviting'"])
      .description('ignore invites from users or servers, or to rooms (MSC3840; rooms also MSC2270); their messages stay visible')
      .option('--reason <text>', 'a note kept with the entries')
      .action((opts: ChangeOptions) =>
        run(async () => {
          const list = parseTargets(opts);
          const client = await syncedClient(opts);
          for (const [kind, ids] of list) await client.inviteRules.ignoreManyInvitesFrom(kind, ids, opts.reason);
          print(opts, listsJson(client.inviteRules.lists()), () => `ignoring invites from ${describeTargets(list)}`);
        }),
      ),
  );
  cmd.addCommand(
    targetCommand('unignore', ['hush invites unignore --server spam.example', "hush invites unignore --room '!abc:example.org'"])
      .description('stop ignoring invites from users or servers, or to rooms (hidden invites come back on the next sync)')
      .action((opts: ChangeOptions) =>
        run(async () => {
          const list = parseTargets(opts);
          const client = await syncedClient(opts);
          for (const [kind, ids] of list) for (const id of ids) await client.inviteRules.unignoreInvitesFrom(kind, id);
          print(opts, listsJson(client.inviteRules.lists()), () => `no longer ignoring invites from ${describeTargets(list)}`);
        }),
      ),
  );
  cmd.addCommand(
    withCommon(new Command('block'), ['hush invites block on', 'hush invites block off'])
      .description('block every invite (on: inviters get M_INVITE_BLOCKED) or allow them again (off)')
      .addArgument(new Argument('<state>', 'on blocks, off allows').choices(['on', 'off']))
      .action((state: 'on' | 'off', opts: CommonOptions) =>
        run(async () => {
          const client = await syncedClient(opts);
          await client.inviteRules.setBlockAll(state === 'on');
          print(opts, { blocked: state === 'on', ...listsJson(client.inviteRules.lists()) }, (d) => (d.blocked ? 'all invites are blocked' : 'invites are allowed again'));
        }),
      ),
  );
  cmd.addCommand(
    withCommon(new Command('pending'), ['hush invites pending', 'hush invites pending --json'])
      .description('list the invites waiting for you (those none of your lists hides)')
      .action((opts: CommonOptions) =>
        run(async () => {
          const client = await syncedClient(opts);
          const invites = client.pendingInvites().map((i) => ({ room_id: i.roomId, inviter: i.inviter, name: i.name ?? null, ts: i.ts ?? null }));
          print(opts, { invites }, (d) =>
            d.invites.length === 0 ? { note: 'no pending invites' } : d.invites.map((i) => `${i.room_id}  from ${i.inviter}${i.name ? `  "${i.name}"` : ''}`).join('\n'),
          );
        }),
      ),
  );
  cmd.addCommand(
    withCommon(new Command('hidden'), ['hush invites hidden', 'hush invites hidden --json'])
      .description('list the invites the server hides from you, and the rule that hid each (a Hush extension: docs/api/hidden-invites.md)')
      .action((opts: CommonOptions) =>
        run(async () => {
          const client = await syncedClient(opts);
          let hidden: HiddenInvite[];
          try {
            hidden = await client.inviteRules.hiddenInvites();
          } catch (err) {
            if (!(err instanceof MatrixError && err.errcode === ErrCode.UNRECOGNIZED)) throw err;
            throw new CliError(`${client.http.baseUrl} does not offer the hidden-invites review (a Hush extension; ${err.errcode})`, EXIT.MATRIX);
          }
          const reasons = client.inviteRules.lists().reasons;
          const invites = hidden.map((i) => ({ room_id: i.room_id, inviter: i.inviter, rule: i.rule, reason: hiddenReason(i, reasons) ?? null, name: inviteRoomName(i) ?? null, ts: i.ts }));
          print(opts, { invites }, (d) =>
            d.invites.length === 0
              ? { note: 'the server hides no invites from you' }
              : d.invites
                  .map((i) => `${i.room_id}  from ${i.inviter}${i.name ? `  "${i.name}"` : ''}\n    hidden by ${i.rule}${i.reason !== null ? ` (reason: ${JSON.stringify(i.reason)})` : ''}`)
                  .join('\n'),
          );
        }),
      ),
  );
  return cmd;
}
