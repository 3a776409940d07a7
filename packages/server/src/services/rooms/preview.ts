// Who may preview a room without being in it, and what a preview shows (definitions/room_summary.yaml):
// shared by the space hierarchy and the room summary. A room the requester may not preview is
// never described — not its name, not even whether it exists.

import { notFound, type JsonObject, type api } from '@hush/protocol';
import type { Db, Tx } from '../../storage/db.ts';
import { eventsStore, type EventRow } from '../../storage/events.store.ts';
import { roomsStore } from '../../storage/rooms.store.ts';
import { stateStore } from '../../storage/state.store.ts';
import { parsePdu } from '../events/format.ts';

const PREVIEW_STATE = [
  'm.room.create',
  'm.room.join_rules',
  'm.room.history_visibility',
  'm.room.guest_access',
  'm.room.name',
  'm.room.topic',
  'm.room.avatar',
  'm.room.canonical_alias',
  'm.room.encryption',
] as const;

/** The current state a preview is made of, by type (state key ''). */
export interface PreviewState {
  roomId: string;
  roomVersion: string;
  content: Map<string, JsonObject>;
}

export async function loadPreviewState(tx: Tx, roomId: string): Promise<PreviewState | undefined> {
  const room = await roomsStore.getRoom(tx, roomId);
  if (!room) return undefined;
  const refs = await stateStore.currentStateRefs(tx, roomId, PREVIEW_STATE.map((t) => [t, ''] as const));
  const content = new Map<string, JsonObject>();
  for (const row of await eventsStore.byIds(tx, refs.map((r) => r.eventId))) content.set(row.type, parsePdu(row).content);
  return { roomId, roomVersion: room.room_version, content };
}

const str = (c: JsonObject | undefined, key: string): string | undefined => {
  const v = c?.[key];
  return typeof v === 'string' ? v : undefined;
};

/** Rooms named by a restricted join rule's `m.room_membership` conditions. */
function allowedRoomIds(s: PreviewState): string[] {
  const allow = s.content.get('m.room.join_rules')?.['allow'];
  if (!Array.isArray(allow)) return [];
  return allow.flatMap((a) =>
    a && typeof a === 'object' && !Array.isArray(a) && a['type'] === 'm.room_membership' && typeof a['room_id'] === 'string' ? [a['room_id']] : [],
  );
}

/** May the requester preview the room, and what is their membership (if any)? */
export interface PreviewAccess {
  may: boolean;
  membership: string | undefined;
}

/**
 * May `userId` (undefined: an unauthenticated client) preview the room? Yes when they are joined,
 * invited or knocking, when the join rule is public or knockable, when they meet a restricted
 * rule's condition, or when the history is world_readable (space_hierarchy.yaml's list).
 */
export async function previewAccess(tx: Tx, s: PreviewState, userId: string | undefined): Promise<PreviewAccess> {
  const membership = userId === undefined ? undefined : (await stateStore.membership(tx, s.roomId, userId))?.membership;
  const rule = str(s.content.get('m.room.join_rules'), 'join_rule');
  if (rule === 'public' || rule === 'knock' || rule === 'knock_restricted') return { may: true, membership };
  if (str(s.content.get('m.room.history_visibility'), 'history_visibility') === 'world_readable') return { may: true, membership };
  if (membership === 'join' || membership === 'invite' || membership === 'knock') return { may: true, membership };
  if (userId !== undefined && rule === 'restricted') {
    for (const other of allowedRoomIds(s)) if ((await stateStore.membership(tx, other, userId))?.membership === 'join') return { may: true, membership };
  }
  return { may: false, membership };
}

/** The summary of a room the requester may preview. */
export async function previewOf(tx: Tx, s: PreviewState): Promise<api.RoomPreview> {
  const joined = await stateStore.members(tx, s.roomId, 'join');
  const out: api.RoomPreview = {
    room_id: s.roomId,
    num_joined_members: joined.length,
    world_readable: str(s.content.get('m.room.history_visibility'), 'history_visibility') === 'world_readable',
    guest_can_join: str(s.content.get('m.room.guest_access'), 'guest_access') === 'can_join',
    room_version: s.roomVersion,
  };
  const name = str(s.content.get('m.room.name'), 'name');
  if (name !== undefined) out.name = name;
  const topic = str(s.content.get('m.room.topic'), 'topic');
  if (topic !== undefined) out.topic = topic;
  const avatar = str(s.content.get('m.room.avatar'), 'url');
  if (avatar?.startsWith('mxc://')) out.avatar_url = avatar;
  const alias = str(s.content.get('m.room.canonical_alias'), 'alias');
  if (alias?.startsWith('#')) out.canonical_alias = alias;
  const rule = str(s.content.get('m.room.join_rules'), 'join_rule');
  if (rule !== undefined) out.join_rule = rule;
  const type = str(s.content.get('m.room.create'), 'type');
  if (type !== undefined) out.room_type = type;
  if (rule === 'restricted' || rule === 'knock_restricted') out.allowed_room_ids = allowedRoomIds(s);
  if (str(s.content.get('m.room.encryption'), 'algorithm') === 'm.megolm.v1.aes-sha2') out.encryption = 'm.megolm.v1.aes-sha2';
  return out;
}

/** The room's current state events of one type (m.space.child), oldest first. */
export async function currentStateOfType(tx: Tx, roomId: string, type: string): Promise<EventRow[]> {
  const refs = await stateStore.currentOfTypes(tx, [roomId], [type]);
  const rows = await eventsStore.byIds(tx, refs.map((r) => r.eventId));
  return rows.sort((a, b) => a.stream_ordering - b.stream_ordering);
}

type Membership = 'invite' | 'join' | 'knock' | 'leave' | 'ban';

/** GET /room_summary (v1.15): the summary, with the requester's membership when they have one;
 *  404 M_NOT_FOUND — as for a room that does not exist — when they may not preview it. */
export async function roomSummary(db: Db, roomId: string, userId: string | undefined): Promise<api.RoomPreview & { membership?: Membership }> {
  return db.transaction().execute(async (tx) => {
    const state = await loadPreviewState(tx, roomId);
    const access = state && (await previewAccess(tx, state, userId));
    if (!state || !access?.may) throw notFound('Room not found');
    const summary: api.RoomPreview & { membership?: Membership } = await previewOf(tx, state);
    const m = access.membership;
    if (m === 'invite' || m === 'join' || m === 'knock' || m === 'leave' || m === 'ban') summary.membership = m;
    return summary;
  });
}
