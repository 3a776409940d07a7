// Response shapes of the client-server operations (and the filter and push-rule objects they carry),
// transcribed from the spec's OpenAPI definitions: sync.yaml, message_pagination.yaml,
// event_context.yaml, sync_filter.yaml / room_event_filter.yaml / event_filter.yaml,
// push_ruleset.yaml / push_rule.yaml / push_condition.yaml, relations.yaml, notifications.yaml,
// public_rooms_response.yaml, presence.yaml, tags.yaml, users.yaml. Types only, no runtime values.

import type { ClientEvent, JsonObject, JsonValue } from './events.ts';

// ---------------------------------------------------------------------------------------------
// Event formats other than the full ClientEvent

/** ClientEventWithoutRoomID: the format of timeline and state events inside /sync (room id implied). */
export type ClientEventWithoutRoomId = Omit<ClientEvent, 'room_id'>;

/** StrippedStateEvent: invite_state / knock_state entries. */
export interface StrippedStateEvent {
  type: string;
  state_key: string;
  content: JsonObject;
  sender: string;
}

/** The minimal event of an EventBatch (ephemeral, account data, presence). */
export interface BasicEvent {
  type: string;
  content: JsonObject;
}

/** An `m.presence` event as /sync delivers it. */
export interface PresenceEvent extends BasicEvent {
  sender: string;
}

/** A send-to-device event as /sync delivers it. */
export interface ToDeviceEvent extends BasicEvent {
  sender: string;
}

// ---------------------------------------------------------------------------------------------
// Filters (sync_filter.yaml, room_event_filter.yaml, event_filter.yaml)

export interface EventFilter {
  limit?: number;
  types?: string[];
  not_types?: string[];
  senders?: string[];
  not_senders?: string[];
}

export interface RoomEventFilter extends EventFilter {
  rooms?: string[];
  not_rooms?: string[];
  contains_url?: boolean;
  lazy_load_members?: boolean;
  include_redundant_members?: boolean;
  unread_thread_notifications?: boolean;
}

export interface RoomFilter {
  rooms?: string[];
  not_rooms?: string[];
  include_leave?: boolean;
  ephemeral?: RoomEventFilter;
  state?: RoomEventFilter;
  timeline?: RoomEventFilter;
  account_data?: RoomEventFilter;
}

export interface Filter {
  event_fields?: string[];
  event_format?: 'client' | 'federation';
  presence?: EventFilter;
  account_data?: EventFilter;
  room?: RoomFilter;
}

// ---------------------------------------------------------------------------------------------
// GET /sync

export interface StateEventBatch {
  events: ClientEventWithoutRoomId[];
}

export interface TimelineBatch {
  events: ClientEventWithoutRoomId[];
  limited?: boolean;
  prev_batch?: string;
}

export interface EventBatch<E extends BasicEvent = BasicEvent> {
  events: E[];
}

export interface RoomSummary {
  'm.heroes'?: string[];
  'm.joined_member_count'?: number;
  'm.invited_member_count'?: number;
}

export interface UnreadNotificationCounts {
  highlight_count?: number;
  notification_count?: number;
}

export interface JoinedRoom {
  summary?: RoomSummary;
  state?: StateEventBatch;
  /** Only when the request set `use_state_after=true`; replaces `state`. */
  state_after?: StateEventBatch;
  timeline?: TimelineBatch;
  ephemeral?: EventBatch;
  account_data?: EventBatch;
  unread_notifications?: UnreadNotificationCounts;
  /** Keyed by thread root event id; only with `unread_thread_notifications` in the filter. */
  unread_thread_notifications?: Record<string, UnreadNotificationCounts>;
}

export interface InvitedRoom {
  invite_state?: { events?: StrippedStateEvent[] };
}

export interface KnockedRoom {
  knock_state?: { events?: StrippedStateEvent[] };
}

export interface LeftRoom {
  state?: StateEventBatch;
  state_after?: StateEventBatch;
  timeline?: TimelineBatch;
  account_data?: EventBatch;
}

export interface SyncRooms {
  join?: Record<string, JoinedRoom>;
  invite?: Record<string, InvitedRoom>;
  knock?: Record<string, KnockedRoom>;
  leave?: Record<string, LeftRoom>;
}

