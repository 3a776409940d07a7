// Room state: the current state per (type, state_key), every state change in stream order (for
// state at a point of the timeline), and current memberships per user. Rows only.
// A key that leaves the current state (state resolution dropped it, decision 0043) leaves a
// tombstone in the history: a row whose event id is ABSENT ('') and value null, "absent from here
// on"; `stateAt` leaves such keys out, `changesBetween` and the membership readers return them.

import { PostgresAdapter, sql } from 'kysely';
import type { Tx } from './db.ts';
import type { MembershipsTable } from './schema.ts';
import { prepared } from './prepared.ts';

const visibilityHistoryStatement = prepared((tx, a: { roomId: string; userId: string }) =>
  tx
    .selectFrom('state_events')
    .select(['type', 'state_key', 'stream_ordering', 'value'])
    .where('room_id', '=', a.roomId)
    .where((eb) => eb.or([eb.and([eb('type', '=', 'm.room.member'), eb('state_key', '=', a.userId)]), eb('type', '=', 'm.room.history_visibility')]))
    .orderBy('stream_ordering'),
);
const membershipsOfUserStatement = prepared((tx, a: { userId: string }) => tx.selectFrom('memberships').selectAll().where('user_id', '=', a.userId).where('forgotten', '=', 0));

const stateEventIdStatement = prepared((tx, a: { roomId: string; type: string; stateKey: string }) =>
  tx.selectFrom('room_state').select('event_id').where('room_id', '=', a.roomId).where('type', '=', a.type).where('state_key', '=', a.stateKey),
);
/** Keys per current-state query: SQLite's expression depth limit is 1,000. */
const KEYS_PER_QUERY = 500;
const stateRefsStatement = prepared((tx, a: { roomId: string; keys: readonly (readonly [string, string])[] }) =>
  tx
    .selectFrom('room_state')
    .select(['type', 'state_key', 'event_id', 'stream_ordering'])
    .where('room_id', '=', a.roomId)
    .where((eb) => eb.or(a.keys.map(([t, k]) => eb.and([eb('type', '=', t), eb('state_key', '=', k)])))),
);
const membersStatement = prepared((tx, a: { roomId: string; membership?: string | undefined }) => {
  let q = tx.selectFrom('memberships').selectAll().where('room_id', '=', a.roomId);
  if (a.membership !== undefined) q = q.where('membership', '=', a.membership);
  return q.orderBy('user_id');
});

export interface StateRef {
  type: string;
  stateKey: string;
  eventId: string;
  ordering: number;
}

export interface StateHistoryRow {
  type: string;
  stateKey: string;
  ordering: number;
  value: string | null;
}

export type MembershipRow = MembershipsTable;

/** The event id of a state-history tombstone (no event id is empty). */
export const ABSENT = '';

