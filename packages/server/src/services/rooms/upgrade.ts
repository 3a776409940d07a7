// POST /rooms/{roomId}/upgrade ("Room Upgrades", server behaviour): checks the upgrader may send
// m.room.tombstone, creates the replacement room with `predecessor` in its create event, copies the
// transferable state (the upgrader able to act while it is copied), moves the local aliases and the
// directory listing, sends the tombstone, and restricts the old room's power levels so that it
// quietens down. Membership is not copied: members follow the tombstone themselves (in rooms that
// need an invite, the old room's joined members are invited — through the invitee's own lists, like
// any invite).

import { randomBytes } from 'node:crypto';
import { ErrCode, MatrixError, forbidden, type JsonObject } from '@hush/protocol';
import { eventsStore } from '../../storage/events.store.ts';
import { roomsStore } from '../../storage/rooms.store.ts';
import { stateStore } from '../../storage/state.store.ts';
import type { Requester } from '../requester.ts';
import { parsePdu } from '../events/format.ts';
import { SUPPORTED_ROOM_VERSIONS } from './create.ts';
import { roomVersion } from './versions/index.ts';
import { canSend, eventLevel, isLevel, powerLevelsFrom, userLevel, type PowerLevels } from './power-levels.ts';
import type { RoomService } from './rooms.ts';
import type { RoomTx } from './writer.ts';

/** "Transferable state": copied to the replacement room as it stands (state key ''). */
const TRANSFERRED = [
  'm.room.server_acl',
  'm.room.encryption',
  'm.room.name',
  'm.room.avatar',
  'm.room.topic',
  'm.room.guest_access',
  'm.room.history_visibility',
  'm.room.join_rules',
] as const;

/** Create-event keys that describe the room itself and carry over (a space stays a space). */
const CREATE_KEYS_KEPT = ['type', 'm.federate'];

interface OldRoom {
  create: JsonObject;
  powerLevels: JsonObject | undefined;
  levels: PowerLevels;
  state: Map<string, JsonObject>;
  canonicalAlias: JsonObject | undefined;
  headEventId: string;
  joinedMembers: string[];
  isPublic: boolean;
}

async function readOldRoom(rt: RoomTx): Promise<OldRoom> {
  const roomId = rt.room.room_id;
  const refs = await stateStore.currentState(rt.tx, roomId);
  const rows = await eventsStore.byIds(rt.tx, refs.map((x) => x.eventId));
  const byKey = new Map(rows.filter((e) => e.state_key === '').map((e) => [e.type, parsePdu(e)]));
  const create = byKey.get('m.room.create');
  const pl = byKey.get('m.room.power_levels')?.content;
  const state = new Map<string, JsonObject>();
  for (const type of TRANSFERRED) {
    const c = byKey.get(type)?.content;
    if (c && Object.keys(c).length > 0) state.set(type, c);
  }
  return {
    create: create?.content ?? {},
    powerLevels: pl,
    levels: powerLevelsFrom(pl, create),
    state,
    canonicalAlias: byKey.get('m.room.canonical_alias')?.content,
    headEventId: rt.room.head_event_id ?? '',
    joinedMembers: (await stateStore.members(rt.tx, roomId, 'join')).map((m) => m.user_id),
    isPublic: rt.room.is_public === 1,
  };
}

/** The old room's power levels with events_default and invite raised so that ordinary members can
 *  no longer talk or invite: to 50, or above users_default when that is higher. Undefined when they
 *  are that high already. */
export function restrictedLevels(content: JsonObject | undefined, levels: PowerLevels): JsonObject | undefined {
  const restricted = Math.max(50, levels.usersDefault + 1);
  if (levels.eventsDefault >= restricted && levels.invite >= restricted) return undefined;
  return { ...(content ?? {}), events_default: Math.max(levels.eventsDefault, restricted), invite: Math.max(levels.invite, restricted) };
}

/** The level the upgrader needs to send every copied state event and the power levels themselves. */
function levelNeeded(levels: PowerLevels, types: Iterable<string>): number {
  let need = eventLevel(levels, 'm.room.power_levels', true);
  for (const t of types) need = Math.max(need, eventLevel(levels, t, true));
  return Math.max(need, levels.invite);
}

