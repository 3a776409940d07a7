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

/** v1.16's extended profile fields beyond displayname and avatar_url (those stay on `users`): one
 *  row per field, the value as canonical JSON. */
export interface ProfileFieldsTable {
  user_id: string;
  key: string;
  value: string;
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
  /** Set when the key was replaced (served in old_verify_keys from then on); null for the current key. */
  expired_ts: number | null;
}

/** Other servers' verify keys as fetched (directly or through a notary), with the signed response
 *  they came in, kept for notary answers. `valid_until_ts` as the server gave it; `expired_ts` for
 *  keys listed in old_verify_keys. */
export interface RemoteServerKeysTable {
  server_name: string;
  key_id: string;
  key: string;
  valid_until_ts: number;
  expired_ts: number | null;
  fetched_ts: number;
  response_json: string;
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
  /** Bumped by the database whenever the room's current state or a membership changes (migration
   *  26); -1 on a row in memory once its transaction changed the state (services/rooms/state-memo.ts). */
  state_version: number;
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
  /** The id of the state event this one replaced (unsigned.replaces_state, spec v1.19); null for
   *  a non-state event, the first of its key, and events stored before migration 21. */
  replaces_state: string | null;
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

/** PostgreSQL: a stream position claimed by a writing transaction (its txid), until known done. */
export interface StreamClaimsTable {
  pos: number;
  owner: number;
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

export interface E2eDeviceKeysTable {
  user_id: string;
  device_id: string;
  /** The signed device keys as uploaded (JSON text). */
  json: string;
}

export interface E2eOneTimeKeysTable {
  user_id: string;
  device_id: string;
  algorithm: string;
  key_id: string;
  /** The key as uploaded: a JSON string (unsigned key) or object (signed key). */
  json: string;
  /** Which upload of the device brought it (1, 2, …; 0 before migration 17): claims take the oldest. */
  upload_seq: Generated<number>;
}

export interface E2eFallbackKeysTable {
  user_id: string;
  device_id: string;
  algorithm: string;
  key_id: string;
  json: string;
  /** 1 once claimed: it is handed out again until replaced, but no longer listed as unused. */
  used: number;
}

export interface E2eCrossSigningKeysTable {
  user_id: string;
  /** 'master' | 'self_signing' | 'user_signing'. */
  usage: string;
  /** The unpadded base64 ed25519 public key (the key id without `ed25519:`). */
  public_key: string;
  /** The key object as uploaded (JSON text), with the signatures it came with. */
  json: string;
}

export interface E2eSignaturesTable {
  /** The owner of the signed key, and the key: a device id, or a cross-signing public key. */
  target_user_id: string;
  target_key_id: string;
  signer_user_id: string;
  /** `ed25519:<device id or public key>`. */
  signer_key_id: string;
  signature: string;
}

export interface E2eDeviceListChangesTable {
  user_id: string;
  stream_ordering: number;
}

export interface RoomKeyBackupVersionsTable {
  user_id: string;
  version: number;
  algorithm: string;
  auth_data: string;
  etag: number;
  deleted: number;
}

export interface RoomKeyBackupKeysTable {
  user_id: string;
  version: number;
  room_id: string;
  session_id: string;
  first_message_index: number;
  forwarded_count: number;
  is_verified: number;
  session_data: string;
}

/** One row per mxc://<us>/<media_id>. A created-but-not-uploaded id (POST /media/v1/create) has no
 *  sha256 yet; its upload is due by unused_expires_ts. The bytes live on disk named by sha256. */
export interface MediaTable {
  media_id: string;
  user_id: string;
  created_ts: number;
  unused_expires_ts: number | null;
  uploaded_ts: number | null;
  sha256: string | null;
  size: number | null;
  content_type: string | null;
  upload_name: string | null;
  /** Another server's cached media: when it was last served (its fetch, then each use, coarsely). */
  last_access_ts: number | null;
}

export interface ReportsTable {
  report_id: string;
  /** 'event' | 'room' | 'user'. */
  kind: string;
  reporter: string;
  room_id: string | null;
  event_id: string | null;
  /** The reported user, or the sender of the reported event. */
  target_user_id: string | null;
  reason: string | null;
  /** reportEvent's optional score (-100 … 0). */
  score: number | null;
  received_ts: number;
}

export interface RoomPredecessorsTable {
  /** A room whose create event names a predecessor (an upgraded room). */
  room_id: string;
  predecessor_room_id: string;
  stream_ordering: number;
}

/** Push actions decided when an event was written, per recipient whose rules said notify
 *  (unread counts and GET /notifications read them; ignoring applies when they are read). */
/** One row (id 1): every committed event up to this position has its push actions in
 *  event_push_actions (decision 0047); absent until the first flush. */
export interface PushActionsFlushedTable {
  id: number;
  stream_ordering: number;
}

export interface EventPushActionsTable {
  user_id: string;
  room_id: string;
  stream_ordering: number;
  event_id: string;
  sender: string;
  /** The thread root for thread replies, 'main' otherwise. */
  thread_id: string;
  highlight: number;
  /** The deciding rule's actions, JSON. */
  actions: string;
}

export interface PushersTable {
  user_id: string;
  app_id: string;
  pushkey: string;
  kind: string;
  app_display_name: string;
  device_display_name: string;
  profile_tag: string | null;
  lang: string;
  /** The pusher's `data`, JSON. */
  data: string;
  device_id: string | null;
  pushkey_ts: number;
}

/** One pending notification per (pusher, event), until the gateway took it or we gave up. */
export interface PushQueueTable {
  user_id: string;
  app_id: string;
  pushkey: string;
  stream_ordering: number;
  event_id: string;
  room_id: string;
  /** JSON. */
  tweaks: string;
  attempts: number;
  next_attempt_ts: number;
  created_ts: number;
}

/** Presence: a user's state and status message (spec "Presence"). */
export interface PresenceTable {
  user_id: string;
  /** online | unavailable | offline */
  presence: string;
  status_msg: string | null;
  last_active_ts: number;
  stream_ordering: number;
}

/** Federation inbound (decision 0030): the events a room's next event points at. */
export interface ForwardExtremitiesTable {
  room_id: string;
  event_id: string;
}

/** prev_events we never received (the gap a backfill would fill). */
export interface BackwardExtremitiesTable {
  room_id: string;
  event_id: string;
  /** The position of the event that pointed at it (decision 0043: a room keeps the newest ones). */
  stream_ordering: number;
}

/** Remote events stored outside the timeline: 'soft_failed' (passed its auth events, failed the
 *  current state) or 'outlier' (an auth event fetched for another event). */
export interface EventOutliersTable {
  event_id: string;
  room_id: string;
  status: string;
  reason: string;
  json: string;
  received_ts: number;
}

/** Where the state before a received event differs from the state history at its position
 *  (decision 0037): the event id of (type, state_key) before it, null when the key is absent. */
export interface EventStateDeltasTable {
  event_id: string;
  room_id: string;
  type: string;
  state_key: string;
  state_event_id: string | null;
}

/** Remote events that failed the checks: never stored, remembered so they are not fetched again. */
export interface EventRejectionsTable {
  event_id: string;
  room_id: string;
  reason: string;
  received_ts: number;
}

/** An invite from another server the user's lists reject, whose leave is still to be made through
 *  the inviting server (decision 0039): tried again at `next_ts` until it succeeds or is moot. */
export interface InviteRejectionsTable {
  user_id: string;
  room_id: string;
  /** The inviter (the lists are asked about them again at each try). */
  sender: string;
  attempts: number;
  next_ts: number;
  created_ts: number;
}

/** PUT /send transactions received, with the answer given (a retry gets the same answer). */
export interface FederationInboundTxnsTable {
  origin: string;
  txn_id: string;
  response_json: string;
  received_ts: number;
}

export interface Database {
  presence: PresenceTable;
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
  stream_claims: StreamClaimsTable;
  to_device: ToDeviceTable;
  to_device_txns: ToDeviceTxnsTable;
  e2e_device_keys: E2eDeviceKeysTable;
  e2e_one_time_keys: E2eOneTimeKeysTable;
  e2e_fallback_keys: E2eFallbackKeysTable;
  e2e_cross_signing_keys: E2eCrossSigningKeysTable;
  e2e_signatures: E2eSignaturesTable;
  e2e_device_list_changes: E2eDeviceListChangesTable;
  room_key_backup_versions: RoomKeyBackupVersionsTable;
  room_key_backup_keys: RoomKeyBackupKeysTable;
  users: UsersTable;
  profile_fields: ProfileFieldsTable;
  devices: DevicesTable;
  access_tokens: AccessTokensTable;
  server_keys: ServerKeysTable;
  remote_server_keys: RemoteServerKeysTable;
  media: MediaTable;
  schema_migrations: SchemaMigrationsTable;
  reports: ReportsTable;
  room_predecessors: RoomPredecessorsTable;
  event_push_actions: EventPushActionsTable;
  push_actions_flushed: PushActionsFlushedTable;
  pushers: PushersTable;
  push_queue: PushQueueTable;
  forward_extremities: ForwardExtremitiesTable;
  backward_extremities: BackwardExtremitiesTable;
  event_outliers: EventOutliersTable;
  event_rejections: EventRejectionsTable;
  event_state_deltas: EventStateDeltasTable;
  federation_inbound_txns: FederationInboundTxnsTable;
  invite_rejections: InviteRejectionsTable;
  federation_queue: FederationQueueTable;
  federation_destinations: FederationDestinationsTable;
  remote_e2e_keys: RemoteE2eKeysTable;
}

/** One PDU or EDU waiting for one destination (federation/outbound/queue.ts); `id` orders them
 *  within (destination, kind): a PDU's stream position, an EDU's time-based sequence number. */
/** Another server's answer about one of its users' keys (decision 0032), valid while no device-list
 *  change of the user arrived after `as_of` (the user's last change position when it was asked). */
export interface RemoteE2eKeysTable {
  user_id: string;
  as_of: number;
  /** {device_keys: {device id: keys}, master_key?, self_signing_key?} as checked on arrival. */
  json: string;
  fetched_ts: number;
}

export interface FederationQueueTable {
  id: number;
  destination: string;
  /** 'pdu' | 'edu' */
  kind: string;
  json: string;
  created_ts: number;
}

/** Per destination: the batch in flight (its transaction id and queue ids, stable across
 *  restarts), the backoff, the "down" mark, and which process holds the sending lease. */
export interface FederationDestinationsTable {
  destination: string;
  txn_id: string | null;
  /** JSON array of the queue ids in the batch `txn_id` names. */
  txn_ids: string | null;
  failures: number;
  retry_at: number;
  down: number;
  lease_owner: string | null;
  lease_expires: number;
}

export type { Generated };
