// Presence rows (spec "Presence"): each user's state, status message and last activity, with the
// stream position of their last change. Rows only: who may see whose presence is the services' call.

import { sql } from 'kysely';
import type { Tx } from './db.ts';
import type { PresenceTable } from './schema.ts';
import { prepared } from './prepared.ts';

const changedForViewerStatement = prepared((tx, a: { viewer: string; after: number; upTo: number }) =>
  tx
    .selectFrom('presence as p')
    .selectAll('p')
    .where('p.stream_ordering', '>', a.after)
    .where('p.stream_ordering', '<=', a.upTo)
    .where((eb) =>
      eb.or([
        eb('p.user_id', '=', a.viewer),
        eb.exists(
          eb
            .selectFrom('memberships as theirs')
            .innerJoin('memberships as mine', 'mine.room_id', 'theirs.room_id')
            .select(sql`1`.as('one'))
            .whereRef('theirs.user_id', '=', 'p.user_id')
            .where('theirs.membership', '=', 'join')
            .where('mine.user_id', '=', a.viewer)
            .where('mine.membership', '=', 'join'),
        ),
      ]),
    )
    .orderBy('p.stream_ordering'),
);

export type PresenceRow = PresenceTable;

const presenceOfStatement = prepared((tx, a: { userId: string }) => tx.selectFrom('presence').selectAll().where('user_id', '=', a.userId));

export const presenceStore = {
  async get(tx: Tx, userId: string): Promise<PresenceRow | undefined> {
    const row = (await presenceOfStatement(tx, { userId })).rows[0];
    return row && { ...row, last_active_ts: Number(row.last_active_ts), stream_ordering: Number(row.stream_ordering) };
  },

  async put(tx: Tx, row: PresenceRow): Promise<void> {
    const { presence, status_msg, last_active_ts, stream_ordering } = row;
    await tx
      .insertInto('presence')
      .values(row)
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ presence, status_msg, last_active_ts, stream_ordering }))
      .execute();
  },

  /** Changes after `after` up to `upTo` of users who share a joined room with `viewer` (the viewer
   *  included), oldest first. */
  async changedForViewer(tx: Tx, viewer: string, after: number, upTo: number): Promise<PresenceRow[]> {
    const { rows } = await changedForViewerStatement(tx, { viewer, after, upTo });
    return rows.map((r) => ({ ...r, last_active_ts: Number(r.last_active_ts), stream_ordering: Number(r.stream_ordering) }));
  },
};
