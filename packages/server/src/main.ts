// config → database → services → buildApp() → listen → graceful shutdown. The only file that listens.

import pino, { type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/config.ts';
import { openDatabase, type DatabaseHandle } from './storage/db.ts';
import { createServices } from './services/index.ts';
import { buildApp } from './app.ts';

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
  const database: DatabaseHandle = await openDatabase(config.database, { singleProcess: true });
  let services;
  try {
    services = await createServices(config, database, logger);
  } catch (err) {
    await database.close();
    throw err;
  }
  const app = await buildApp({ services, logger });
  try {
    await app.listen({ port: config.port, host: config.bind });
  } catch (err) {
    await services.stop();
    await database.close();
    throw err;
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
