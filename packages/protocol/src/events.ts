// Event shapes on the wire: the federation PDU of room version 11 (what we store and hash) and the
// client-visible ClientEvent (client-server API, "Room events").

import type { EventId, RoomId, UserId } from './ids.ts';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** A persistent data unit as room version 11 defines it (no `origin`, no `event_id` field). */
export interface Pdu {
  auth_events: EventId[];
  prev_events: EventId[];
  content: JsonObject;
  depth: number;
  hashes: { sha256: string };
  origin_server_ts: number;
  room_id: RoomId;
  sender: UserId;
  signatures: Record<string, Record<string, string>>;
  state_key?: string;
  type: string;
  unsigned?: JsonObject;
  /** Room versions 1-10 only; kept optional so older events can be read. */
  redacts?: EventId;
}

/** An event as a client sees it. */
export interface ClientEvent {
  event_id: EventId;
  type: string;
  content: JsonObject;
  sender: UserId;
  origin_server_ts: number;
  room_id: RoomId;
  state_key?: string;
  unsigned?: JsonObject;
  redacts?: EventId;
}

export type Membership = 'invite' | 'join' | 'knock' | 'leave' | 'ban';

export const EventType = {
  Create: 'm.room.create',
  Member: 'm.room.member',
  PowerLevels: 'm.room.power_levels',
  JoinRules: 'm.room.join_rules',
  HistoryVisibility: 'm.room.history_visibility',
  GuestAccess: 'm.room.guest_access',
  Name: 'm.room.name',
  Topic: 'm.room.topic',
  Avatar: 'm.room.avatar',
  CanonicalAlias: 'm.room.canonical_alias',
  Redaction: 'm.room.redaction',
  ThirdPartyInvite: 'm.room.third_party_invite',
  Message: 'm.room.message',
  Encryption: 'm.room.encryption',
  ServerAcl: 'm.room.server_acl',
  Tombstone: 'm.room.tombstone',
} as const;
