// `hush login` (password, or an existing token), `hush logout` and `hush whoami`.

import { Command, Option } from 'commander';
import { ErrCode } from '@hush/protocol';
import { HttpClient, login, MatrixError, whoami, type ConnectOptions, type Session } from '@hush/client';
import { addExamples, connectOptions, pickConnection, sessionForToken, timeoutOption, withCommon, type CommonOptions } from '../context.ts';
import { logout } from '@hush/client';
import { CliError, EXIT, print, run, usage } from '../output.ts';
import { readPassword } from '../prompt.ts';
import { readSession, removeSession, sessionPath, writeSession } from '../session-store.ts';
import { checkLoginUser, parseHomeserver } from '../validate.ts';

interface LoginOptions {
  homeserver?: string;
  user?: string;
  token?: string;
  passwordStdin?: boolean;
  deviceName: string;
  timeout?: string;
  json?: boolean;
}

async function passwordLogin(homeserver: string, user: string, opts: LoginOptions, conn: ConnectOptions): Promise<Session> {
  const password = await readPassword(opts.passwordStdin === true);
  if (password.length === 0) throw usage('empty password');
  try {
    return await login({ homeserver, user, password, deviceName: opts.deviceName, ...conn });
  } catch (err) {
    if (err instanceof MatrixError && err.errcode === ErrCode.FORBIDDEN) throw new CliError('wrong user name or password', EXIT.LOGIN, err.errcode);
    throw err;
  }
}

export function loginCommand(): Command {
  const cmd = new Command('login')
    .description('log in and store the session (mode 0600) for the other commands')
    .addOption(new Option('--homeserver <url>', 'homeserver base URL (default: $HUSH_HOMESERVER)'))
    .option('--user <name>', 'user name: a localpart (alice) or a full ID (@alice:example.org)')
    .option('--password-stdin', 'read the password from standard input (for scripts); without it a terminal prompt asks, without echo')
    .addOption(new Option('--token <token>', 'store an access token you already have instead (default: $HUSH_TOKEN); no password'))
    .option('--device-name <name>', 'display name of the new device', 'hush cli')
    .addOption(timeoutOption())
    .option('--json', 'print one JSON document on stdout, for scripts');
  return addExamples(cmd, [
    'hush login --homeserver https://matrix.example.org --user alice',
    'printf %s "$PASSWORD" | hush login --homeserver https://matrix.example.org --user @alice:example.org --password-stdin',
    'hush login --homeserver https://matrix.example.org --token "$ACCESS_TOKEN"',
  ]).action((opts: LoginOptions) =>
    run(async () => {
      const raw = opts.homeserver ?? process.env['HUSH_HOMESERVER'];
      if (raw === undefined) throw usage('name the homeserver: --homeserver URL (or $HUSH_HOMESERVER)');
      const homeserver = parseHomeserver(raw);
      const conn = connectOptions(opts);
      const token = opts.token ?? (opts.user === undefined ? process.env['HUSH_TOKEN'] : undefined);
      let session: Session;
      if (token !== undefined) {
        if (opts.user !== undefined || opts.passwordStdin) throw usage('--token logs in without a user name or password: drop --user / --password-stdin');
        session = await sessionForToken(homeserver, token, conn);
      } else {
        if (opts.user === undefined) throw usage('name the user: --user NAME (or pass --token)');
        checkLoginUser(opts.user);
        session = await passwordLogin(homeserver, opts.user, opts, conn);
      }
      writeSession(session);
      print(
        opts,
        { user_id: session.userId, device_id: session.deviceId, homeserver: session.homeserver, session_file: sessionPath() },
        (d) => `logged in as ${d.user_id} (device ${d.device_id}); session saved in ${d.session_file}`,
      );
    }),
  );
}

export function logoutCommand(): Command {
  return withCommon(new Command('logout'), ['hush logout', 'hush logout --homeserver https://matrix.example.org --token "$OLD_TOKEN"'])
    .description('end the session on the homeserver and forget it here (the stored session, or the --token given)')
    .action((opts: CommonOptions) =>
      run(async () => {
        const conn = connectOptions(opts);
        const picked = pickConnection(opts, process.env, readSession);
        let already = false;
        try {
          await logout({ homeserver: picked.homeserver, accessToken: picked.token }, conn);
        } catch (err) {
          // A token the server no longer knows is logged out already; only the local copy is left.
          if (!(err instanceof MatrixError && err.errcode === ErrCode.UNKNOWN_TOKEN && picked.stored)) throw err;
          already = true;
        }
        if (picked.stored) removeSession();
        print(
          opts,
          { logged_out: true, user_id: picked.stored?.userId ?? null, session_removed: picked.stored !== undefined, already_ended: already },
          (d) =>
            d.already_ended
              ? 'the homeserver had already ended this session; removed it here'
              : d.session_removed
                ? `logged out ${d.user_id ?? ''}; session removed`
                : 'logged out the token given (a stored session, if any, is untouched)',
        );
      }),
    );
}

export function whoamiCommand(): Command {
  return withCommon(new Command('whoami'), ['hush whoami', 'hush whoami --json', 'HUSH_TOKEN=… hush whoami --homeserver https://matrix.example.org'])
    .description('show who the session or token belongs to (asks the homeserver, so it also checks the token)')
    .action((opts: CommonOptions) =>
      run(async () => {
        const conn = connectOptions(opts);
        const { homeserver, token } = pickConnection(opts, process.env, readSession);
        const me = await whoami(new HttpClient({ baseUrl: homeserver, accessToken: token, ...conn }));
        print(opts, { user_id: me.user_id, device_id: me.device_id ?? null, homeserver }, (d) => `${d.user_id} on ${d.homeserver}${d.device_id ? ` (device ${d.device_id})` : ''}`);
      }),
    );
}
