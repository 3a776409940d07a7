// End-to-end encryption keys: device keys, one-time and fallback keys, cross-signing keys, the
// signatures uploaded for them, and the stream positions at which a user's device list changed.
// Rows only: which key is valid, who may see which signature, is decided by services/e2e/.

import { sql } from 'kysely';
import type { Tx } from './db.ts';
import { prepared } from './prepared.ts';
import type { E2eCrossSigningKeysTable, E2eSignaturesTable, RemoteE2eKeysTable } from './schema.ts';

const membershipChangesStatement = prepared((tx, a: { roomIds: readonly string[]; after: number; upTo: number }) =>
  tx
    .selectFrom('state_events')
    .select(['room_id', 'state_key', 'value'])
    .where('room_id', 'in', [...a.roomIds])
    .where('type', '=', 'm.room.member')
    .where('stream_ordering', '>', a.after)
    .where('stream_ordering', '<=', a.upTo),
);
const deviceListsChangedStatement = prepared((tx, a: { after: number; upTo: number }) =>
  tx.selectFrom('e2e_device_list_changes').select('user_id').distinct().where('stream_ordering', '>', a.after).where('stream_ordering', '<=', a.upTo),
);
const unusedFallbackStatement = prepared((tx, a: { userId: string; deviceId: string }) =>
  tx.selectFrom('e2e_fallback_keys').select('algorithm').where('user_id', '=', a.userId).where('device_id', '=', a.deviceId).where('used', '=', 0).orderBy('algorithm'),
);
const oneTimeKeyCountsStatement = prepared((tx, a: { userId: string; deviceId: string }) =>
  tx
    .selectFrom('e2e_one_time_keys')
    .select(['algorithm', (eb) => eb.fn.countAll<number>().as('n')])
    .where('user_id', '=', a.userId)
    .where('device_id', '=', a.deviceId)
    .groupBy('algorithm'),
);

export interface OneTimeKeyRow {
  algorithm: string;
  keyId: string;
  json: string;
}

export interface ClaimedKey extends OneTimeKeyRow {
  fallback: boolean;
}

export type CrossSigningRow = E2eCrossSigningKeysTable;
export type SignatureRow = E2eSignaturesTable;

