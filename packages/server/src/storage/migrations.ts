// Schema migrations, applied in order inside one transaction each. On PostgreSQL an advisory lock
// lets several server processes start at once against the same database.

import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import type { Dialect } from './db.ts';
import { createSearchIndex } from './search.store.ts';
import { fillRoomPredecessors } from './room-upgrades.store.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

interface Migration {
  version: number;
  name: string;
  up(db: AnyDb, dialect: Dialect): Promise<void>;
}

const MIGRATION_LOCK = 7310;

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'accounts',
    async up(db) {
      await db.schema
        .createTable('users')
        .addColumn('user_id', 'text', (c) => c.primaryKey())
        .addColumn('password_hash', 'text')
        .addColumn('displayname', 'text')
        .addColumn('avatar_url', 'text')
        .addColumn('created_ts', 'bigint', (c) => c.notNull())
        .addColumn('deactivated', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createTable('devices')
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('display_name', 'text')
        .addColumn('created_ts', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_ts', 'bigint')
        .addColumn('last_seen_ip', 'text')
        .addPrimaryKeyConstraint('devices_pk', ['user_id', 'device_id'])
        .execute();
      await db.schema
        .createTable('access_tokens')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('created_ts', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('access_tokens_device').on('access_tokens').columns(['user_id', 'device_id']).execute();
      await db.schema
        .createTable('server_keys')
        .addColumn('key_id', 'text', (c) => c.primaryKey())
        .addColumn('seed', 'text', (c) => c.notNull())
        .addColumn('created_ts', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  {
    version: 2,
    name: 'rooms, events, state, account data, receipts',
    async up(db, dialect) {
      // On SQLite, tables keyed by something other than an integer are WITHOUT ROWID (one B-tree
      // instead of two), and the events' stream ordering is the rowid itself: every commit writes
      // fewer pages.
      const noRowid = <T extends { modifyEnd(e: ReturnType<typeof sql.raw>): T }>(b: T): T => (dialect === 'sqlite' ? b.modifyEnd(sql.raw(' without rowid')) : b);
      const ordering = dialect === 'sqlite' ? 'integer' : 'bigint';
      await db.schema
        .createTable('stream_counter')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('pos', 'bigint', (c) => c.notNull())
        .execute();
      await db.insertInto('stream_counter').values({ id: 1, pos: 0 }).execute();
      await noRowid(db.schema
        .createTable('rooms')
        .addColumn('room_id', 'text', (c) => c.primaryKey())
        .addColumn('room_version', 'text', (c) => c.notNull())
        .addColumn('creator', 'text', (c) => c.notNull())
        .addColumn('created_ts', 'bigint', (c) => c.notNull())
        .addColumn('head_event_id', 'text')
        .addColumn('head_depth', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('is_public', 'integer', (c) => c.notNull().defaultTo(0)))
        .execute();
      await db.schema
        .createTable('events')
        .addColumn('stream_ordering', ordering, (c) => c.primaryKey())
        .addColumn('event_id', 'text', (c) => c.notNull().unique())
        .addColumn('room_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('state_key', 'text')
        .addColumn('sender', 'text', (c) => c.notNull())
        .addColumn('origin_server_ts', 'bigint', (c) => c.notNull())
        .addColumn('depth', 'bigint', (c) => c.notNull())
        .addColumn('json', 'text', (c) => c.notNull())
        .addColumn('prev_content', 'text')
        .addColumn('redacted_by', 'text')
        .addColumn('txn_device', 'text')
        .addColumn('txn_id', 'text')
        .execute();
      await db.schema.createIndex('events_room_order').on('events').columns(['room_id', 'stream_ordering']).execute();
      await noRowid(db.schema
        .createTable('state_events')
        .addColumn('room_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('state_key', 'text', (c) => c.notNull())
        .addColumn('stream_ordering', 'bigint', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('value', 'text')
        .addPrimaryKeyConstraint('state_events_pk', ['room_id', 'type', 'state_key', 'stream_ordering']))
        .execute();
      await db.schema.createIndex('state_events_order').on('state_events').columns(['room_id', 'stream_ordering']).execute();
      await noRowid(db.schema
        .createTable('room_state')
        .addColumn('room_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('state_key', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('stream_ordering', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('room_state_pk', ['room_id', 'type', 'state_key']))
        .execute();
      await noRowid(db.schema
        .createTable('memberships')
        .addColumn('room_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('membership', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('stream_ordering', 'bigint', (c) => c.notNull())
        .addColumn('sender', 'text', (c) => c.notNull())
        .addColumn('forgotten', 'integer', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('memberships_pk', ['room_id', 'user_id']))
        .execute();
      await db.schema.createIndex('memberships_user').on('memberships').columns(['user_id', 'membership']).execute();
      await noRowid(db.schema
        .createTable('event_txns')
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('txn_id', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('created_ts', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('event_txns_pk', ['user_id', 'device_id', 'txn_id']))
        .execute();
      await db.schema
        .createTable('room_aliases')
        .addColumn('alias', 'text', (c) => c.primaryKey())
        .addColumn('room_id', 'text', (c) => c.notNull())
        .addColumn('creator', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('room_aliases_room').on('room_aliases').column('room_id').execute();
      await noRowid(db.schema
        .createTable('account_data')
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('room_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('content', 'text', (c) => c.notNull())
        .addColumn('stream_ordering', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('account_data_pk', ['user_id', 'room_id', 'type']))
        .execute();
      await db.schema.createIndex('account_data_order').on('account_data').columns(['user_id', 'stream_ordering']).execute();
      await noRowid(db.schema
        .createTable('filters')
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('filter_id', 'integer', (c) => c.notNull())
        .addColumn('json', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('filters_pk', ['user_id', 'filter_id']))
        .execute();
      await noRowid(db.schema
        .createTable('receipts')
        .addColumn('room_id', 'text', (c) => c.notNull())
        .addColumn('receipt_type', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('thread_id', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('ts', 'bigint', (c) => c.notNull())
        .addColumn('stream_ordering', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('receipts_pk', ['room_id', 'receipt_type', 'user_id', 'thread_id']))
        .execute();
      await db.schema.createIndex('receipts_order').on('receipts').columns(['room_id', 'stream_ordering']).execute();
    },
  },
  {
    version: 3,
    name: 'event relations',
    async up(db) {
      await db.schema.alterTable('events').addColumn('relates_to', 'text').execute();
      await db.schema.alterTable('events').addColumn('rel_type', 'text').execute();
      await db.schema.createIndex('events_relates_to').on('events').columns(['relates_to', 'stream_ordering']).execute();
    },
  },
  {
    version: 4,
    name: 'join rule values in the state history (MSC4494 deny_public)',
    async up(db) {
      const rows = await db
        .selectFrom('state_events as se')
        .innerJoin('events as e', 'e.event_id', 'se.event_id')
        .select(['se.room_id', 'se.type', 'se.state_key', 'se.stream_ordering', 'e.json'])
        .where('se.type', '=', 'm.room.join_rules')
        .execute();
      for (const r of rows as { room_id: string; type: string; state_key: string; stream_ordering: number; json: string }[]) {
        const rule = (JSON.parse(r.json) as { content?: { join_rule?: unknown } }).content?.join_rule;
        if (typeof rule !== 'string') continue;
        await db
          .updateTable('state_events')
          .set({ value: rule.slice(0, 64) })
          .where('room_id', '=', r.room_id)
          .where('type', '=', r.type)
          .where('state_key', '=', r.state_key)
          .where('stream_ordering', '=', r.stream_ordering)
          .execute();
      }
    },
  },
  {
    version: 5,
    name: 'send-to-device messages',
    async up(db) {
      await db.schema
        .createTable('to_device')
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('stream_ordering', 'bigint', (c) => c.notNull())
        .addColumn('sender', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('content', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('to_device_pk', ['user_id', 'device_id', 'stream_ordering'])
        .execute();
      await db.schema
        .createTable('to_device_txns')
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('txn_id', 'text', (c) => c.notNull())
        .addColumn('created_ts', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('to_device_txns_pk', ['user_id', 'device_id', 'txn_id'])
        .execute();
    },
  },
  {
    version: 6,
    name: 'end-to-end encryption keys, device-list changes, key backup',
    async up(db) {
      await db.schema
        .createTable('e2e_device_keys')
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('json', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('e2e_device_keys_pk', ['user_id', 'device_id'])
        .execute();
      await db.schema
        .createTable('e2e_one_time_keys')
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('algorithm', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('json', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('e2e_one_time_keys_pk', ['user_id', 'device_id', 'algorithm', 'key_id'])
        .execute();
      await db.schema
        .createTable('e2e_fallback_keys')
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('device_id', 'text', (c) => c.notNull())
        .addColumn('algorithm', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('json', 'text', (c) => c.notNull())
        .addColumn('used', 'integer', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('e2e_fallback_keys_pk', ['user_id', 'device_id', 'algorithm'])
        .execute();
      await db.schema
        .createTable('e2e_cross_signing_keys')
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('usage', 'text', (c) => c.notNull())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('json', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('e2e_cross_signing_keys_pk', ['user_id', 'usage'])
        .execute();
      await db.schema
        .createTable('e2e_signatures')
        .addColumn('target_user_id', 'text', (c) => c.notNull())
        .addColumn('target_key_id', 'text', (c) => c.notNull())
        .addColumn('signer_user_id', 'text', (c) => c.notNull())
        .addColumn('signer_key_id', 'text', (c) => c.notNull())
        .addColumn('signature', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('e2e_signatures_pk', ['target_user_id', 'target_key_id', 'signer_user_id', 'signer_key_id'])
        .execute();
      await db.schema
        .createTable('e2e_device_list_changes')
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('stream_ordering', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('e2e_device_list_changes_pk', ['user_id', 'stream_ordering'])
        .execute();
      await db.schema.createIndex('e2e_device_list_changes_order').on('e2e_device_list_changes').column('stream_ordering').execute();
      await db.schema
        .createTable('room_key_backup_versions')
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('version', 'bigint', (c) => c.notNull())
        .addColumn('algorithm', 'text', (c) => c.notNull())
        .addColumn('auth_data', 'text', (c) => c.notNull())
        .addColumn('etag', 'bigint', (c) => c.notNull())
        .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('room_key_backup_versions_pk', ['user_id', 'version'])
        .execute();
      await db.schema
        .createTable('room_key_backup_keys')
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('version', 'bigint', (c) => c.notNull())
        .addColumn('room_id', 'text', (c) => c.notNull())
        .addColumn('session_id', 'text', (c) => c.notNull())
        .addColumn('first_message_index', 'bigint', (c) => c.notNull())
        .addColumn('forwarded_count', 'bigint', (c) => c.notNull())
        .addColumn('is_verified', 'integer', (c) => c.notNull())
        .addColumn('session_data', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('room_key_backup_keys_pk', ['user_id', 'version', 'room_id', 'session_id'])
        .execute();
    },
  },
  {
    version: 7,
    name: 'search index, content reports, room predecessors (search, reporting, room upgrades)',
    async up(db, dialect) {
      // The full-text index of room events, filled from the events already stored.
      await createSearchIndex(db, dialect);
      await db.schema
        .createTable('reports')
        .addColumn('report_id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('reporter', 'text', (c) => c.notNull())
        .addColumn('room_id', 'text')
        .addColumn('event_id', 'text')
        .addColumn('target_user_id', 'text')
        .addColumn('reason', 'text')
        .addColumn('score', 'integer')
        .addColumn('received_ts', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('reports_received').on('reports').column('received_ts').execute();
      await db.schema
        .createTable('room_predecessors')
        .addColumn('room_id', 'text', (c) => c.primaryKey())
        .addColumn('predecessor_room_id', 'text', (c) => c.notNull())
        .addColumn('stream_ordering', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('room_predecessors_of').on('room_predecessors').column('predecessor_room_id').execute();
      await fillRoomPredecessors(db);
    },
  },
  {
    // 7 is the search index (its own change).
    version: 8,
    name: 'content repository (media metadata; the files live on disk by content hash)',
    async up(db) {
      await db.schema
        .createTable('media')
        .addColumn('media_id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('created_ts', 'bigint', (c) => c.notNull())
        .addColumn('unused_expires_ts', 'bigint')
        .addColumn('uploaded_ts', 'bigint')
        .addColumn('sha256', 'text')
        .addColumn('size', 'bigint')
        .addColumn('content_type', 'text')
        .addColumn('upload_name', 'text')
        .execute();
      await db.schema.createIndex('media_by_user').on('media').columns(['user_id', 'uploaded_ts']).execute();
    },
  },
  {
    version: 9,
    name: 'push: actions per (event, recipient), pushers, the push delivery queue',
    async up(db) {
      await db.schema
        .createTable('event_push_actions')
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('room_id', 'text', (c) => c.notNull())
        .addColumn('stream_ordering', 'bigint', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('sender', 'text', (c) => c.notNull())
        .addColumn('thread_id', 'text', (c) => c.notNull())
        .addColumn('highlight', 'integer', (c) => c.notNull())
        .addColumn('actions', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('event_push_actions_pk', ['user_id', 'room_id', 'stream_ordering'])
        .execute();
      await db.schema.createIndex('event_push_actions_user_order').on('event_push_actions').columns(['user_id', 'stream_ordering']).execute();
      await db.schema
        .createTable('pushers')
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('app_id', 'text', (c) => c.notNull())
        .addColumn('pushkey', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('app_display_name', 'text', (c) => c.notNull())
        .addColumn('device_display_name', 'text', (c) => c.notNull())
        .addColumn('profile_tag', 'text')
        .addColumn('lang', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('device_id', 'text')
        .addColumn('pushkey_ts', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('pushers_pk', ['user_id', 'app_id', 'pushkey'])
        .execute();
      await db.schema.createIndex('pushers_key').on('pushers').columns(['app_id', 'pushkey']).execute();
      await db.schema
        .createTable('push_queue')
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('app_id', 'text', (c) => c.notNull())
        .addColumn('pushkey', 'text', (c) => c.notNull())
        .addColumn('stream_ordering', 'bigint', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('room_id', 'text', (c) => c.notNull())
        .addColumn('tweaks', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_ts', 'bigint', (c) => c.notNull())
        .addColumn('created_ts', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('push_queue_pk', ['user_id', 'app_id', 'pushkey', 'stream_ordering'])
        .execute();
      await db.schema.createIndex('push_queue_due').on('push_queue').column('next_attempt_ts').execute();
    },
  },
  {
    version: 10,
    name: 'presence: one row per user, its position in the shared stream',
    async up(db) {
      await db.schema
        .createTable('presence')
        .addColumn('user_id', 'text', (c) => c.primaryKey())
        .addColumn('presence', 'text', (c) => c.notNull())
        .addColumn('status_msg', 'text')
        .addColumn('last_active_ts', 'bigint', (c) => c.notNull())
        .addColumn('stream_ordering', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('presence_by_ordering').on('presence').column('stream_ordering').execute();
    },
  },
  {
    // Federation keys: our replaced keys keep their expiry (old_verify_keys); other servers' keys
    // are cached with the signed response they came in (notary answers serve it again).
    version: 11,
    name: 'federation: server key expiry, remote server key cache',
    async up(db) {
      await db.schema.alterTable('server_keys').addColumn('expired_ts', 'bigint').execute();
      await db.schema
        .createTable('remote_server_keys')
        .addColumn('server_name', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('valid_until_ts', 'bigint', (c) => c.notNull())
        .addColumn('expired_ts', 'bigint')
        .addColumn('fetched_ts', 'bigint', (c) => c.notNull())
        .addColumn('response_json', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('remote_server_keys_pk', ['server_name', 'key_id'])
        .execute();
    },
  },
  {
    // PostgreSQL claims stream positions instead of locking the counter until commit (decision
    // 0028): each in-flight position names its owning transaction. Unused on SQLite (one writer).
    version: 12,
    name: 'stream claims: positions of writing transactions in flight',
    async up(db) {
      await db.schema
        .createTable('stream_claims')
        .addColumn('pos', 'bigint', (c) => c.primaryKey())
        .addColumn('owner', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  {
    // Federation inbound (decision 0030): each room's forward extremities (the events new events
    // point at), backward extremities (prev_events we never got), soft-failed and outlier events
    // (stored, never in a timeline), rejected event ids (not stored, remembered), and the
    // transactions other servers sent (idempotent answers).
    version: 13,
    name: 'federation inbound: extremities, outliers and soft-failed events, rejections, transactions',
    async up(db) {
      await db.schema
        .createTable('forward_extremities')
        .addColumn('room_id', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('forward_extremities_pk', ['room_id', 'event_id'])
        .execute();
      await db
        .insertInto('forward_extremities')
        .columns(['room_id', 'event_id'])
        .expression(db.selectFrom('rooms').select(['room_id', 'head_event_id']).where('head_event_id', 'is not', null))
        .execute();
      await db.schema
        .createTable('backward_extremities')
        .addColumn('room_id', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('backward_extremities_pk', ['room_id', 'event_id'])
        .execute();
      await db.schema
        .createTable('event_outliers')
        .addColumn('event_id', 'text', (c) => c.primaryKey())
        .addColumn('room_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('json', 'text', (c) => c.notNull())
        .addColumn('received_ts', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('event_rejections')
        .addColumn('event_id', 'text', (c) => c.primaryKey())
        .addColumn('room_id', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('received_ts', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('federation_inbound_txns')
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('txn_id', 'text', (c) => c.notNull())
        .addColumn('response_json', 'text', (c) => c.notNull())
        .addColumn('received_ts', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('federation_inbound_txns_pk', ['origin', 'txn_id'])
        .execute();
    },
  },
  {
    // Federation's outbound queue (decision 0031): PDUs and EDUs per destination, in order, and
    // per destination the batch in flight (its transaction id, kept across restarts), the backoff
    // and the lease that lets one process send a destination's queue at a time.
    version: 14,
    name: 'federation outbound queue and destinations',
    async up(db) {
      await db.schema
        .createTable('federation_queue')
        .addColumn('destination', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('id', 'bigint', (c) => c.notNull())
        .addColumn('json', 'text', (c) => c.notNull())
        .addColumn('created_ts', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('federation_queue_pk', ['destination', 'kind', 'id'])
        .execute();
      await db.schema
        .createTable('federation_destinations')
        .addColumn('destination', 'text', (c) => c.primaryKey())
        .addColumn('txn_id', 'text')
        .addColumn('txn_ids', 'text')
        .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('retry_at', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('down', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('lease_owner', 'text')
        .addColumn('lease_expires', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
    },
  },
  {
    // Other servers' users' device and cross-signing keys, cached (decision 0032).
    version: 15,
    name: 'remote e2e keys cache',
    async up(db) {
      await db.schema
        .createTable('remote_e2e_keys')
        .addColumn('user_id', 'text', (c) => c.primaryKey())
        .addColumn('as_of', 'bigint', (c) => c.notNull())
        .addColumn('json', 'text', (c) => c.notNull())
        .addColumn('fetched_ts', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  {
    // The state before a received event where it differs from the state history at its position
    // (decision 0037): one row per differing key, a null event id for a key absent there.
    version: 16,
    name: 'event state deltas: the state before a received event on a fork',
    async up(db) {
      await db.schema
        .createTable('event_state_deltas')
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('room_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('state_key', 'text', (c) => c.notNull())
        .addColumn('state_event_id', 'text')
        .addPrimaryKeyConstraint('event_state_deltas_pk', ['event_id', 'type', 'state_key'])
        .execute();
    },
  },
  {
    // One-time keys are handed out in the order they were uploaded (spec v1.13, MSC4225): the
    // device's upload count. Remote media's last use, for the cache's LRU bound (decision 0038).
    version: 17,
    name: 'one-time key upload order; remote media last access',
    async up(db) {
      await db.schema.alterTable('e2e_one_time_keys').addColumn('upload_seq', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('media').addColumn('last_access_ts', 'bigint').execute();
    },
  },
  {
    // Rejections of remote invites still to be made through the inviting server (decision 0039):
    // they survive a restart and are retried with backoff for hours.
    version: 18,
    name: 'pending invite rejections',
    async up(db) {
      await db.schema
        .createTable('invite_rejections')
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('room_id', 'text', (c) => c.notNull())
        .addColumn('sender', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_ts', 'bigint', (c) => c.notNull())
        .addColumn('created_ts', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('invite_rejections_pk', ['user_id', 'room_id'])
        .execute();
      await db.schema.createIndex('invite_rejections_next').on('invite_rejections').column('next_ts').execute();
    },
  },
  {
    // Backward extremities are bounded per room, the oldest dropped first (decision 0043): the
    // stream position of the event that pointed at each.
    version: 19,
    name: 'backward extremity positions',
    async up(db) {
      await db.schema.alterTable('backward_extremities').addColumn('stream_ordering', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
    },
  },
  {
    // Extended profile fields (spec v1.16, MSC4133): m.tz and namespaced custom fields.
    version: 20,
    name: 'profile fields',
    async up(db) {
      await db.schema
        .createTable('profile_fields')
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('profile_fields_pk', ['user_id', 'key'])
        .execute();
    },
  },
  {
    // The state event each state event replaced (unsigned.replaces_state, spec v1.19).
    version: 21,
    name: 'events: replaces_state',
    async up(db) {
      await db.schema.alterTable('events').addColumn('replaces_state', 'text').execute();
    },
  },
  {
    // Push actions written behind on SQLite (decision 0047): the position up to which every
    // committed event's rows are in event_push_actions.
    version: 22,
    name: 'push actions flushed up to',
    async up(db) {
      await db.schema
        .createTable('push_actions_flushed')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('stream_ordering', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  {
    // Fewer pages per send (decision 0047): most events relate to nothing, and their NULL entries
    // in the relations index were a page write each; on SQLite the forward extremities become one
    // b-tree (their primary key) instead of a rowid table and its key index.
    version: 23,
    name: 'relations index only of relations; forward extremities without rowid',
    async up(db, dialect) {
      await db.schema.dropIndex('events_relates_to').execute();
      await db.schema.createIndex('events_relates_to').on('events').columns(['relates_to', 'stream_ordering']).where(sql.ref('relates_to'), 'is not', null).execute();
      if (dialect !== 'sqlite') return;
      await sql`alter table forward_extremities rename to forward_extremities_rowid`.execute(db);
      await sql`create table forward_extremities (room_id text not null, event_id text not null, constraint forward_extremities_pk primary key (room_id, event_id)) without rowid`.execute(db);
      await sql`insert into forward_extremities (room_id, event_id) select room_id, event_id from forward_extremities_rowid`.execute(db);
      await sql`drop table forward_extremities_rowid`.execute(db);
    },
  },
  {
    // A redaction deletes its target's push actions (storage/redactions.ts), so unread counts
    // read event_push_actions alone: the rows of events redacted before this change go too.
    version: 24,
    name: 'push actions of redacted events removed',
    async up(db) {
      await sql`delete from event_push_actions where stream_ordering in (select stream_ordering from events where redacted_by is not null)`.execute(db);
    },
  },
  {
    // On SQLite, event_push_actions is kept in its primary key's order (without rowid): an unread
    // count reads a user's newest rows of a room in one range, each row where the key led, instead
    // of a key index entry and then a table row per event (up to 1,000 per count). Its rows are
    // written in batches (decision 0047), so the wider b-tree costs a send nothing.
    version: 25,
    name: 'push actions clustered by user, room and position (SQLite)',
    async up(db, dialect) {
      if (dialect !== 'sqlite') return;
      await sql`alter table event_push_actions rename to event_push_actions_rowid`.execute(db);
      await sql`drop index event_push_actions_user_order`.execute(db);
      await sql`create table event_push_actions (
        user_id text not null, room_id text not null, stream_ordering bigint not null, event_id text not null, sender text not null,
        thread_id text not null, highlight integer not null, actions text not null,
        constraint event_push_actions_pk primary key (user_id, room_id, stream_ordering)) without rowid`.execute(db);
      await sql`insert into event_push_actions select user_id, room_id, stream_ordering, event_id, sender, thread_id, highlight, actions from event_push_actions_rowid`.execute(db);
      await sql`drop table event_push_actions_rowid`.execute(db);
      await db.schema.createIndex('event_push_actions_user_order').on('event_push_actions').columns(['user_id', 'stream_ordering']).execute();
    },
  },
  {
    // A room's state version (decision 0048): bumped by the database itself whenever its current
    // state or a membership changes, by any path, so a process may keep what it read of the state
    // for as long as the version it reads under the room's lock stays the same.
    version: 26,
    name: 'rooms.state_version, bumped by triggers on room_state and memberships',
    async up(db, dialect) {
      await db.schema.alterTable('rooms').addColumn('state_version', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
      if (dialect === 'sqlite') {
        const bump = (row: 'new' | 'old') => `update rooms set state_version = state_version + 1 where room_id = ${row}.room_id`;
        await sql.raw(`create trigger room_state_version_insert after insert on room_state begin ${bump('new')}; end`).execute(db);
        await sql.raw(`create trigger room_state_version_update after update on room_state begin ${bump('new')}; end`).execute(db);
        await sql.raw(`create trigger room_state_version_delete after delete on room_state begin ${bump('old')}; end`).execute(db);
        await sql.raw(`create trigger memberships_version_insert after insert on memberships begin ${bump('new')}; end`).execute(db);
        await sql
          .raw(`create trigger memberships_version_update after update of membership on memberships when old.membership is not new.membership begin ${bump('new')}; end`)
          .execute(db);
        await sql.raw(`create trigger memberships_version_delete after delete on memberships begin ${bump('old')}; end`).execute(db);
        return;
      }
      await sql
        .raw(
          `create function hush_bump_state_version() returns trigger language plpgsql as $$
          begin
            update rooms set state_version = state_version + 1 where room_id = (case when tg_op = 'DELETE' then old.room_id else new.room_id end);
            return null;
          end $$`,
        )
        .execute(db);
      await sql.raw(`create trigger room_state_version after insert or update or delete on room_state for each row execute function hush_bump_state_version()`).execute(db);
      await sql.raw(`create trigger memberships_version after insert or delete on memberships for each row execute function hush_bump_state_version()`).execute(db);
      await sql
        .raw(
          `create trigger memberships_version_update after update of membership on memberships for each row when (old.membership is distinct from new.membership) execute function hush_bump_state_version()`,
        )
        .execute(db);
    },
  },
];

export async function migrate(db: Kysely<Database>, dialect: Dialect): Promise<void> {
  const anyDb = db as unknown as AnyDb;
  await anyDb.schema
    .createTable('schema_migrations')
    .ifNotExists()
    .addColumn('version', 'integer', (c) => c.primaryKey())
    .addColumn('applied_ts', 'bigint', (c) => c.notNull())
    .execute()
    .catch(async (err: unknown) => {
      // Two processes racing on CREATE TABLE IF NOT EXISTS in PostgreSQL: the loser sees a
      // unique violation on pg_type; the table exists either way.
      const exists = await sql`select 1 from schema_migrations limit 1`.execute(anyDb).then(() => true, () => false);
      if (!exists) throw err;
    });
  await db.transaction().execute(async (tx) => {
    if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(tx);
    const done = new Set((await tx.selectFrom('schema_migrations').select('version').execute()).map((r) => r.version));
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await m.up(tx as unknown as AnyDb, dialect);
      await tx.insertInto('schema_migrations').values({ version: m.version, applied_ts: Date.now() }).execute();
    }
  });
}