export interface DeviceLists {
  changed?: string[];
  left?: string[];
}

export interface SyncResponse {
  next_batch: string;
  rooms?: SyncRooms;
  presence?: EventBatch<PresenceEvent>;
  account_data?: EventBatch;
  to_device?: { events?: ToDeviceEvent[] };
  device_lists?: DeviceLists;
  device_one_time_keys_count?: Record<string, number>;
  /** End-to-end encryption module's extension to /sync. */
  device_unused_fallback_key_types?: string[];
}

// ---------------------------------------------------------------------------------------------
// Room reads

/** GET /rooms/{roomId}/messages */
export interface MessagesResponse {
  start: string;
  end?: string;
  chunk: ClientEvent[];
  state?: ClientEvent[];
}

/** GET /rooms/{roomId}/context/{eventId} */
export interface ContextResponse {
  start?: string;
  end?: string;
  events_before?: ClientEvent[];
  event?: ClientEvent;
  events_after?: ClientEvent[];
  state?: ClientEvent[];
}

/** GET /rooms/{roomId}/members */
export interface MembersResponse {
  chunk?: ClientEvent[];
}

export interface RoomMember {
  display_name?: string;
  avatar_url?: string;
}

/** GET /rooms/{roomId}/joined_members */
export interface JoinedMembersResponse {
  joined?: Record<string, RoomMember>;
}

/** GET /rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]] (v1) */
export interface RelationsResponse {
  chunk: ClientEvent[];
  next_batch?: string;
  prev_batch?: string;
  recursion_depth?: number;
}

// ---------------------------------------------------------------------------------------------
// Push rules (push_ruleset.yaml, push_rule.yaml, push_condition.yaml)

export interface PushCondition {
  kind: string;
  key?: string;
  pattern?: string;
  is?: string;
  value?: string | number | boolean | null;
}

/** `notify`, or a tweak such as `{ set_tweak: 'sound', value: 'default' }`. */
export type PushAction = string | { set_tweak: string; value?: JsonValue; [k: string]: JsonValue | undefined };

export interface PushRule {
  rule_id: string;
  default: boolean;
  enabled: boolean;
  actions: PushAction[];
  conditions?: PushCondition[];
  pattern?: string;
}

/** The spec's PushRuleset: the rules of one scope, by kind. */
export interface PushRuleset {
  override?: PushRule[];
  content?: PushRule[];
  room?: PushRule[];
  sender?: PushRule[];
  underride?: PushRule[];
}

/** GET /pushrules/ */
export interface PushRulesResponse {
  global: PushRuleset;
}

// ---------------------------------------------------------------------------------------------
// Notifications, presence, tags, directories

export interface NotificationItem {
  actions: PushAction[];
  event: ClientEventWithoutRoomId;
  profile_tag?: string;
  read: boolean;
  room_id: string;
  ts: number;
}

/** GET /notifications */
export interface NotificationsResponse {
  next_token?: string;
  notifications: NotificationItem[];
}

export type PresenceState = 'online' | 'offline' | 'unavailable';

/** GET /presence/{userId}/status */
export interface PresenceResponse {
  presence: PresenceState;
  last_active_ago?: number;
  status_msg?: string | null;
  currently_active?: boolean;
}

export interface Tag {
  order?: number;
}

/** GET /user/{userId}/rooms/{roomId}/tags */
export interface TagsResponse {
  tags?: Record<string, Tag>;
}

/** PublishedRoomsChunk */
export interface PublicRoomsChunk {
  room_id: string;
  num_joined_members: number;
  world_readable: boolean;
  guest_can_join: boolean;
  canonical_alias?: string;
  name?: string;
  topic?: string;
  avatar_url?: string;
  join_rule?: string;
  room_type?: string;
}

/** GET and POST /publicRooms */
export interface PublicRoomsResponse {
  chunk: PublicRoomsChunk[];
  next_batch?: string;
  prev_batch?: string;
  total_room_count_estimate?: number;
}

export interface UserDirectoryResult {
  user_id: string;
  display_name?: string;
  avatar_url?: string;
}

/** POST /user_directory/search */
export interface UserDirectoryResponse {
  results: UserDirectoryResult[];
  limited: boolean;
}
