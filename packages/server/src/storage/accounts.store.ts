// Users, devices and access tokens: rows only, no policy.

import { sql } from 'kysely';
import type { Tx } from './db.ts';
import type { DevicesTable, UsersTable } from './schema.ts';

export interface TokenRow {
  userId: string;
  deviceId: string;
  tokenHash: string;
}

export const accountsStore = {
  async insertUser(tx: Tx, row: UsersTable): Promise<boolean> {
    const res = await tx.insertInto('users').values(row).onConflict((oc) => oc.column('user_id').doNothing()).executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) === 1;
  },

  async getUser(tx: Tx, userId: string): Promise<UsersTable | undefined> {
    return tx.selectFrom('users').selectAll().where('user_id', '=', userId).executeTakeFirst();
  },

  async userExists(tx: Tx, userId: string): Promise<boolean> {
    const row = await tx.selectFrom('users').select('user_id').where('user_id', '=', userId).executeTakeFirst();
    return row !== undefined;
  },

  /**
   * Active local users whose id or display name contains `term` (case-insensitive) and who are
   * joined to a room `viewer` is joined to, or to a room published in the directory; by user id,
   * at most `limit` rows.
   */
  async searchDirectory(tx: Tx, viewer: string, term: string, limit: number): Promise<Pick<UsersTable, 'user_id' | 'displayname' | 'avatar_url'>[]> {
    const pattern = `%${term.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return tx
      .selectFrom('users as u')
      .select(['u.user_id', 'u.displayname', 'u.avatar_url'])
      .where('u.deactivated', '=', 0)
      .where((eb) =>
        eb.or([
          sql<boolean>`lower(${eb.ref('u.user_id')}) like ${pattern} escape '\\'`,
          sql<boolean>`lower(${eb.ref('u.displayname')}) like ${pattern} escape '\\'`,
        ]),
      )
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('memberships as m')
            .select('m.room_id')
            .whereRef('m.user_id', '=', 'u.user_id')
            .where('m.membership', '=', 'join')
            .where((inner) =>
              inner.or([
                inner('m.room_id', 'in', inner.selectFrom('memberships as v').select('v.room_id').where('v.user_id', '=', viewer).where('v.membership', '=', 'join')),
                inner('m.room_id', 'in', inner.selectFrom('rooms as r').select('r.room_id').where('r.is_public', '=', 1)),
                // Spec v1.15: rooms with a `public` join rule or `world_readable` history visibility.
                inner(
                  'm.room_id',
                  'in',
                  inner
                    .selectFrom('room_state as rs')
                    .innerJoin('state_events as se', (j) =>
                      j.onRef('se.room_id', '=', 'rs.room_id').onRef('se.type', '=', 'rs.type').onRef('se.state_key', '=', 'rs.state_key').onRef('se.stream_ordering', '=', 'rs.stream_ordering'),
                    )
                    .select('rs.room_id')
                    .where('rs.state_key', '=', '')
                    .where((c) =>
                      c.or([
                        c.and([c('rs.type', '=', 'm.room.join_rules'), c('se.value', '=', 'public')]),
                        c.and([c('rs.type', '=', 'm.room.history_visibility'), c('se.value', '=', 'world_readable')]),
                      ]),
                    ),
                ),
              ]),
            ),
        ),
      )
      .orderBy('u.user_id')
      .limit(limit)
      .execute();
  },

  async updateProfile(tx: Tx, userId: string, fields: Partial<Pick<UsersTable, 'displayname' | 'avatar_url'>>): Promise<void> {
    await tx.updateTable('users').set(fields).where('user_id', '=', userId).execute();
  },

  async upsertDevice(tx: Tx, row: DevicesTable): Promise<void> {
    await tx
      .insertInto('devices')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['user_id', 'device_id']).doUpdateSet((eb) => ({
          display_name: eb.fn.coalesce(eb.ref('excluded.display_name'), eb.ref('devices.display_name')),
          last_seen_ts: eb.ref('excluded.last_seen_ts'),
          last_seen_ip: eb.ref('excluded.last_seen_ip'),
        })),
      )
      .execute();
  },

  async listDevices(tx: Tx, userId: string): Promise<DevicesTable[]> {
    return tx.selectFrom('devices').selectAll().where('user_id', '=', userId).orderBy('device_id').execute();
  },

  async getDevice(tx: Tx, userId: string, deviceId: string): Promise<DevicesTable | undefined> {
    return tx.selectFrom('devices').selectAll().where('user_id', '=', userId).where('device_id', '=', deviceId).executeTakeFirst();
  },

  async setDeviceName(tx: Tx, userId: string, deviceId: string, name: string | null): Promise<boolean> {
    const res = await tx
      .updateTable('devices')
      .set({ display_name: name })
      .where('user_id', '=', userId)
      .where('device_id', '=', deviceId)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  },

  /** Deletes devices of one user, with their tokens: all of them, one (`deviceId` a string), a list
   *  (an array; ids of other users' devices match nothing), or all but one (`{ except }`). */
  async deleteDevices(tx: Tx, userId: string, which?: string | readonly string[] | { except: string | undefined }): Promise<void> {
    if (Array.isArray(which) && which.length === 0) return;
    for (const table of ['access_tokens', 'devices'] as const) {
      let q = tx.deleteFrom(table).where('user_id', '=', userId);
      if (typeof which === 'string') q = q.where('device_id', '=', which);
      else if (Array.isArray(which)) q = q.where('device_id', 'in', which as readonly string[]);
      else if (which !== undefined && 'except' in which && which.except !== undefined) q = q.where('device_id', '!=', which.except);
      await q.execute();
    }
  },

  async setPasswordHash(tx: Tx, userId: string, passwordHash: string): Promise<void> {
    await tx.updateTable('users').set({ password_hash: passwordHash }).where('user_id', '=', userId).execute();
  },

  async markDeactivated(tx: Tx, userId: string): Promise<void> {
    await tx.updateTable('users').set({ deactivated: 1 }).where('user_id', '=', userId).execute();
  },

  async deleteTokens(tx: Tx, userId: string, deviceId: string): Promise<void> {
    await tx.deleteFrom('access_tokens').where('user_id', '=', userId).where('device_id', '=', deviceId).execute();
  },

  async insertToken(tx: Tx, row: TokenRow): Promise<void> {
    await tx
      .insertInto('access_tokens')
      .values({ token_hash: row.tokenHash, user_id: row.userId, device_id: row.deviceId, created_ts: Date.now() })
      .execute();
  },

  async findToken(tx: Tx, tokenHash: string): Promise<TokenRow | undefined> {
    const row = await tx
      .selectFrom('access_tokens')
      .select(['token_hash', 'user_id', 'device_id'])
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    return row && { tokenHash: row.token_hash, userId: row.user_id, deviceId: row.device_id };
  },
};
