// The services one homeserver runs, built once from its deps and handed to every handler.

import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import type { DatabaseHandle } from '../storage/db.ts';
import { streamStore } from '../storage/stream.store.ts';
import { Notifier } from '../notifier/notifier.ts';
import { connectPgBus } from '../notifier/pg-bus.ts';
import { AccountService } from './accounts.ts';
import { AccountManagementService } from './accounts-management.ts';
import { UiaSessions } from './accounts-uia.ts';
import { AccountDataService } from './account-data.ts';
import { FilterService } from './filters.ts';
import { ReceiptService } from './receipts.ts';
import { TypingService } from './typing.ts';
import { loadSigningKey } from './signing-key.ts';
import { EventPersister } from './rooms/persist.ts';
import { RoomWriter } from './rooms/writer.ts';
import { RoomService } from './rooms/rooms.ts';
import { RoomReads } from './rooms/reads.ts';
import { PresenceService } from './presence.ts';
import { SyncService } from './sync/sync.ts';
import { RelationsService } from './rooms/relations.ts';
import { NotificationService } from './notifications.ts';
import { ToDeviceService } from './to-device.ts';
import { E2eKeysService } from './e2e/keys.ts';
import { CrossSigningService } from './e2e/cross-signing.ts';
import { KeyBackupService } from './e2e/key-backup.ts';
import { PublicRoomsService } from './rooms/public-rooms.ts';
import { SpaceHierarchyService } from './rooms/space-hierarchy.ts';
import { TimestampService } from './rooms/timestamp.ts';
import { UserDirectoryService } from './user-directory.ts';
import { ProfileFieldsService } from './profile-fields.ts';
import { MutualRoomsService } from './mutual-rooms.ts';
import { PushRulesService } from './push-rules/service.ts';
import { PusherService } from './push/pushers.ts';
import { PushRecorder } from './push/record.ts';
import { PushDelivery } from './push/delivery.ts';
import { MediaService } from './media/media.ts';
import { SearchService } from './search.ts';
import { TagService } from './tags.ts';
import { ReportService } from './reports.ts';
import { createCaches, type Caches } from './caches.ts';
import { HeldRows } from '../storage/held-rows.ts';
import { recordLostHeldRows } from './held-rows-recovery.ts';
import type { OutboundHooks } from './outbound-hooks.ts';

export interface Services {
  config: Config;
  database: DatabaseHandle;
  notifier: Notifier;
  /** The app's in-memory caches (services/caches.ts): per app instance, never module state. */
  caches: Caches;
  /** What the services tell outbound federation: filled in by federation/outbound when it starts. */
  outbound: OutboundHooks;
  accounts: AccountService;
  accountManagement: AccountManagementService;
  accountData: AccountDataService;
  filters: FilterService;
  receipts: ReceiptService;
  typing: TypingService;
  rooms: RoomService;
  reads: RoomReads;
  sync: SyncService;
  presence: PresenceService;
  relations: RelationsService;
  notifications: NotificationService;
  toDevice: ToDeviceService;
  e2eKeys: E2eKeysService;
  crossSigning: CrossSigningService;
  keyBackup: KeyBackupService;
  publicRooms: PublicRoomsService;
  /** The space hierarchy and room summaries (previews of rooms, ours or other servers'). */
  spaces: SpaceHierarchyService;
  timestamps: TimestampService;
  userDirectory: UserDirectoryService;
  profileFields: ProfileFieldsService;
  mutualRooms: MutualRoomsService;
  pushRules: PushRulesService;
  pushers: PusherService;
  pushDelivery: PushDelivery;
  media: MediaService;
  search: SearchService;
  tags: TagService;
  reports: ReportService;
  /** Stops timers and closes the cross-process bus (before the database is closed). */
  stop(): Promise<void>;
}

