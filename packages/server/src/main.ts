// config → database → services → buildApp() → listen → graceful shutdown. The only file that listens.
// A failure the operator can fix (port in use, database busy or out of reach) is a StartupError.

import pino, { type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/config.ts';
import { openDatabase, type DatabaseHandle } from './storage/db.ts';
import { createServices } from './services/index.ts';
import { buildApp } from './app.ts';
import { databaseFailure, listenFailure, StartupError } from './startup-errors.ts';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  port: number;
  /** The TLS listener's port (`federation-port`), when there is one. */
  federationPort?: number;
  close(): Promise<void>;
}

/** The TLS listener of `federation-port`: the same app (federation, keys and client APIs) over HTTPS,
 *  as one port of a homeserver usually carries everything. */
async function listenTls(app: FastifyInstance, config: Config): Promise<HttpsServer | undefined> {
  const fed = config.federation;
  if (fed.port === undefined || fed.tlsCert === undefined || fed.tlsKey === undefined) return undefined;
  const server = createHttpsServer({ cert: fed.tlsCert, key: fed.tlsKey }, (req, res) => app.routing(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new StartupError(`federation port ${fed.port} is already in use on ${config.bind} (--federation-port)`, err) : err),
    );
    server.listen(fed.port, config.bind, () => resolve());
  });
  return server;
}

function closeTls(server: HttpsServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export function createLogger(level: string): Logger {
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime });
}

export async function startServer(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<RunningServer> {
  // A SQLite file serves one process; a PostgreSQL database any number (decision 0007).
  let database: DatabaseHandle;
  try {
    database = await openDatabase(config.database, { singleProcess: true });
  } catch (err) {
    throw databaseFailure(err, config.database) ?? err;
  }
  let services;
  try {
    services = await createServices(config, database, logger);
  } catch (err) {
    await database.close();
    throw databaseFailure(err, config.database) ?? err;
  }
  const app = await buildApp({ services, logger });
  try {
    await app.listen({ port: config.port, host: config.bind });
  } catch (err) {
    await services.stop();
    await database.close();
    throw listenFailure(err, config) ?? err;
  }
  let tls: HttpsServer | undefined;
  try {
    tls = await listenTls(app, config);
  } catch (err) {
    await app.close();
    await services.stop();
    await database.close();
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const host = config.bind.includes(':') ? `[${config.bind}]` : config.bind;
  const url = `http://${host}:${port}`;
  const tlsAddr = tls?.address();
  const federationPort = typeof tlsAddr === 'object' && tlsAddr ? tlsAddr.port : undefined;
  const tlsInfo = federationPort !== undefined ? { federationUrl: `https://${host}:${federationPort}`, federationPort } : {};
  logger.info({ url, port, ...tlsInfo, serverName: config.serverName, federation: config.federation.enabled, database: database.dialect }, 'listening');
  let closing: Promise<void> | undefined;
  return {
    app,
    url,
    port,
    ...(federationPort !== undefined ? { federationPort } : {}),
    close: () =>
      (closing ??= (async () => {
        if (tls) await closeTls(tls);
        await app.close();
        await services.stop();
        await database.close();
      })()),
  };
}
