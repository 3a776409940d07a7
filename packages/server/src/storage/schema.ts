// Row types of every table, as Kysely sees them. Columns are snake_case as stored; booleans are 0/1
// integers (SQLite cannot bind booleans); timestamps and stream positions are integers.

import type { Generated } from 'kysely';

export interface UsersTable {
  user_id: string;
  password_hash: string | null;
  displayname: string | null;
  avatar_url: string | null;
  created_ts: number;
  deactivated: number;
}

export interface DevicesTable {
  user_id: string;
  device_id: string;
  display_name: string | null;
  created_ts: number;
  last_seen_ts: number | null;
  last_seen_ip: string | null;
}

export interface AccessTokensTable {
  token_hash: string;
  user_id: string;
  device_id: string;
  created_ts: number;
}

export interface ServerKeysTable {
  key_id: string;
  seed: string;
  created_ts: number;
}

export interface SchemaMigrationsTable {
  version: number;
  applied_ts: number;
}

export interface Database {
  users: UsersTable;
  devices: DevicesTable;
  access_tokens: AccessTokensTable;
  server_keys: ServerKeysTable;
  schema_migrations: SchemaMigrationsTable;
}

export type { Generated };