export async function createServices(config: Config, database: DatabaseHandle, logger?: Pick<Logger, 'info' | 'warn'>): Promise<Services> {
  const db = database.db;
  const notifier = new Notifier();
  // Several processes may share a PostgreSQL database: they tell each other over LISTEN/NOTIFY.
  // Listening starts before anything is read, so nothing committed after the reads goes unheard.
  const bus =
    database.dialect === 'postgres' ? await connectPgBus(database.url, (level, msg, err) => logger?.[level](err === undefined ? {} : { err }, msg)) : undefined;
  if (bus) notifier.attach(bus);
  // PostgreSQL positions commit out of order: wake-ups wait until the stream is persisted up to them.
  if (database.dialect === 'postgres') notifier.gate(streamStore.gate(db));
  const filters = new FilterService(db);
  // The services that report to outbound federation are given this list; federation fills it in.
  const outbound: OutboundHooks = {};
  const typing = new TypingService(db, notifier, outbound);
  let signingKey;
  try {
    notifier.advanceTo(await streamStore.current(db));
    await typing.start();
    signingKey = await loadSigningKey(db);
  } catch (err) {
    await bus?.close();
    throw err;
  }
  // Every service that reads through a cache is handed this app's, and what a service tells another
  // is given to it here, at construction: no setter to forget, nothing shared between two apps.
  // On SQLite (one process per database) push actions and search rows are written behind, in batches (decision 0047).
  const heldRows =
    database.dialect === 'sqlite' ? new HeldRows(db, { onError: (err) => logger?.warn({ err }, 'writing held push actions and search rows failed; retrying') }) : undefined;
  const caches = createCaches(heldRows);
  // Push: rules evaluated per recipient as events are written; HTTP pushers fed from a durable queue.
  const pushRules = new PushRulesService(db, notifier);
  const pushRecorder = new PushRecorder(pushRules, caches);
  if (heldRows) {
    const again = await recordLostHeldRows(db, pushRecorder, caches.pdus);
    if (again > 0) logger?.info({ events: again }, 'push actions and search index rows recorded again for the events after the last flush');
  }
  const pushDelivery = new PushDelivery(db, caches, { allowPrivate: config.outboundAllowPrivate, log: (level, msg, fields) => logger?.[level](fields ?? {}, msg) });
  const persister = new EventPersister(config.serverName, signingKey, caches.pdus, caches.roomStates, caches.heldRows);
  const writer = new RoomWriter(
    db,
    persister,
    notifier,
    { persisted: (tx, room, row, pdu, afterCommit) => pushRecorder.record(tx, room, row, pdu, afterCommit), queued: () => pushDelivery.poke() },
    outbound,
  );
  const rooms = new RoomService(db, writer, config.serverName, caches.ignoreViews, config.ignoredUserInvites);
  const e2eKeys = new E2eKeysService(db, notifier, config.serverName, outbound);
  const accounts = new AccountService(db, config, UiaSessions.fromSigningKey(signingKey.privateKey), notifier, {
    profileChanged: (userId, profile) => rooms.updateProfile(userId, profile),
    devicesRemoved: (tx, userId) => e2eKeys.forgetDeletedDevices(tx, userId),
  });
  const accountData = new AccountDataService(db, notifier, caches, { ignoreListChanged: (userId) => rooms.rejectIgnoredInvites(userId) });
  const presence = new PresenceService(db, notifier, caches.ignoreViews, outbound, config.presence);
  pushDelivery.start();
  return {
    config,
    database,
    notifier,
    caches,
    outbound,
    accounts,
    accountManagement: new AccountManagementService(db, accounts, rooms),
    accountData,
    filters,
    receipts: new ReceiptService(db, notifier, outbound),
    typing,
    rooms,
    reads: new RoomReads(db, caches),
    sync: new SyncService(db, notifier, typing, filters, caches, presence),
    relations: new RelationsService(db, caches),
    notifications: new NotificationService(db, caches),
    toDevice: new ToDeviceService(db, notifier, config.serverName, outbound),
    e2eKeys,
    crossSigning: new CrossSigningService(db, notifier, accounts, outbound),
    keyBackup: new KeyBackupService(db),
    publicRooms: new PublicRoomsService(db, rooms, config.serverName),
    spaces: new SpaceHierarchyService(db, config.serverName, caches.ignoreViews),
    timestamps: new TimestampService(db, caches.ignoreViews, config.serverName),
    userDirectory: new UserDirectoryService(db),
    profileFields: new ProfileFieldsService(db, accounts, config.serverName),
    mutualRooms: new MutualRoomsService(db),
    pushRules,
    pushers: new PusherService(db, config.outboundAllowPrivate),
    pushDelivery,
    media: new MediaService(db, config.serverName, config.media),
    search: new SearchService(db, caches),
    tags: new TagService(db, notifier),
    reports: new ReportService(db),
    presence,
    stop: async () => {
      typing.stop();
      await pushDelivery.stop();
      await heldRows?.stop();
      presence.stop();
      notifier.stop();
      await bus?.close();
    },
  };
}
