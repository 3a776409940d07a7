// Server-side key backup: each user's backup versions (numbered per user, never reused: a deleted
// version stays as a row marked deleted) and the encrypted room keys stored in them. Rows only: the
// replacement rules and version checks live in services/e2e/key-backup.ts.

import type { Tx } from './db.ts';
import type { RoomKeyBackupKeysTable, RoomKeyBackupVersionsTable } from './schema.ts';

export type BackupVersionRow = RoomKeyBackupVersionsTable;
export type BackupKeyRow = RoomKeyBackupKeysTable;

const num = <T extends { version: number }>(r: T): T => ({ ...r, version: Number(r.version) });

export const keyBackupStore = {
  /** The newest version ever created (deleted ones too), 0 before the first. */
  async lastVersion(tx: Tx, userId: string): Promise<number> {
    const row = await tx
      .selectFrom('room_key_backup_versions')
      .select((eb) => eb.fn.max('version').as('v'))
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Number(row?.v ?? 0);
  },

  async insertVersion(tx: Tx, row: BackupVersionRow): Promise<void> {
    await tx.insertInto('room_key_backup_versions').values(row).execute();
  },

  /** The newest version that is not deleted. */
  async currentVersion(tx: Tx, userId: string): Promise<BackupVersionRow | undefined> {
    const row = await tx
      .selectFrom('room_key_backup_versions')
      .selectAll()
      .where('user_id', '=', userId)
      .where('deleted', '=', 0)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && num(row);
  },

  async version(tx: Tx, userId: string, version: number): Promise<BackupVersionRow | undefined> {
    const row = await tx
      .selectFrom('room_key_backup_versions')
      .selectAll()
      .where('user_id', '=', userId)
      .where('version', '=', version)
      .where('deleted', '=', 0)
      .executeTakeFirst();
    return row && num(row);
  },

  async updateVersion(tx: Tx, userId: string, version: number, fields: Partial<Pick<BackupVersionRow, 'auth_data' | 'etag' | 'deleted'>>): Promise<void> {
    await tx.updateTable('room_key_backup_versions').set(fields).where('user_id', '=', userId).where('version', '=', version).execute();
  },

  async countKeys(tx: Tx, userId: string, version: number): Promise<number> {
    const row = await tx
      .selectFrom('room_key_backup_keys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .where('version', '=', version)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  },

  /** Keys of a version: all, one room's, or one session's. */
  async keys(tx: Tx, userId: string, version: number, roomId?: string, sessionId?: string): Promise<BackupKeyRow[]> {
    let q = tx.selectFrom('room_key_backup_keys').selectAll().where('user_id', '=', userId).where('version', '=', version);
    if (roomId !== undefined) q = q.where('room_id', '=', roomId);
    if (sessionId !== undefined) q = q.where('session_id', '=', sessionId);
    const rows = await q.orderBy('room_id').orderBy('session_id').execute();
    return rows.map((r) => ({ ...num(r), first_message_index: Number(r.first_message_index), forwarded_count: Number(r.forwarded_count), is_verified: Number(r.is_verified) }));
  },

  async putKey(tx: Tx, row: BackupKeyRow): Promise<void> {
    const { first_message_index, forwarded_count, is_verified, session_data } = row;
    await tx
      .insertInto('room_key_backup_keys')
      .values(row)
      .onConflict((oc) => oc.columns(['user_id', 'version', 'room_id', 'session_id']).doUpdateSet({ first_message_index, forwarded_count, is_verified, session_data }))
      .execute();
  },

  /** Deletes keys of a version (all, a room's, or a session's); the number deleted. */
  async deleteKeys(tx: Tx, userId: string, version: number, roomId?: string, sessionId?: string): Promise<number> {
    let q = tx.deleteFrom('room_key_backup_keys').where('user_id', '=', userId).where('version', '=', version);
    if (roomId !== undefined) q = q.where('room_id', '=', roomId);
    if (sessionId !== undefined) q = q.where('session_id', '=', sessionId);
    const res = await q.executeTakeFirst();
    return Number(res.numDeletedRows);
  },
};
