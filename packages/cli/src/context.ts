// The connection every client command uses — --homeserver/--token flags, else HUSH_HOMESERVER /
// HUSH_TOKEN, else the session stored by `hush login` — how its requests are made (node:http, a time
// limit from --timeout / $HUSH_TIMEOUT), and the options and help they all share.

import { Option, type Command } from 'commander';
import { DEFAULT_TIMEOUT_MS, HushClient, HttpClient, whoami, type ConnectOptions, type Session } from '@hush/client';
import { nodeFetch } from './node-fetch.ts';
import { CliError, EXIT } from './output.ts';
import { readSession } from './session-store.ts';
import { parseHomeserver, parseTimeout } from './validate.ts';

export interface CommonOptions {
  homeserver?: string;
  token?: string;
  timeout?: string;
  json?: boolean;
}

export const timeoutOption = (): Option =>
  new Option('--timeout <seconds>', `give up on a request the homeserver has not answered after this long (default: $HUSH_TIMEOUT, else ${DEFAULT_TIMEOUT_MS / 1000}; 0: no limit)`);

/** Adds --homeserver, --token, --timeout and --json to a command, and its examples to its help. */
export function withCommon(cmd: Command, examples: readonly string[]): Command {
  return addExamples(
    cmd
      .addOption(new Option('--homeserver <url>', 'homeserver base URL (default: $HUSH_HOMESERVER, else the stored session)'))
      .addOption(new Option('--token <token>', 'access token (default: $HUSH_TOKEN, else the stored session)'))
      .addOption(timeoutOption())
      .option('--json', 'print one JSON document on stdout, for scripts'),
    examples,
  );
}

/** How every request of a command is made: node:http(s), and the time limit of --timeout, else
 *  $HUSH_TIMEOUT, else the library's 30 s. Checked before any request (a bad value is exit 2). */
export function connectOptions(opts: { timeout?: string }, env: NodeJS.ProcessEnv = process.env): Required<Pick<ConnectOptions, 'fetch'>> & ConnectOptions {
  const timeoutMs = opts.timeout !== undefined ? parseTimeout(opts.timeout) : parseTimeout(env['HUSH_TIMEOUT'], '$HUSH_TIMEOUT');
  return { fetch: nodeFetch, ...(timeoutMs !== undefined ? { timeoutMs } : {}) };
}

export function addExamples(cmd: Command, examples: readonly string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${examples.map((e) => `  ${e}`).join('\n')}\n\nExit codes: see hush --help.`);
}

export interface Picked {
  homeserver: string;
  token: string;
  /** The stored session when it is the one picked (its user and device are known already). */
  stored: Session | undefined;
}

/** Picks homeserver and token: flags, then the environment, then the stored session (read only when
 *  needed). A stored token is used only for the stored session's own homeserver. */
export function pickConnection(flags: CommonOptions, env: NodeJS.ProcessEnv, readStored: () => Session | undefined): Picked {
  const given = flags.homeserver ?? env['HUSH_HOMESERVER'];
  const explicitToken = flags.token ?? env['HUSH_TOKEN'];
  const stored = given !== undefined && explicitToken !== undefined ? undefined : readStored();
  const raw = given ?? stored?.homeserver;
  if (raw === undefined) throw new CliError('not logged in: run hush login, or pass --homeserver and --token', EXIT.AUTH);
  const homeserver = parseHomeserver(raw);
  const sameServer = stored !== undefined && parseHomeserver(stored.homeserver) === homeserver;
  const token = explicitToken ?? (sameServer ? stored.accessToken : undefined);
  if (token === undefined || token.length === 0) throw new CliError(`not logged in to ${homeserver}: run hush login, or pass --token`, EXIT.AUTH);
  return { homeserver, token, stored: sameServer && stored.accessToken === token ? stored : undefined };
}

/** The session to use; a token that is not the stored session's is resolved with whoami. */
export async function resolveSession(opts: CommonOptions): Promise<Session> {
  const conn = connectOptions(opts);
  const { homeserver, token, stored } = pickConnection(opts, process.env, readSession);
  return stored ?? sessionForToken(homeserver, token, conn);
}

/** The session an access token stands for, asked of the homeserver (whose answer is checked: a
 *  user_id that is not a user ID never becomes a session). */
export async function sessionForToken(homeserver: string, accessToken: string, conn: ConnectOptions): Promise<Session> {
  const me = await whoami(new HttpClient({ baseUrl: homeserver, accessToken, ...conn }));
  return { homeserver, accessToken, userId: me.user_id, deviceId: me.device_id ?? '' };
}

/** A client with the store filled by one sync (account data, invites, rooms; short timelines). */
export async function syncedClient(opts: CommonOptions): Promise<HushClient> {
  const conn = connectOptions(opts);
  const client = new HushClient(await resolveSession(opts), { timelineLimit: 1, ...conn });
  await client.syncOnce();
  return client;
}
