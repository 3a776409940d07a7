// Server-side key backup (spec "Server-side key backups"): the user's backup versions and the
// encrypted room keys in them. Keys are written only to the current version (otherwise 403
// M_WRONG_ROOM_KEYS_VERSION with `current_version`); a key already stored is replaced only by a
// better one: "if the keys have different values for is_verified, then it will keep the key that
// has is_verified set to true; if they have the same values for is_verified, then it will keep the
// key with a lower first_message_index; and finally, if is_verified and first_message_index are
// equal, then it will keep the key with a lower forwarded_count". The etag changes with every
// change to the stored keys.

import { MatrixError, invalidParam, isRoomId, notFound, type api } from '@hush/protocol';
import type { Db, Tx } from '../../storage/db.ts';
import { keyBackupStore, type BackupKeyRow, type BackupVersionRow } from '../../storage/key-backup.store.ts';
import type { Requester } from '../requester.ts';

export const WRONG_ROOM_KEYS_VERSION = 'M_WRONG_ROOM_KEYS_VERSION';

type BackupKeyData = api.BackupKeyData;
type BackupVersionInfo = api.BackupVersionInfo;
type Update = { etag: string; count: number };
type Sessions = Record<string, BackupKeyData>;

const unknownVersion = () => notFound('Unknown backup version');

/** A version as the client names it: the decimal number we handed out. */
function versionNumber(v: string): number | undefined {
  return /^[1-9][0-9]{0,14}$/.test(v) ? Number(v) : undefined;
}

function checkRoomId(roomId: string): void {
  if (!isRoomId(roomId)) throw invalidParam('Invalid room ID');
}

/** Whether `candidate` should replace `existing` (the spec's three rules, in order). */
export function betterKey(candidate: BackupKeyData, existing: BackupKeyData): boolean {
  if (candidate.is_verified !== existing.is_verified) return candidate.is_verified;
  if (candidate.first_message_index !== existing.first_message_index) return candidate.first_message_index < existing.first_message_index;
  return candidate.forwarded_count < existing.forwarded_count;
}

function keyData(row: BackupKeyRow): BackupKeyData {
  return {
    first_message_index: row.first_message_index,
    forwarded_count: row.forwarded_count,
    is_verified: row.is_verified !== 0,
    session_data: JSON.parse(row.session_data) as Record<string, unknown>,
  };
}

export class KeyBackupService {
  constructor(private readonly db: Db) {}

  async createVersion(r: Requester, algorithm: string, authData: Record<string, unknown>): Promise<{ version: string }> {
    return this.db.transaction().execute(async (tx) => {
      const version = (await keyBackupStore.lastVersion(tx, r.userId)) + 1;
      await keyBackupStore.insertVersion(tx, { user_id: r.userId, version, algorithm, auth_data: JSON.stringify(authData), etag: 0, deleted: 0 });
      return { version: String(version) };
    });
  }

  /** The current version, or the one named; 404 when there is none. */
  async getVersion(r: Requester, version?: string): Promise<BackupVersionInfo> {
    return this.db.transaction().execute(async (tx) => {
      const row = await this.find(tx, r, version);
      return {
        algorithm: row.algorithm,
        auth_data: JSON.parse(row.auth_data) as Record<string, unknown>,
        count: await keyBackupStore.countKeys(tx, r.userId, row.version),
        etag: String(row.etag),
        version: String(row.version),
      };
    });
  }

  /** "Only auth_data can be modified": the algorithm must stay, a body version must match the path's. */
  async updateVersion(r: Requester, version: string, body: { algorithm: string; auth_data: Record<string, unknown>; version?: string }): Promise<void> {
    if (body.version !== undefined && body.version !== version) throw invalidParam('The version in the body does not match the path');
    await this.db.transaction().execute(async (tx) => {
      const row = await this.find(tx, r, version);
      if (body.algorithm !== row.algorithm) throw invalidParam('Algorithm does not match');
      await keyBackupStore.updateVersion(tx, r.userId, row.version, { auth_data: JSON.stringify(body.auth_data) });
    });
  }

  async deleteVersion(r: Requester, version: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const row = await this.find(tx, r, version);
      await keyBackupStore.deleteKeys(tx, r.userId, row.version);
      await keyBackupStore.updateVersion(tx, r.userId, row.version, { deleted: 1 });
    });
  }

  /** Stores keys by room and session, each kept or replaced by the rules. */
  async putKeys(r: Requester, version: string, rooms: Record<string, { sessions: Sessions }>): Promise<Update> {
    for (const roomId of Object.keys(rooms)) checkRoomId(roomId);
    return this.db.transaction().execute(async (tx) => {
      const row = await this.find(tx, r, version);
      const current = await keyBackupStore.currentVersion(tx, r.userId);
      if (current?.version !== row.version) {
        throw new MatrixError(403, WRONG_ROOM_KEYS_VERSION, 'Wrong backup version.', { current_version: String(current?.version ?? '') });
      }
      let changed = false;
      for (const [roomId, { sessions }] of Object.entries(rooms)) {
        for (const [sessionId, data] of Object.entries(sessions)) {
          const [existing] = await keyBackupStore.keys(tx, r.userId, row.version, roomId, sessionId);
          if (existing && !betterKey(data, keyData(existing))) continue;
          await keyBackupStore.putKey(tx, {
            user_id: r.userId,
            version: row.version,
            room_id: roomId,
            session_id: sessionId,
            first_message_index: data.first_message_index,
            forwarded_count: data.forwarded_count,
            is_verified: data.is_verified ? 1 : 0,
            session_data: JSON.stringify(data.session_data),
          });
          changed = true;
        }
      }
      return this.updated(tx, r, row, changed);
    });
  }

  async getKeys(r: Requester, version: string, roomId?: string, sessionId?: string): Promise<{ rooms: Record<string, { sessions: Sessions }> }> {
    if (roomId !== undefined) checkRoomId(roomId);
    return this.db.transaction().execute(async (tx) => {
      const row = await this.find(tx, r, version);
      const rooms: Record<string, { sessions: Sessions }> = {};
      for (const k of await keyBackupStore.keys(tx, r.userId, row.version, roomId, sessionId)) (rooms[k.room_id] ??= { sessions: {} }).sessions[k.session_id] = keyData(k);
      return { rooms };
    });
  }

  async deleteKeys(r: Requester, version: string, roomId?: string, sessionId?: string): Promise<Update> {
    if (roomId !== undefined) checkRoomId(roomId);
    return this.db.transaction().execute(async (tx) => {
      const row = await this.find(tx, r, version);
      const n = await keyBackupStore.deleteKeys(tx, r.userId, row.version, roomId, sessionId);
      return this.updated(tx, r, row, n > 0);
    });
  }

  private async find(tx: Tx, r: Requester, version: string | undefined): Promise<BackupVersionRow> {
    if (version === undefined) {
      const row = await keyBackupStore.currentVersion(tx, r.userId);
      if (!row) throw notFound('No current backup version');
      return row;
    }
    const n = versionNumber(version);
    const row = n === undefined ? undefined : await keyBackupStore.version(tx, r.userId, n);
    if (!row) throw unknownVersion();
    return row;
  }

  private async updated(tx: Tx, r: Requester, row: BackupVersionRow, changed: boolean): Promise<Update> {
    const etag = changed ? row.etag + 1 : row.etag;
    if (changed) await keyBackupStore.updateVersion(tx, r.userId, row.version, { etag });
    return { etag: String(etag), count: await keyBackupStore.countKeys(tx, r.userId, row.version) };
  }
}
