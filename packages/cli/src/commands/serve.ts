// `hush serve`: run the homeserver (flags override the optional YAML --config file). A start that
// fails says why in one line on stderr: exit 2 for a bad flag or config file, 1 for the rest.

import { Command, Option } from 'commander';

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the homeserver (SQLite under ./data by default)')
    .option('--config <file>', 'YAML config file with the same keys as these flags')
    .option('--port <port>', 'port to listen on (0 picks a free one)', undefined)
    .option('--bind <address>', 'address to listen on (default 127.0.0.1)')
    .option('--server-name <name>', 'the Matrix server name, e.g. localhost:8008 (default localhost)')
    .option('--database <location>', 'a SQLite file path or a postgres:// URL (default ./data/hush.sqlite)')
    .addOption(new Option('--registration <mode>', 'who may register (default: open on loopback, else closed)').choices(['open', 'token', 'closed']))
    .option('--registration-tokens <tokens>', 'comma-separated tokens for --registration token')
    .addOption(new Option('--rate-limits <onoff>', 'rate limits on or off (default on)').choices(['on', 'off']))
    .addOption(new Option('--presence <onoff>', 'presence (online/offline status) on or off (default on); off for large servers').choices(['on', 'off']))
    .addOption(new Option('--ignored-user-invites <mode>', 'invites from ignored users: hide or reject (default hide)').choices(['hide', 'reject']))
    .option('--public-base-url <url>', 'the URL clients reach this server at, served by /.well-known/matrix/client (default: none, 404)')
    .option('--turn-uris <uris>', 'comma-separated turn:/turns: URIs served by /voip/turnServer (default: none, {})')
    .option('--turn-shared-secret <secret>', "the TURN server's auth secret: time-limited credentials per user")
    .option('--turn-username <name>', 'a fixed TURN username (instead of --turn-shared-secret)')
    .option('--turn-password <password>', 'the fixed TURN password')
    .option('--turn-user-lifetime <duration>', 'how long TURN credentials last: 3600, 30m, 1h, 1d (default 1h)')
    .option('--media-path <dir>', 'where uploaded media is kept (default: media/ beside the SQLite file, else ./data/media)')
    .option('--max-upload-size <size>', 'largest upload: bytes or 512K, 50M, 2G (default 50M)')
    .option('--media-user-quota <size>', 'total size of one user\'s uploads: bytes or 512K, 50M, 2G (default 0: no limit)')
    .option('--remote-media-cache-size <size>', "other servers' media kept in the cache, least recently used out first: bytes or 512M, 10G (default 1G, 0: no bound)")
    .addOption(new Option('--legacy-media <onoff>', 'serve the deprecated unauthenticated /_matrix/media/v3 downloads (default off)').choices(['on', 'off']))
    .addOption(new Option('--federation <onoff>', 'serve and speak the federation API (default on, off for a server named localhost or a loopback address)').choices(['on', 'off']))
    .option('--federation-port <port>', 'a TLS listener for the federation (and client) API, e.g. 8448; needs --tls-cert and --tls-key')
    .option('--tls-cert <file>', 'PEM certificate chain of the TLS listener')
    .option('--tls-key <file>', 'PEM private key of the TLS listener')
    .addOption(new Option('--federation-verify-certificates <onoff>', "check other servers' TLS certificates (default on)").choices(['on', 'off']))
    .option('--federation-ca <file>', 'PEM CA certificates trusted besides the system ones (test deployments)')
    .option('--trusted-key-servers <names>', 'comma-separated notary servers asked for keys a server does not give (default: none)')
    .addOption(new Option('--outbound-allow-private <onoff>', 'let outbound requests reach private, loopback and link-local addresses (default off)').choices(['on', 'off']))
    .option('--log-level <level>', 'pino log level (default info)')
    .addHelpText(
      'after',
      `
Exit codes: 0 stopped by SIGTERM or SIGINT; 1 could not start (the port in use, the database busy
or out of reach: one line on stderr says which); 2 a bad flag or config file.`,
    )
    .action(async (opts: Record<string, unknown>) => {
      // Loaded here, not at the top: the client commands and --help need none of the server.
      const { ConfigError, createLogger, readConfigFile, resolveConfig, startServer, StartupError } = await import('@hush/server');
      let config;
      try {
        const file = typeof opts['config'] === 'string' ? readConfigFile(opts['config']) : {};
        const flags = Object.fromEntries(
          Object.entries(opts)
            .filter(([k, v]) => k !== 'config' && v !== undefined)
            .map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), v]),
        );
        config = resolveConfig(flags, file);
      } catch (err) {
        if (err instanceof ConfigError) {
          process.stderr.write(`hush serve: ${err.message}\n`);
          process.exit(2);
        }
        throw err;
      }
      // A reader of our logs that went away (closed pipe) must not stop a graceful shutdown.
      process.stdout.on('error', () => undefined);
      const logger = createLogger(config.logLevel);
      let server;
      try {
        server = await startServer(config, logger);
      } catch (err) {
        if (err instanceof StartupError) {
          process.stderr.write(`hush serve: ${err.message}\n`);
          process.exit(1);
        }
        // Unexpected: the stack goes to the log; stderr still gets one line.
        logger.fatal({ err }, 'could not start');
        process.stderr.write(`hush serve: could not start: ${String((err as Error)?.message ?? err).split('\n')[0]} (details in the log)\n`);
        process.exit(1);
      }
      const stop = (signal: string) => {
        logger.info({ signal }, 'shutting down');
        const force = setTimeout(() => process.exit(1), 10_000);
        force.unref();
        server.close().then(
          () => process.exit(0),
          (err: unknown) => {
            logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
}
