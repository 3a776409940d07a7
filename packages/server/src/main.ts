// config → database → services → buildApp() → listen → graceful shutdown. The only file that listens.
// A failure the operator can fix (port in use, database busy or out of reach) is a StartupError.

import pino, { type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/config.ts';
import { openDatabase, type DatabaseHandle } from './storage/db.ts';
import { createServices } from './services/index.ts';
import { buildApp } from './app.ts';
import { databaseFailure, listenFailure } from './startup-errors.ts';

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  port: number;
  close(): Promise<void>;
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
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const host = config.bind.includes(':') ? `[${config.bind}]` : config.bind;
  const url = `http://${host}:${port}`;
  logger.info({ url, port, serverName: config.serverName, database: database.dialect }, 'listening');
  let closing: Promise<void> | undefined;
  return {
    app,
    url,
    port,
    close: () =>
      (closing ??= (async () => {
        await app.close();
        await services.stop();
        await database.close();
      })()),
  };
}
