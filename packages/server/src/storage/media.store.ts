// Media metadata rows (table `media`): who uploaded what, when, its content hash, size, type and
// name (another server's media too, cached: see putRemote). Rows only; the bytes are in
// media-files.ts, the rules (quota, async uploads) in the service.

import { PostgresAdapter, sql } from 'kysely';
import type { Tx } from './db.ts';
import type { MediaTable } from './schema.ts';

export interface MediaContent {
  sha256: string;
  size: number;
  contentType: string;
  uploadName: string | null;
  uploadedTs: number;
}

export interface MediaRow {
  mediaId: string;
  userId: string;
  createdTs: number;
  /** Set while the id waits for its async upload. */
  unusedExpiresTs: number | null;
  /** Another server's cached media: when it was last served (null: never recorded). */
  lastAccessTs: number | null;
  /** Undefined until the bytes are there. */
  content: MediaContent | undefined;
}

function toRow(r: MediaTable): MediaRow {
  return {
    mediaId: r.media_id,
    userId: r.user_id,
    createdTs: Number(r.created_ts),
    unusedExpiresTs: r.unused_expires_ts === null ? null : Number(r.unused_expires_ts),
    lastAccessTs: r.last_access_ts === null ? null : Number(r.last_access_ts),
    content:
      r.sha256 === null
        ? undefined
        : { sha256: r.sha256, size: Number(r.size ?? 0), contentType: r.content_type ?? 'application/octet-stream', uploadName: r.upload_name, uploadedTs: Number(r.uploaded_ts ?? 0) },
  };
}