export const e2eKeysStore = {
  async deviceKeys(tx: Tx, userId: string, deviceId: string): Promise<string | undefined> {
    const row = await tx.selectFrom('e2e_device_keys').select('json').where('user_id', '=', userId).where('device_id', '=', deviceId).executeTakeFirst();
    return row?.json;
  },

  /** Device keys of one user's devices (all when `deviceIds` is empty), with each device's name. */
  async deviceKeysOf(tx: Tx, userId: string, deviceIds: readonly string[]): Promise<{ deviceId: string; json: string; displayName: string | null }[]> {
    let q = tx
      .selectFrom('e2e_device_keys as k')
      .leftJoin('devices as d', (j) => j.onRef('d.user_id', '=', 'k.user_id').onRef('d.device_id', '=', 'k.device_id'))
      .select(['k.device_id', 'k.json', 'd.display_name'])
      .where('k.user_id', '=', userId);
    if (deviceIds.length > 0) q = q.where('k.device_id', 'in', deviceIds);
    const rows = await q.orderBy('k.device_id').execute();
    return rows.map((r) => ({ deviceId: r.device_id, json: r.json, displayName: r.display_name ?? null }));
  },

  async putDeviceKeys(tx: Tx, userId: string, deviceId: string, json: string): Promise<void> {
    await tx
      .insertInto('e2e_device_keys')
      .values({ user_id: userId, device_id: deviceId, json })
      .onConflict((oc) => oc.columns(['user_id', 'device_id']).doUpdateSet({ json }))
      .execute();
  },

  /** The stored one-time keys of a device among `keys` (algorithm, key id), to compare re-uploads. */
  async oneTimeKeys(tx: Tx, userId: string, deviceId: string, keys: readonly { algorithm: string; keyId: string }[]): Promise<OneTimeKeyRow[]> {
    if (keys.length === 0) return [];
    const rows = await tx
      .selectFrom('e2e_one_time_keys')
      .select(['algorithm', 'key_id', 'json'])
      .where('user_id', '=', userId)
      .where('device_id', '=', deviceId)
      .where('key_id', 'in', [...new Set(keys.map((k) => k.keyId))])
      .execute();
    return rows.map((r) => ({ algorithm: r.algorithm, keyId: r.key_id, json: r.json }));
  },

  /** One upload's new keys, numbered one past the device's last upload so that claims hand them
   *  out in upload order (spec v1.13: "One-time keys are given out in the order that they were
   *  uploaded"; keys of one upload are equivalent). */
  async insertOneTimeKeys(tx: Tx, userId: string, deviceId: string, keys: readonly OneTimeKeyRow[]): Promise<void> {
    if (keys.length === 0) return;
    const last = await tx
      .selectFrom('e2e_one_time_keys')
      .select(sql<number | string | null>`max(upload_seq)`.as('n'))
      .where('user_id', '=', userId)
      .where('device_id', '=', deviceId)
      .executeTakeFirst();
    const seq = Number(last?.n ?? 0) + 1;
    for (let i = 0; i < keys.length; i += 200) {
      await tx
        .insertInto('e2e_one_time_keys')
        .values(keys.slice(i, i + 200).map((k) => ({ user_id: userId, device_id: deviceId, algorithm: k.algorithm, key_id: k.keyId, json: k.json, upload_seq: seq })))
        .onConflict((oc) => oc.columns(['user_id', 'device_id', 'algorithm', 'key_id']).doNothing())
        .execute();
    }
  },

  /** Unclaimed one-time keys of a device, per algorithm. */
  async oneTimeKeyCounts(tx: Tx, userId: string, deviceId: string): Promise<Record<string, number>> {
    const { rows } = await oneTimeKeyCountsStatement(tx, { userId, deviceId });
    return Object.fromEntries(rows.map((r) => [r.algorithm, Number(r.n)]));
  },

  async fallbackKey(tx: Tx, userId: string, deviceId: string, algorithm: string): Promise<(OneTimeKeyRow & { used: boolean }) | undefined> {
    const row = await tx
      .selectFrom('e2e_fallback_keys')
      .select(['algorithm', 'key_id', 'json', 'used'])
      .where('user_id', '=', userId)
      .where('device_id', '=', deviceId)
      .where('algorithm', '=', algorithm)
      .executeTakeFirst();
    return row && { algorithm: row.algorithm, keyId: row.key_id, json: row.json, used: Number(row.used) !== 0 };
  },

  /** Stores the device's fallback key for its algorithm, replacing the previous one (unused again). */
  async putFallbackKey(tx: Tx, userId: string, deviceId: string, key: OneTimeKeyRow): Promise<void> {
    await tx
      .insertInto('e2e_fallback_keys')
      .values({ user_id: userId, device_id: deviceId, algorithm: key.algorithm, key_id: key.keyId, json: key.json, used: 0 })
      .onConflict((oc) => oc.columns(['user_id', 'device_id', 'algorithm']).doUpdateSet({ key_id: key.keyId, json: key.json, used: 0 }))
      .execute();
  },

  async unusedFallbackAlgorithms(tx: Tx, userId: string, deviceId: string): Promise<string[]> {
    const { rows } = await unusedFallbackStatement(tx, { userId, deviceId });
    return rows.map((r) => r.algorithm);
  },

  /**
   * Takes one key of `algorithm` for a device: a one-time key, deleted as it is taken (two claims
   * racing on PostgreSQL never get the same one: the loser's DELETE finds no row and it tries the
   * next), else the fallback key, marked used and handed out again until it is replaced.
   */
  async claim(tx: Tx, userId: string, deviceId: string, algorithm: string): Promise<ClaimedKey | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const candidate = await tx
        .selectFrom('e2e_one_time_keys')
        .select(['key_id', 'json'])
        .where('user_id', '=', userId)
        .where('device_id', '=', deviceId)
        .where('algorithm', '=', algorithm)
        .orderBy('upload_seq')
        .orderBy('key_id')
        .limit(1)
        .executeTakeFirst();
      if (!candidate) break;
      const taken = await tx
        .deleteFrom('e2e_one_time_keys')
        .where('user_id', '=', userId)
        .where('device_id', '=', deviceId)
        .where('algorithm', '=', algorithm)
        .where('key_id', '=', candidate.key_id)
        .returning(['key_id', 'json'])
        .executeTakeFirst();
      if (taken) return { algorithm, keyId: taken.key_id, json: taken.json, fallback: false };
    }
    const fallback = await tx
      .updateTable('e2e_fallback_keys')
      .set({ used: 1 })
      .where('user_id', '=', userId)
      .where('device_id', '=', deviceId)
      .where('algorithm', '=', algorithm)
      .returning(['key_id', 'json'])
      .executeTakeFirst();
    return fallback && { algorithm, keyId: fallback.key_id, json: fallback.json, fallback: true };
  },

  /** Device ids of the user that hold keys here but are no longer devices (deleted, logged out). */
  async orphanedDevices(tx: Tx, userId: string): Promise<{ deviceId: string; hadDeviceKeys: boolean }[]> {
    const live = tx.selectFrom('devices').select('device_id').where('user_id', '=', userId);
    const out = new Map<string, boolean>();
    for (const table of ['e2e_device_keys', 'e2e_one_time_keys', 'e2e_fallback_keys'] as const) {
      const rows = await tx.selectFrom(table).select('device_id').distinct().where('user_id', '=', userId).where('device_id', 'not in', live).execute();
      for (const r of rows) out.set(r.device_id, (out.get(r.device_id) ?? false) || table === 'e2e_device_keys');
    }
    return [...out].map(([deviceId, hadDeviceKeys]) => ({ deviceId, hadDeviceKeys }));
  },

  /** Deletes every key of these devices, and the signatures made on their device keys. */
  async deleteDeviceKeys(tx: Tx, userId: string, deviceIds: readonly string[]): Promise<void> {
    if (deviceIds.length === 0) return;
    for (const table of ['e2e_device_keys', 'e2e_one_time_keys', 'e2e_fallback_keys'] as const) {
      await tx.deleteFrom(table).where('user_id', '=', userId).where('device_id', 'in', deviceIds).execute();
    }
    await tx.deleteFrom('e2e_signatures').where('target_user_id', '=', userId).where('target_key_id', 'in', deviceIds).execute();
  },

  async crossSigningKeys(tx: Tx, userIds: readonly string[]): Promise<CrossSigningRow[]> {
    if (userIds.length === 0) return [];
    return tx.selectFrom('e2e_cross_signing_keys').selectAll().where('user_id', 'in', userIds).execute();
  },

  async putCrossSigningKey(tx: Tx, row: CrossSigningRow): Promise<void> {
    await tx
      .insertInto('e2e_cross_signing_keys')
      .values(row)
      .onConflict((oc) => oc.columns(['user_id', 'usage']).doUpdateSet({ public_key: row.public_key, json: row.json }))
      .execute();
  },

  async deleteCrossSigningKeys(tx: Tx, userId: string, usages: readonly string[]): Promise<void> {
    if (usages.length === 0) return;
    await tx.deleteFrom('e2e_cross_signing_keys').where('user_id', '=', userId).where('usage', 'in', usages).execute();
  },

  /** Signatures on these keys of `targetUserId` made by any of `signers`. */
  async signaturesOn(tx: Tx, targetUserId: string, keyIds: readonly string[], signers: readonly string[]): Promise<SignatureRow[]> {
    if (keyIds.length === 0 || signers.length === 0) return [];
    return tx
      .selectFrom('e2e_signatures')
      .selectAll()
      .where('target_user_id', '=', targetUserId)
      .where('target_key_id', 'in', keyIds)
      .where('signer_user_id', 'in', signers)
      .execute();
  },

  async putSignatures(tx: Tx, rows: readonly SignatureRow[]): Promise<void> {
    for (const row of rows) {
      await tx
        .insertInto('e2e_signatures')
        .values(row)
        .onConflict((oc) => oc.columns(['target_user_id', 'target_key_id', 'signer_user_id', 'signer_key_id']).doUpdateSet({ signature: row.signature }))
        .execute();
    }
  },

  /** Drops the signatures on a user's key (a replaced master key loses what vouched for the old one). */
  async deleteSignaturesOn(tx: Tx, targetUserId: string, keyId: string): Promise<void> {
    await tx.deleteFrom('e2e_signatures').where('target_user_id', '=', targetUserId).where('target_key_id', '=', keyId).execute();
  },

  async markDeviceListChanged(tx: Tx, userId: string, ordering: number): Promise<void> {
    await tx.insertInto('e2e_device_list_changes').values({ user_id: userId, stream_ordering: ordering }).onConflict((oc) => oc.doNothing()).execute();
  },

  /** Each user's last device-list change position (users with none are left out). */
  async lastDeviceListChanges(tx: Tx, userIds: readonly string[]): Promise<Map<string, number>> {
    if (userIds.length === 0) return new Map();
    const rows = await tx
      .selectFrom('e2e_device_list_changes')
      .select(['user_id', (eb) => eb.fn.max('stream_ordering').as('last')])
      .where('user_id', 'in', userIds)
      .groupBy('user_id')
      .execute();
    return new Map(rows.map((r) => [r.user_id, Number(r.last)]));
  },

  /** Cached keys of other servers' users (decision 0032). */
  async remoteKeys(tx: Tx, userIds: readonly string[]): Promise<RemoteE2eKeysTable[]> {
    if (userIds.length === 0) return [];
    return tx.selectFrom('remote_e2e_keys').selectAll().where('user_id', 'in', userIds).execute();
  },

  async putRemoteKeys(tx: Tx, row: RemoteE2eKeysTable): Promise<void> {
    await tx
      .insertInto('remote_e2e_keys')
      .values(row)
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ as_of: row.as_of, json: row.json, fetched_ts: row.fetched_ts }))
      .execute();
  },

  /** The positions of `userId`'s last device-list changes before `before` (newest first). */
  async deviceListChangesOf(tx: Tx, userId: string, before: number, limit: number): Promise<number[]> {
    const rows = await tx
      .selectFrom('e2e_device_list_changes')
      .select('stream_ordering')
      .where('user_id', '=', userId)
      .where('stream_ordering', '<', before)
      .orderBy('stream_ordering', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => Number(r.stream_ordering));
  },

  /** Users whose device list changed after `after`, up to `upTo`. */
  async deviceListsChanged(tx: Tx, after: number, upTo: number): Promise<string[]> {
    if (upTo <= after) return [];
    const { rows } = await deviceListsChangedStatement(tx, { after, upTo });
    return rows.map((r) => r.user_id);
  },

  /** Of `candidates`, the users joined to a room `userId` is joined to. */
  async sharingARoom(tx: Tx, userId: string, candidates: readonly string[]): Promise<string[]> {
    if (candidates.length === 0) return [];
    const out: string[] = [];
    for (let i = 0; i < candidates.length; i += 500) {
      const rows = await tx
        .selectFrom('memberships as theirs')
        .innerJoin('memberships as mine', 'mine.room_id', 'theirs.room_id')
        .select('theirs.user_id')
        .distinct()
        .where('mine.user_id', '=', userId)
        .where('mine.membership', '=', 'join')
        .where('theirs.membership', '=', 'join')
        .where('theirs.user_id', 'in', candidates.slice(i, i + 500))
        .execute();
      out.push(...rows.map((r) => r.user_id));
    }
    return out;
  },

  /** Membership changes (user, membership) in these rooms after `after`, up to `upTo`. */
  async membershipChanges(tx: Tx, roomIds: readonly string[], after: number, upTo: number): Promise<{ roomId: string; userId: string; membership: string | null }[]> {
    if (roomIds.length === 0 || upTo <= after) return [];
    const { rows } = await membershipChangesStatement(tx, { roomIds, after, upTo });
    return rows.map((r) => ({ roomId: r.room_id, userId: r.state_key, membership: r.value }));
  },

  /** Users joined to any of these rooms. */
  async joinedMembers(tx: Tx, roomIds: readonly string[]): Promise<string[]> {
    if (roomIds.length === 0) return [];
    const rows = await tx.selectFrom('memberships').select('user_id').distinct().where('room_id', 'in', roomIds).where('membership', '=', 'join').execute();
    return rows.map((r) => r.user_id);
  },
};
