// `hush login`, `hush logout`, `hush whoami`.

import { Command } from 'commander';
import { api, ErrCode } from '@hush/spec';
import { HttpClient, login, MatrixError, whoami } from '@hush/client';
import { resolveSession, withCommon, type CommonOptions } from '../context.ts';
import { CliError, EXIT, print, run, usage } from '../output.ts';
import { removeSession, sessionPath, writeSession } from '../session-store.ts';
import { readPassword } from '../prompt.ts';

export function loginCommand(): Command {
  return new Command('login')
    .description('log in with a password and store the session (0600) for the other commands')
    .requiredOption('--homeserver <url>', 'homeserver base URL, e.g. https://matrix.example.org')
    .requiredOption('--user <name>', 'user name: a localpart (alice) or a full ID (@alice:example.org)')
    .option('--password-stdin', 'read the password from standard input (for scripts)')
    .option('--device-name <name>', 'display name of the new device', 'hush cli')
    .option('--json', 'print one JSON document for scripts')
    .addHelpText('after', '\nExamples:\n  hush login --homeserver http://localhost:8008 --user alice\n  echo "$PASSWORD" | hush login --homeserver https://hs.example --user @alice:hs.example --password-stdin')
    .action((opts: { homeserver: string; user: string; passwordStdin?: boolean; deviceName: string; json?: boolean }) =>
      run(async () => {
        if (!/^https?:\/\//.test(opts.homeserver)) throw usage(`--homeserver must be an http(s) URL, not ${JSON.stringify(opts.homeserver)}`);
        const password = await readPassword(opts.passwordStdin === true);
        if (password.length === 0) throw usage('empty password');
        let session;
        try {
          session = await login({ homeserver: opts.homeserver, user: opts.user, password, deviceName: opts.deviceName });
        } catch (err) {
          if (err instanceof MatrixError && err.errcode === ErrCode.FORBIDDEN) throw new CliError('wrong user name or password', EXIT.LOGIN);
          throw err;
        }
        writeSession(session);
        print(opts, { user_id: session.userId, device_id: session.deviceId, homeserver: session.homeserver, session_file: sessionPath() }, (d) => `logged in as ${d.user_id} (device ${d.device_id}); session saved in ${d.session_file}`);
      }),
    );
}

export function logoutCommand(): Command {
  return withCommon(new Command('logout'))
    .description('log the session out on the homeserver and forget it here')
    .action((opts: CommonOptions) =>
      run(async () => {
        const s = await resolveSession(opts);
        await new HttpClient({ baseUrl: s.homeserver, accessToken: s.accessToken }).request(api.logout);
        removeSession();
        print(opts, { logged_out: s.userId }, (d) => `logged out ${d.logged_out}`);
      }),
    );
}

export function whoamiCommand(): Command {
  return withCommon(new Command('whoami'))
    .description('show who the session or token belongs to')
    .action((opts: CommonOptions) =>
      run(async () => {
        const s = await resolveSession(opts);
        const me = await whoami(new HttpClient({ baseUrl: s.homeserver, accessToken: s.accessToken }));
        print(opts, { user_id: me.user_id, device_id: me.device_id ?? null, homeserver: s.homeserver }, (d) => `${d.user_id} on ${d.homeserver}${d.device_id ? ` (device ${d.device_id})` : ''}`);
      }),
    );
}
