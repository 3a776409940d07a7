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

export interface RoomsTable {
  room_id: string;
  room_version: string;
  creator: string;
  created_ts: number;
  head_event_id: string | null;
  head_depth: number;
  is_public: number;
}

export interface EventsTable {
  stream_ordering: number;
  event_id: string;
  room_id: string;
  type: string;
  state_key: string | null;
  sender: string;
  origin_server_ts: number;
  depth: number;
  /** The full PDU as JSON text. */
  json: string;
  /** Content of the state this event replaced (unsigned.prev_content). */
  prev_content: string | null;
  redacted_by: string | null;
  /** The sending device and its transaction id (unsigned.transaction_id for that device). */
  txn_device: string | null;
  txn_id: string | null;
  /** `content["m.relates_to"].event_id` and `.rel_type`, for the relations API and aggregations. */
  relates_to: string | null;
  rel_type: string | null;
}

export interface StateEventsTable {
  room_id: string;
  type: string;
  state_key: string;
  stream_ordering: number;
  event_id: string;
  /** For m.room.member: the membership; for m.room.history_visibility: the visibility. */
  value: string | null;
}

export interface RoomStateTable {
  room_id: string;
  type: string;
  state_key: string;
  event_id: string;
  stream_ordering: number;
}

export interface MembershipsTable {
  room_id: string;
  user_id: string;
  membership: string;
  event_id: string;
  stream_ordering: number;
  sender: string;
  forgotten: number;
}

export interface EventTxnsTable {
  user_id: string;
  device_id: string;
  txn_id: string;
  event_id: string;
  created_ts: number;
}

export interface RoomAliasesTable {
  alias: string;
  room_id: string;
  creator: string;
}

export interface AccountDataTable {
  user_id: string;
  /** '' for global account data. */
  room_id: string;
  type: string;
  content: string;
  stream_ordering: number;
}

export interface FiltersTable {
  user_id: string;
  filter_id: number;
  json: string;
}

export interface ReceiptsTable {
  room_id: string;
  receipt_type: string;
  user_id: string;
  /** '' for an unthreaded receipt. */
  thread_id: string;
  event_id: string;
  ts: number;
  stream_ordering: number;
}

export interface StreamCounterTable {
  id: number;
  pos: number;
}

export interface ToDeviceTable {
  user_id: string;
  device_id: string;
  stream_ordering: number;
  sender: string;
  type: string;
  /** The message content as JSON text. */
  content: string;
}

export interface ToDeviceTxnsTable {
  user_id: string;
  device_id: string;
  txn_id: string;
  created_ts: number;
}

export interface Database {
  rooms: RoomsTable;
  events: EventsTable;
  state_events: StateEventsTable;
  room_state: RoomStateTable;
  memberships: MembershipsTable;
  event_txns: EventTxnsTable;
  room_aliases: RoomAliasesTable;
  account_data: AccountDataTable;
  filters: FiltersTable;
  receipts: ReceiptsTable;
  stream_counter: StreamCounterTable;
  to_device: ToDeviceTable;
  to_device_txns: ToDeviceTxnsTable;
  users: UsersTable;
  devices: DevicesTable;
  access_tokens: AccessTokensTable;
  server_keys: ServerKeysTable;
  schema_migrations: SchemaMigrationsTable;
}

export type { Generated };
