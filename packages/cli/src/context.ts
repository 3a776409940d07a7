// The connection every client command uses: --homeserver/--token flags, else HUSH_HOMESERVER /
// HUSH_TOKEN, else the session stored by `hush login`; and the options every command shares.

import { Option, type Command } from 'commander';
import { HushClient, HttpClient, whoami, type Session } from '@hush/client';
import { CliError, EXIT } from './output.ts';
import { readSession } from './session-store.ts';

export interface CommonOptions {
  homeserver?: string;
  token?: string;
  json?: boolean;
}

/** Adds --homeserver, --token and --json to a command. */
export function withCommon(cmd: Command): Command {
  return cmd
    .addOption(new Option('--homeserver <url>', 'homeserver base URL (or $HUSH_HOMESERVER; default: the stored session)'))
    .addOption(new Option('--token <token>', 'access token (or $HUSH_TOKEN; default: the stored session)'))
    .option('--json', 'print one JSON document for scripts');
}

/** The session to use; a token without a stored session is resolved with whoami. */
export async function resolveSession(opts: CommonOptions): Promise<Session> {
  const stored = readSession();
  const homeserver = opts.homeserver ?? process.env['HUSH_HOMESERVER'] ?? stored?.homeserver;
  const token = opts.token ?? process.env['HUSH_TOKEN'] ?? (homeserver === stored?.homeserver ? stored?.accessToken : undefined);
  if (!homeserver || !token) throw new CliError('not logged in: run hush login, or pass --homeserver and --token', EXIT.AUTH);
  if (!/^https?:\/\//.test(homeserver)) throw new CliError(`--homeserver must be an http(s) URL, not ${JSON.stringify(homeserver)}`, EXIT.USAGE);
  if (stored && stored.homeserver === homeserver && stored.accessToken === token) return stored;
  const me = await whoami(new HttpClient({ baseUrl: homeserver, accessToken: token }));
  return { homeserver, accessToken: token, userId: me.user_id, deviceId: me.device_id ?? '' };
}

/** A client with the store filled by one sync (account data, invites, rooms; short timelines). */
export async function syncedClient(opts: CommonOptions): Promise<HushClient> {
  const client = new HushClient(await resolveSession(opts), { timelineLimit: 1 });
  await client.syncOnce();
  return client;
}
