// Who may preview a room without being in it, and what a preview shows (definitions/room_summary.yaml):
// shared by the space hierarchy and the room summary. A room the requester may not preview is
// never described — not its name, not even whether it exists. A room we do not hold is described by
// a server that does (the federation hierarchy, decision 0039), judged for the requester here by
// the same rules; and the viewer's ignore lists hide rooms through the policy (policy/shown.ts).

import { notFound, serverNameOf, type JsonObject, type UserId, type api } from '@hush/protocol';
import type { Db, Tx } from '../../storage/db.ts';
import { eventsStore, type EventRow } from '../../storage/events.store.ts';
import { roomsStore } from '../../storage/rooms.store.ts';
import { stateStore } from '../../storage/state.store.ts';
import { parsePdu } from '../events/format.ts';
import type { IgnoreViews } from '../../policy/ignore-lists.ts';
import { shownPreview } from '../../policy/shown.ts';

/** One room of a hierarchy: its summary and its `m.space.child` events. */
export type HierarchyEntry = api.SpaceHierarchyResponse['rooms'][number];

/** A space (or room) as another server describes it: the room and its direct children. */
export interface RemoteSpace {
  room: HierarchyEntry;
  children: HierarchyEntry[];
}

/** How long one client request may spend asking other servers, in all. */
export const REMOTE_BUDGET_MS = 20_000;

/** Other servers' hierarchies (federation/outbound/directory.ts), when federation is on. */
export interface RemoteHierarchy {
  /** The room and its children as one of `servers` describes them, checked; undefined when none
   *  answers (by `deadline`, a time in ms, when given). */
  space(roomId: string, servers: readonly string[], suggestedOnly: boolean, deadline?: number): Promise<RemoteSpace | undefined>;
}

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
  /** The sender of the room's create event (undefined: we do not hold it, e.g. an invite only). */
  creator: string | undefined;
}

export async function loadPreviewState(tx: Tx, roomId: string): Promise<PreviewState | undefined> {
  const room = await roomsStore.getRoom(tx, roomId);
  if (!room) return undefined;
  const refs = await stateStore.currentStateRefs(tx, roomId, PREVIEW_STATE.map((t) => [t, ''] as const));
  const content = new Map<string, JsonObject>();
  let creator: string | undefined;
  for (const row of await eventsStore.byIds(tx, refs.map((r) => r.eventId))) {
    const pdu = parsePdu(row);
    content.set(row.type, pdu.content);
    if (row.type === 'm.room.create') creator = pdu.sender;
  }
  return { roomId, roomVersion: room.room_version, content, creator };
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

/** Whether we describe the room from our own copy: we hold its create event and, when another
 *  server could describe it (`remote`), a user of ours is joined (else our copy may be stale). */
export async function heldHere(tx: Tx, s: PreviewState | undefined, serverName: string, remote: boolean): Promise<boolean> {
  if (!s?.content.has('m.room.create')) return false;
  if (!remote) return true;
  return (await stateStore.members(tx, s.roomId, 'join')).some((m) => serverNameOf(m.user_id as UserId) === serverName);
}

/** May `userId` preview a room another server described (it answered for our server, not for the
 *  user): the same list as previewAccess, from the summary — a public or knockable rule,
 *  world_readable history, a membership we hold, or a restricted rule's room the user is joined to. */
export async function remotePreviewAccess(tx: Tx, room: api.RoomPreview, userId: string | undefined): Promise<PreviewAccess> {
  const membership = userId === undefined ? undefined : (await stateStore.membership(tx, room.room_id, userId))?.membership;
  const rule = room.join_rule;
  if (rule === 'public' || rule === 'knock' || rule === 'knock_restricted' || room.world_readable) return { may: true, membership };
  if (membership === 'join' || membership === 'invite' || membership === 'knock') return { may: true, membership };
  if (userId !== undefined && rule === 'restricted') {
    for (const other of room.allowed_room_ids ?? []) if ((await stateStore.membership(tx, other, userId))?.membership === 'join') return { may: true, membership };
  }
  return { may: false, membership };
}

/** The servers worth asking about a room: those given, then the one in its id. */
export function serversFor(roomId: string, via: readonly string[]): string[] {
  const colon = roomId.indexOf(':');
  return [...via, ...(colon > 0 ? [roomId.slice(colon + 1)] : [])];
}

type Membership = 'invite' | 'join' | 'knock' | 'leave' | 'ban';
type Summary = api.RoomPreview & { membership?: Membership };

function withMembership(summary: Summary, m: string | undefined): Summary {
  if (m === 'invite' || m === 'join' || m === 'knock' || m === 'leave' || m === 'ban') summary.membership = m;
  return summary;
}

/** GET /room_summary (v1.15): the summary, with the requester's membership when they have one;
 *  404 M_NOT_FOUND — as for a room that does not exist — when they may not preview it or their
 *  lists ignore the room (decision 0039). A room we do not hold is asked of `via` and the server in
 *  its id, through the federation hierarchy, when `remote` is given. */
export async function roomSummary(
  db: Db,
  roomId: string,
  userId: string | undefined,
  opts: { ignoreViews: IgnoreViews; serverName?: string; remote?: RemoteHierarchy | null; via?: readonly string[] },
): Promise<Summary> {
  const remote = opts.remote ?? null;
  const local = await db.transaction().execute(async (tx) => {
    const state = await loadPreviewState(tx, roomId);
    if (!(await heldHere(tx, state, opts.serverName ?? '', remote !== null)) || !state) return undefined;
    const access = await previewAccess(tx, state, userId);
    const view = userId === undefined ? undefined : await opts.ignoreViews.load(tx, userId);
    const shown = access.may && shownPreview(view, await previewOf(tx, state), { creator: state.creator, joined: access.membership === 'join' });
    if (!shown) throw notFound('Room not found');
    return withMembership({ ...shown }, access.membership);
  });
  if (local) return local;
  const described = remote ? await remote.space(roomId, serversFor(roomId, opts.via ?? []), false, Date.now() + REMOTE_BUDGET_MS) : undefined;
  if (!described) {
    // Nobody else answered: our own copy, if we have one (a room everyone here left).
    if (remote) return roomSummary(db, roomId, userId, { ...opts, remote: null });
    throw notFound('Room not found');
  }
  const { children_state: _, ...room } = described.room;
  return db.transaction().execute(async (tx) => {
    const access = await remotePreviewAccess(tx, room, userId);
    const view = userId === undefined ? undefined : await opts.ignoreViews.load(tx, userId);
    const shown = access.may && shownPreview(view, room);
    if (!shown) throw notFound('Room not found');
    return withMembership({ ...shown }, access.membership);
  });
}
