// POST /createRoom: the room row and its first events, in the order the spec gives — create, the
// creator's join, power levels, canonical alias, the preset's join rules / history visibility /
// guest access, initial_state, name, topic, then the invites — in one transaction.

import { randomBytes } from 'node:crypto';
import {
  ErrCode,
  MatrixError,
  badJson,
  isRoomAlias,
  isUserId,
  type JsonObject,
  type UserId,
} from '@hush/protocol';
import { roomsStore } from '../../storage/rooms.store.ts';
import { DEFAULT_ROOM_VERSION } from '../events/crypto.ts';
import type { Requester } from '../requester.ts';
import type { RoomService } from './rooms.ts';
import { ROOM_VERSIONS, roomVersion } from './versions/index.ts';

/** Room versions this server creates rooms in: 1-11, each with its own event format and rules. */
export const SUPPORTED_ROOM_VERSIONS: readonly string[] = ROOM_VERSIONS.map((v) => v.id);
export { DEFAULT_ROOM_VERSION };

export interface CreateRoomInput {
  visibility?: 'public' | 'private';
  room_alias_name?: string;
  name?: string;
  topic?: string;
  invite?: string[];
  room_version?: string;
  creation_content?: Record<string, unknown>;
  initial_state?: { type: string; state_key?: string; content: Record<string, unknown> }[];
  preset?: 'private_chat' | 'public_chat' | 'trusted_private_chat';
  is_direct?: boolean;
  power_level_content_override?: Record<string, unknown>;
}

const PRESETS = {
  private_chat: { join_rule: 'invite', history_visibility: 'shared', guest_access: 'can_join' },
  trusted_private_chat: { join_rule: 'invite', history_visibility: 'shared', guest_access: 'can_join' },
  public_chat: { join_rule: 'public', history_visibility: 'shared', guest_access: 'forbidden' },
} as const;

function defaultPowerLevels(creator: string, trusted: readonly string[]): JsonObject {
  const users: JsonObject = { [creator]: 100 };
  for (const u of trusted) users[u] = 100;
  return {
    users,
    users_default: 0,
    events: {
      'm.room.name': 50,
      'm.room.power_levels': 100,
      'm.room.history_visibility': 100,
      'm.room.canonical_alias': 50,
      'm.room.avatar': 50,
      'm.room.tombstone': 100,
      'm.room.server_acl': 100,
      'm.room.encryption': 100,
    },
    events_default: 0,
    state_default: 50,
    ban: 50,
    kick: 50,
    redact: 50,
    invite: 0,
    historical: 100,
  };
}

export async function createRoom(rooms: RoomService, r: Requester, input: CreateRoomInput): Promise<string> {
  const version = input.room_version ?? DEFAULT_ROOM_VERSION;
  const rv = roomVersion(version);
  if (rv === undefined) {
    throw new MatrixError(400, ErrCode.UNSUPPORTED_ROOM_VERSION, `Room version ${version.slice(0, 32)} is not supported`);
  }
  const invites = [...new Set(input.invite ?? [])];
  for (const u of invites) if (!isUserId(u)) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid user ID in invite: ${u.slice(0, 80)}`);
  let alias: string | undefined;
  if (input.room_alias_name !== undefined) {
    alias = `#${input.room_alias_name}:${rooms.serverName}`;
    if (!isRoomAlias(alias) || input.room_alias_name.includes(':')) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Invalid room_alias_name');
    if (await roomsStore.getAlias(rooms.db, alias)) throw new MatrixError(400, ErrCode.ROOM_IN_USE, 'Room alias already taken');
  }
  const invitees: { userId: UserId; profile: JsonObject }[] = [];
  for (const u of invites) {
    if (u === r.userId) continue;
    await rooms.ensureLocalUser(u as UserId);
    invitees.push({ userId: u as UserId, profile: await rooms.profileContent(u) });
  }
  const preset = input.preset ?? (input.visibility === 'public' ? 'public_chat' : 'private_chat');
  const p = PRESETS[preset];
  const roomId = `!${randomBytes(12).toString('base64url')}:${rooms.serverName}`;
  const creatorProfile = await rooms.profileContent(r.userId);

  await rooms.writer.create(
    { room_id: roomId, room_version: version, creator: r.userId, created_ts: Date.now(), head_event_id: null, head_depth: 0, is_public: input.visibility === 'public' ? 1 : 0 },
    async (rt) => {
      const state = (type: string, content: JsonObject, stateKey = '') => rt.persist({ type, stateKey, sender: r.userId, content });
      const creation = { ...(input.creation_content ?? {}) } as JsonObject;
      delete creation['creator'];
      // Rooms v1-v10 name the creator in the content (auth rule 1.4); v11 takes the sender.
      if (rv.creatorInContent) creation['creator'] = r.userId;
      await state('m.room.create', { ...creation, room_version: version });
      await state('m.room.member', { membership: 'join', ...creatorProfile }, r.userId);
      const trusted = preset === 'trusted_private_chat' ? invitees.map((i) => i.userId) : [];
      await state('m.room.power_levels', { ...defaultPowerLevels(r.userId, trusted), ...((input.power_level_content_override ?? {}) as JsonObject) });
      if (alias !== undefined) {
        if (!(await roomsStore.insertAlias(rt.tx, alias, roomId, r.userId))) throw new MatrixError(400, ErrCode.ROOM_IN_USE, 'Room alias already taken');
        await state('m.room.canonical_alias', { alias });
      }
      const initial = new Map<string, { type: string; state_key: string; content: JsonObject }>();
      for (const ev of input.initial_state ?? []) initial.set(`${ev.type}\u0000${ev.state_key ?? ''}`, { type: ev.type, state_key: ev.state_key ?? '', content: ev.content as JsonObject });
      const presetEvents: [string, JsonObject][] = [
        ['m.room.join_rules', { join_rule: p.join_rule }],
        ['m.room.history_visibility', { history_visibility: p.history_visibility }],
        ['m.room.guest_access', { guest_access: p.guest_access }],
      ];
      for (const [type, content] of presetEvents) if (!initial.has(`${type}\u0000`)) await state(type, content);
      for (const ev of initial.values()) {
        if (ev.type === 'm.room.create' || ev.type === 'm.room.member' || ev.type === 'm.room.power_levels') {
          throw badJson(`initial_state may not contain ${ev.type}`);
        }
        await state(ev.type, ev.content, ev.state_key);
      }
      if (input.name !== undefined) await state('m.room.name', { name: input.name });
      if (input.topic !== undefined) {
        await state('m.room.topic', { topic: input.topic, 'm.topic': [{ body: input.topic, mimetype: 'text/plain' }] } as JsonObject);
      }
      for (const inv of invitees) {
        try {
          await rooms.inviteIn(rt, r.userId, inv.userId, inv.profile, { isDirect: input.is_direct === true });
        } catch (err) {
          // "It is possible for one of the invited users to be rejected whilst the room creation as a whole succeeds."
          if (!(err instanceof MatrixError && err.errcode === ErrCode.INVITE_BLOCKED)) throw err;
        }
      }
    },
  );
  return roomId;
}