export async function upgradeRoom(rooms: RoomService, r: Requester, roomId: string, newVersion: string): Promise<string> {
  if (!(SUPPORTED_ROOM_VERSIONS as readonly string[]).includes(newVersion)) {
    throw new MatrixError(400, ErrCode.UNSUPPORTED_ROOM_VERSION, `Room version ${newVersion.slice(0, 64)} is not supported`);
  }
  // 1. May the upgrader send the tombstone? (Read under the room lock; an outsider and a room that
  // does not exist get the same 403.)
  let old: OldRoom;
  try {
    old = await rooms.writer.write(roomId, async (rt) => {
      if ((await stateStore.membership(rt.tx, roomId, r.userId))?.membership !== 'join') throw forbidden('You are not in this room');
      const o = await readOldRoom(rt);
      if (!canSend(o.levels, r.userId, 'm.room.tombstone', true)) throw forbidden('You may not upgrade this room: it needs the power to send m.room.tombstone');
      return o;
    });
  } catch (err) {
    if (err instanceof MatrixError && err.errcode === ErrCode.NOT_FOUND) throw forbidden('You are not in this room');
    throw err;
  }

  // 2–4. The replacement room: create (with predecessor), the upgrader's join, power levels that let
  // the upgrader act, the transferable state, the local aliases and the canonical alias, the
  // invitations, and last the old room's own power levels.
  const newRoomId = `!${randomBytes(12).toString('base64url')}:${rooms.serverName}`;
  const profile = await rooms.profileContent(r.userId);
  const invitees: { userId: string; profile: JsonObject }[] = [];
  const joinRule = old.state.get('m.room.join_rules')?.['join_rule'];
  if (joinRule !== 'public') {
    for (const u of old.joinedMembers) if (u !== r.userId) invitees.push({ userId: u, profile: await rooms.profileContent(u) });
  }
  await rooms.writer.create(
    { room_id: newRoomId, room_version: newVersion, creator: r.userId, created_ts: Date.now(), head_event_id: null, head_depth: 0, is_public: old.isPublic ? 1 : 0 },
    async (rt) => {
      const state = (type: string, content: JsonObject) => rt.persist({ type, stateKey: '', sender: r.userId, content });
      const create: JsonObject = { room_version: newVersion, predecessor: { room_id: roomId, event_id: old.headEventId } };
      for (const k of CREATE_KEYS_KEPT) if (old.create[k] !== undefined) create[k] = old.create[k] as JsonObject[string];
      // Rooms v1-v10 name the creator in the content (auth rule 1.4); v11 takes the sender.
      if (roomVersion(newVersion)?.creatorInContent) create['creator'] = r.userId;
      await state('m.room.create', create);
      await rt.persist({ type: 'm.room.member', stateKey: r.userId, sender: r.userId, content: { membership: 'join', ...profile } });
      const finalLevels: JsonObject = old.powerLevels ?? { users: { [r.userId]: userLevel(old.levels, r.userId) } };
      const need = levelNeeded(old.levels, old.state.keys());
      const users = finalLevels['users'] && typeof finalLevels['users'] === 'object' && !Array.isArray(finalLevels['users']) ? (finalLevels['users'] as JsonObject) : {};
      const mine = isLevel(users[r.userId]) ? (users[r.userId] as number) : old.levels.usersDefault;
      const elevated = mine < need;
      await state('m.room.power_levels', elevated ? { ...finalLevels, users: { ...users, [r.userId]: need } } : finalLevels);
      for (const [type, content] of old.state) await state(type, content);
      for (const alias of await roomsStore.aliasesOf(rt.tx, roomId)) {
        await roomsStore.deleteAlias(rt.tx, alias);
        await roomsStore.insertAlias(rt.tx, alias, newRoomId, r.userId);
      }
      if (old.canonicalAlias && Object.keys(old.canonicalAlias).length > 0) await state('m.room.canonical_alias', old.canonicalAlias);
      for (const inv of invitees) {
        try {
          await rooms.inviteIn(rt, r.userId, inv.userId, inv.profile, {});
        } catch (err) {
          // A member who refuses invites from the upgrader is not invited; the upgrade goes on.
          if (!(err instanceof MatrixError && err.errcode === ErrCode.INVITE_BLOCKED)) throw err;
        }
      }
      if (elevated) await state('m.room.power_levels', finalLevels);
    },
  );

  // 5–6. The tombstone, the canonical alias withdrawn, the old room quietened, its listing moved.
  await rooms.writer.write(roomId, async (rt) => {
    await rt.persist({ type: 'm.room.tombstone', stateKey: '', sender: r.userId, content: { body: 'This room has been replaced', replacement_room: newRoomId } });
    const fresh = await readOldRoom(rt);
    if (fresh.canonicalAlias && Object.keys(fresh.canonicalAlias).length > 0 && canSend(fresh.levels, r.userId, 'm.room.canonical_alias', true)) {
      await rt.persist({ type: 'm.room.canonical_alias', stateKey: '', sender: r.userId, content: {} });
    }
    const restricted = restrictedLevels(fresh.powerLevels, fresh.levels);
    if (restricted && canSend(fresh.levels, r.userId, 'm.room.power_levels', true)) {
      try {
        await rt.persist({ type: 'm.room.power_levels', stateKey: '', sender: r.userId, content: restricted });
      } catch (err) {
        // The auth rules may refuse a change the upgrader cannot make (levels above their own):
        // the upgrade stands without it, as the spec's "if possible" allows.
        if (!(err instanceof MatrixError && err.errcode === ErrCode.FORBIDDEN)) throw err;
      }
    }
    if (fresh.isPublic) await roomsStore.setPublic(rt.tx, roomId, false);
  });
  return newRoomId;
}
