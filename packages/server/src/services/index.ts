// The services one homeserver runs, built once from its deps and handed to every handler.

import type { Config } from '../config/config.ts';
import type { DatabaseHandle } from '../storage/db.ts';
import { AccountService } from './accounts.ts';

export interface Services {
  config: Config;
  database: DatabaseHandle;
  accounts: AccountService;
}

export function createServices(config: Config, database: DatabaseHandle): Services {
  const accounts = new AccountService(database.db, config);
  return { config, database, accounts };
}