export const mediaStore = {
  async get(tx: Tx, mediaId: string): Promise<MediaRow | undefined> {
    const r = await tx.selectFrom('media').selectAll().where('media_id', '=', mediaId).executeTakeFirst();
    return r ? toRow(r) : undefined;
  },

  /** On PostgreSQL, holds the user's row until commit: one quota decision per user at a time
   *  (SQLite serialises writers anyway). */
  async lockUser(tx: Tx, userId: string): Promise<void> {
    if (!(tx.getExecutor().adapter instanceof PostgresAdapter)) return;
    await tx.selectFrom('users').select('user_id').where('user_id', '=', userId).forUpdate().execute();
  },

  /** Bytes of every finished upload of the user. */
  async usedBytes(tx: Tx, userId: string): Promise<number> {
    const r = await tx
      .selectFrom('media')
      .select(sql<number | string | null>`sum(size)`.as('n'))
      .where('user_id', '=', userId)
      .where('sha256', 'is not', null)
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  },

  /** Created ids still waiting for their bytes and not yet expired. */
  async pendingCount(tx: Tx, userId: string, now: number): Promise<number> {
    const r = await tx
      .selectFrom('media')
      .select(sql<number | string>`count(*)`.as('n'))
      .where('user_id', '=', userId)
      .where('sha256', 'is', null)
      .where('unused_expires_ts', '>', now)
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  },

  async insertUploaded(tx: Tx, mediaId: string, userId: string, c: MediaContent): Promise<void> {
    await tx
      .insertInto('media')
      .values({
        media_id: mediaId,
        user_id: userId,
        created_ts: c.uploadedTs,
        unused_expires_ts: null,
        uploaded_ts: c.uploadedTs,
        last_access_ts: null,
        sha256: c.sha256,
        size: c.size,
        content_type: c.contentType,
        upload_name: c.uploadName,
      })
      .execute();
  },

  async insertPending(tx: Tx, mediaId: string, userId: string, createdTs: number, expiresTs: number): Promise<void> {
    await tx
      .insertInto('media')
      .values({
        media_id: mediaId,
        user_id: userId,
        created_ts: createdTs,
        unused_expires_ts: expiresTs,
        uploaded_ts: null,
        last_access_ts: null,
        sha256: null,
        size: null,
        content_type: null,
        upload_name: null,
      })
      .execute();
  },

  /** Fills a pending id; false when it already has content (another upload won) or has expired. */
  async completePending(tx: Tx, mediaId: string, c: MediaContent): Promise<boolean> {
    const res = await tx
      .updateTable('media')
      .set({ sha256: c.sha256, size: c.size, content_type: c.contentType, upload_name: c.uploadName, uploaded_ts: c.uploadedTs, unused_expires_ts: null })
      .where('media_id', '=', mediaId)
      .where('sha256', 'is', null)
      .where('unused_expires_ts', '>', c.uploadedTs)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  },

  /** Another server's media cached here (key `<server>/<mediaId>`, user_id the server name): a
   *  second fetch of the same media replaces the first. */
  async putRemote(tx: Tx, key: string, serverName: string, c: MediaContent): Promise<void> {
    const values = { sha256: c.sha256, size: c.size, content_type: c.contentType, upload_name: c.uploadName, uploaded_ts: c.uploadedTs, last_access_ts: c.uploadedTs };
    await tx
      .insertInto('media')
      .values({ media_id: key, user_id: serverName, created_ts: c.uploadedTs, unused_expires_ts: null, ...values })
      .onConflict((oc) => oc.column('media_id').doUpdateSet(values))
      .execute();
  },

  /** Another server's cached media served again: its last use moves to `now` when it is older than
   *  `staleBefore` (a write per use at most that often). */
  async touchRemote(tx: Tx, key: string, now: number, staleBefore: number): Promise<void> {
    await tx
      .updateTable('media')
      .set({ last_access_ts: now })
      .where('media_id', '=', key)
      .where((eb) => eb.or([eb('last_access_ts', 'is', null), eb('last_access_ts', '<', staleBefore)]))
      .execute();
  },

  /** Bytes of every cached remote media row (a file two rows share counts twice). */
  async remoteBytes(tx: Tx): Promise<number> {
    const r = await tx.selectFrom('media').select(sql<number | string | null>`sum(size)`.as('n')).where('media_id', 'like', '%/%').executeTakeFirst();
    return Number(r?.n ?? 0);
  },

  /** The least recently used cached remote media, oldest first. */
  async leastRecentRemote(tx: Tx, limit: number): Promise<{ key: string; sha256: string | null; size: number; lastAccessTs: number }[]> {
    const rows = await tx
      .selectFrom('media')
      .select(['media_id', 'sha256', 'size', sql<number | string>`coalesce(last_access_ts, uploaded_ts, created_ts)`.as('used')])
      .where('media_id', 'like', '%/%')
      .orderBy(sql`coalesce(last_access_ts, uploaded_ts, created_ts)`)
      .orderBy('media_id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ key: r.media_id, sha256: r.sha256, size: Number(r.size ?? 0), lastAccessTs: Number(r.used) }));
  },

  /** Drops a cached remote row unless it was used after `usedAtMost` meanwhile; true when dropped.
   *  Never a local upload: local media ids hold no `/`. */
  async deleteRemote(tx: Tx, key: string, usedAtMost: number): Promise<boolean> {
    if (!key.includes('/')) return false;
    const res = await tx
      .deleteFrom('media')
      .where('media_id', '=', key)
      .where(sql<boolean>`coalesce(last_access_ts, uploaded_ts, created_ts) <= ${usedAtMost}`)
      .executeTakeFirst();
    return Number(res.numDeletedRows) === 1;
  },

  /** Whether any row (local or remote) but `except` has these bytes. */
  async contentInUse(tx: Tx, sha256: string, except: string): Promise<boolean> {
    const r = await tx.selectFrom('media').select('media_id').where('sha256', '=', sha256).where('media_id', '!=', except).limit(1).executeTakeFirst();
    return r !== undefined;
  },

  /** Forgets ids whose upload never came before their deadline. */
  async deleteExpired(tx: Tx, now: number): Promise<number> {
    const res = await tx.deleteFrom('media').where('sha256', 'is', null).where('unused_expires_ts', '<=', now).executeTakeFirst();
    return Number(res.numDeletedRows);
  },
};