export const stateStore = {
  async currentState(tx: Tx, roomId: string): Promise<StateRef[]> {
    const rows = await tx.selectFrom('room_state').select(['type', 'state_key', 'event_id', 'stream_ordering']).where('room_id', '=', roomId).execute();
    return rows.map((r) => ({ type: r.type, stateKey: r.state_key, eventId: r.event_id, ordering: r.stream_ordering }));
  },

  async currentStateEventId(tx: Tx, roomId: string, type: string, stateKey: string): Promise<string | undefined> {
    return (await stateEventIdStatement(tx, { roomId, type, stateKey })).rows[0]?.event_id;
  },

  /** Current state for several (type, state_key) pairs at once (in chunks: SQLite refuses an
   *  `or` of more than 1,000 terms, and a push to a big room asks for every member's event). */
  async currentStateRefs(tx: Tx, roomId: string, keys: readonly (readonly [string, string])[]): Promise<StateRef[]> {
    const out: StateRef[] = [];
    for (let i = 0; i < keys.length; i += KEYS_PER_QUERY) {
      const { rows } = await stateRefsStatement(tx, { roomId, keys: keys.slice(i, i + KEYS_PER_QUERY) });
      for (const r of rows) out.push({ type: r.type, stateKey: r.state_key, eventId: r.event_id, ordering: r.stream_ordering });
    }
    return out;
  },

  async setCurrent(tx: Tx, roomId: string, type: string, stateKey: string, eventId: string, ordering: number): Promise<void> {
    await tx
      .insertInto('room_state')
      .values({ room_id: roomId, type, state_key: stateKey, event_id: eventId, stream_ordering: ordering })
      .onConflict((oc) => oc.columns(['room_id', 'type', 'state_key']).doUpdateSet({ event_id: eventId, stream_ordering: ordering }))
      .execute();
  },

  /** The key leaves the current state (its history gets a tombstone from the caller). */
  async removeCurrent(tx: Tx, roomId: string, type: string, stateKey: string): Promise<void> {
    await tx.deleteFrom('room_state').where('room_id', '=', roomId).where('type', '=', type).where('state_key', '=', stateKey).execute();
  },

  async appendHistory(tx: Tx, roomId: string, type: string, stateKey: string, ordering: number, eventId: string, value: string | null): Promise<void> {
    await tx.insertInto('state_events').values({ room_id: roomId, type, state_key: stateKey, stream_ordering: ordering, event_id: eventId, value }).execute();
  },

  /** The state of a room as it was at `ordering` (inclusive): one event id per (type, state_key). */
  async stateAt(tx: Tx, roomId: string, ordering: number): Promise<StateRef[]> {
    const rows = await tx
      .selectFrom('state_events as s')
      .innerJoin(
        (eb) =>
          eb
            .selectFrom('state_events')
            .select(['type', 'state_key'])
            .select((e) => e.fn.max('stream_ordering').as('pos'))
            .where('room_id', '=', roomId)
            .where('stream_ordering', '<=', ordering)
            .groupBy(['type', 'state_key'])
            .as('m'),
        (join) => join.onRef('m.type', '=', 's.type').onRef('m.state_key', '=', 's.state_key').onRef('m.pos', '=', 's.stream_ordering'),
      )
      .select(['s.type', 's.state_key', 's.event_id', 's.stream_ordering'])
      .where('s.room_id', '=', roomId)
      .where('s.event_id', '!=', ABSENT)
      .execute();
    return rows.map((r) => ({ type: r.type, stateKey: r.state_key, eventId: r.event_id, ordering: r.stream_ordering }));
  },

  /** State changes with after < ordering ≤ upTo (a tombstone's eventId is ABSENT). */
  async changesBetween(tx: Tx, roomId: string, after: number, upTo: number): Promise<StateRef[]> {
    const rows = await tx
      .selectFrom('state_events')
      .select(['type', 'state_key', 'event_id', 'stream_ordering'])
      .where('room_id', '=', roomId)
      .where('stream_ordering', '>', after)
      .where('stream_ordering', '<=', upTo)
      .orderBy('stream_ordering')
      .execute();
    return rows.map((r) => ({ type: r.type, stateKey: r.state_key, eventId: r.event_id, ordering: r.stream_ordering }));
  },

  /** `stateAt` of many rooms, each at its own position (an initial /sync), by room: on PostgreSQL
   *  one query per 500 rooms (a lateral join, the same grouping per room); on SQLite, in-process,
   *  the per-room query itself. */
  async stateAtIn(tx: Tx, points: readonly { roomId: string; at: number }[]): Promise<Map<string, StateRef[]>> {
    const out = new Map<string, StateRef[]>(points.map((p) => [p.roomId, []]));
    if (!(tx.getExecutor().adapter instanceof PostgresAdapter)) {
      for (const p of points) out.set(p.roomId, await this.stateAt(tx, p.roomId, p.at));
      return out;
    }
    for (let i = 0; i < points.length; i += 500) {
      const chunk = points.slice(i, i + 500);
      const { rows } = await sql<{ room_id: string; type: string; state_key: string; event_id: string; stream_ordering: number | string }>`
        select r.id as room_id, x.type, x.state_key, x.event_id, x.stream_ordering
        from unnest(${chunk.map((p) => p.roomId)}::text[], ${chunk.map((p) => p.at)}::bigint[]) as r(id, at)
        cross join lateral (
          select s.type, s.state_key, s.event_id, s.stream_ordering from state_events s
          join (select type, state_key, max(stream_ordering) as pos from state_events where room_id = r.id and stream_ordering <= r.at group by type, state_key) m
            on m.type = s.type and m.state_key = s.state_key and m.pos = s.stream_ordering
          where s.room_id = r.id and s.event_id <> ${ABSENT}
        ) as x`.execute(tx);
      for (const r of rows) out.get(r.room_id)?.push({ type: r.type, stateKey: r.state_key, eventId: r.event_id, ordering: Number(r.stream_ordering) });
    }
    return out;
  },

  /** `changesBetween` of many rooms, each over its own span (an initial /sync), by room: on
   *  PostgreSQL one query per 500 rooms; on SQLite the per-room query itself. */
  async changesBetweenIn(tx: Tx, spans: readonly { roomId: string; after: number; upTo: number }[]): Promise<Map<string, StateRef[]>> {
    const out = new Map<string, StateRef[]>(spans.map((p) => [p.roomId, []]));
    if (!(tx.getExecutor().adapter instanceof PostgresAdapter)) {
      for (const p of spans) out.set(p.roomId, await this.changesBetween(tx, p.roomId, p.after, p.upTo));
      return out;
    }
    for (let i = 0; i < spans.length; i += 500) {
      const chunk = spans.slice(i, i + 500);
      const { rows } = await sql<{ room_id: string; type: string; state_key: string; event_id: string; stream_ordering: number | string }>`
        select s.room_id, s.type, s.state_key, s.event_id, s.stream_ordering
        from unnest(${chunk.map((p) => p.roomId)}::text[], ${chunk.map((p) => p.after)}::bigint[], ${chunk.map((p) => p.upTo)}::bigint[]) as r(id, after, up_to)
        join state_events s on s.room_id = r.id and s.stream_ordering > r.after and s.stream_ordering <= r.up_to
        order by s.room_id, s.stream_ordering`.execute(tx);
      for (const r of rows) out.get(r.room_id)?.push({ type: r.type, stateKey: r.state_key, eventId: r.event_id, ordering: Number(r.stream_ordering) });
    }
    return out;
  },

  /** A viewer's membership changes and the room's history-visibility changes, in order. */
  async visibilityHistory(tx: Tx, roomId: string, userId: string): Promise<StateHistoryRow[]> {
    const { rows } = await visibilityHistoryStatement(tx, { roomId, userId });
    return rows.map((r) => ({ type: r.type, stateKey: r.state_key, ordering: r.stream_ordering, value: r.value }));
  },

  /** `visibilityHistory` of many rooms at once (an initial /sync), by room. */
  async visibilityHistories(tx: Tx, roomIds: readonly string[], userId: string): Promise<Map<string, StateHistoryRow[]>> {
    const out = new Map<string, StateHistoryRow[]>(roomIds.map((id) => [id, []]));
    for (let i = 0; i < roomIds.length; i += 500) {
      const rows = await tx
        .selectFrom('state_events')
        .select(['room_id', 'type', 'state_key', 'stream_ordering', 'value'])
        .where('room_id', 'in', roomIds.slice(i, i + 500))
        .where((eb) => eb.or([eb.and([eb('type', '=', 'm.room.member'), eb('state_key', '=', userId)]), eb('type', '=', 'm.room.history_visibility')]))
        .orderBy('room_id')
        .orderBy('stream_ordering')
        .execute();
      for (const r of rows) out.get(r.room_id)?.push({ type: r.type, stateKey: r.state_key, ordering: r.stream_ordering, value: r.value });
    }
    return out;
  },

  /** The newest position of the user's membership in any of these rooms (0: none). */
  async newestMembershipOf(tx: Tx, userId: string, roomIds: readonly string[]): Promise<number> {
    if (roomIds.length === 0) return 0;
    const row = await tx
      .selectFrom('memberships')
      .select((eb) => eb.fn.max('stream_ordering').as('newest'))
      .where('user_id', '=', userId)
      .where('room_id', 'in', roomIds)
      .executeTakeFirst();
    return Number(row?.newest ?? 0);
  },

  /** The membership event a user had in a room just before position `before`. */
  async membershipBefore(tx: Tx, roomId: string, userId: string, before: number): Promise<{ eventId: string; membership: string | null } | undefined> {
    const row = await tx
      .selectFrom('state_events')
      .select(['event_id', 'value'])
      .where('room_id', '=', roomId)
      .where('type', '=', 'm.room.member')
      .where('state_key', '=', userId)
      .where('stream_ordering', '<', before)
      .orderBy('stream_ordering', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && { eventId: row.event_id, membership: row.value };
  },

  /** The newest position at which any of these state types changed in any of these rooms (0: never). */
  async newestChange(tx: Tx, roomIds: readonly string[], types: readonly string[]): Promise<number> {
    if (roomIds.length === 0) return 0;
    const row = await tx
      .selectFrom('state_events')
      .select((eb) => eb.fn.max('stream_ordering').as('pos'))
      .where('room_id', 'in', roomIds.slice(0, 500))
      .where('type', 'in', types)
      .executeTakeFirst();
    return Number(row?.pos ?? 0);
  },

  /** Current state events of these types in these rooms (policy rules). */
  async currentOfTypes(tx: Tx, roomIds: readonly string[], types: readonly string[]): Promise<StateRef[]> {
    if (roomIds.length === 0) return [];
    const rows = await tx
      .selectFrom('room_state')
      .select(['type', 'state_key', 'event_id', 'stream_ordering'])
      .where('room_id', 'in', roomIds.slice(0, 500))
      .where('type', 'in', types)
      .execute();
    return rows.map((r) => ({ type: r.type, stateKey: r.state_key, eventId: r.event_id, ordering: r.stream_ordering }));
  },

  async upsertMembership(tx: Tx, row: Omit<MembershipRow, 'forgotten'>): Promise<void> {
    await tx
      .insertInto('memberships')
      .values({ ...row, forgotten: 0 })
      .onConflict((oc) =>
        oc.columns(['room_id', 'user_id']).doUpdateSet({
          membership: row.membership,
          event_id: row.event_id,
          stream_ordering: row.stream_ordering,
          sender: row.sender,
          forgotten: 0,
        }),
      )
      .execute();
  },

  async membership(tx: Tx, roomId: string, userId: string): Promise<MembershipRow | undefined> {
    return tx.selectFrom('memberships').selectAll().where('room_id', '=', roomId).where('user_id', '=', userId).executeTakeFirst();
  },

  async membershipsOfUser(tx: Tx, userId: string): Promise<MembershipRow[]> {
    return (await membershipsOfUserStatement(tx, { userId })).rows;
  },

  async members(tx: Tx, roomId: string, membership?: string): Promise<MembershipRow[]> {
    return (await membersStatement(tx, { roomId, membership })).rows;
  },

  /** Every membership row of many rooms at once (an initial /sync), by room, each ordered by user. */
  async membersOfRooms(tx: Tx, roomIds: readonly string[]): Promise<Map<string, MembershipRow[]>> {
    const out = new Map<string, MembershipRow[]>(roomIds.map((id) => [id, []]));
    for (let i = 0; i < roomIds.length; i += 500) {
      const rows = await tx.selectFrom('memberships').selectAll().where('room_id', 'in', roomIds.slice(i, i + 500)).orderBy('room_id').orderBy('user_id').execute();
      for (const row of rows) out.get(row.room_id)?.push(row);
    }
    return out;
  },

  async forget(tx: Tx, roomId: string, userId: string): Promise<void> {
    await tx.updateTable('memberships').set({ forgotten: 1 }).where('room_id', '=', roomId).where('user_id', '=', userId).execute();
  },

  /** Whether two users are both joined to at least one common room. */
  async shareRoom(tx: Tx, a: string, b: string): Promise<boolean> {
    const row = await tx
      .selectFrom('memberships as m1')
      .innerJoin('memberships as m2', 'm1.room_id', 'm2.room_id')
      .select('m1.room_id')
      .where('m1.user_id', '=', a)
      .where('m1.membership', '=', 'join')
      .where('m2.user_id', '=', b)
      .where('m2.membership', '=', 'join')
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  },

  /** MSC4494: whether both users are joined to a common room whose join rule is not `public` (a room
   *  without a join-rules event counts as not public). One indexed query. */
  async sharesNonPublicRoom(tx: Tx, a: string, b: string): Promise<boolean> {
    const row = await tx
      .selectFrom('memberships as m1')
      .innerJoin('memberships as m2', 'm1.room_id', 'm2.room_id')
      .leftJoin('room_state as rs', (j) => j.onRef('rs.room_id', '=', 'm1.room_id').on('rs.type', '=', 'm.room.join_rules').on('rs.state_key', '=', ''))
      .leftJoin('state_events as se', (j) =>
        j.onRef('se.room_id', '=', 'rs.room_id').onRef('se.type', '=', 'rs.type').onRef('se.state_key', '=', 'rs.state_key').onRef('se.stream_ordering', '=', 'rs.stream_ordering'),
      )
      .select('m1.room_id')
      .where('m1.user_id', '=', a)
      .where('m1.membership', '=', 'join')
      .where('m2.user_id', '=', b)
      .where('m2.membership', '=', 'join')
      .where((w) => w.or([w('se.value', 'is', null), w('se.value', '!=', 'public')]))
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  },
};
