// Power levels of a room version 11 room: `m.room.power_levels` content normalised with the spec
// defaults (client-server API, "m.room.power_levels"; server-server API, "Definitions").

import type { JsonObject, JsonValue, Pdu } from '@hush/protocol';
import { isUserId } from '@hush/protocol';

/** A room's power levels with every default filled in. Maps, so odd keys like `__proto__` are plain data. */
export interface PowerLevels {
  users: ReadonlyMap<string, number>;
  usersDefault: number;
  events: ReadonlyMap<string, number>;
  eventsDefault: number;
  stateDefault: number;
  ban: number;
  kick: number;
  redact: number;
  invite: number;
  notifications: ReadonlyMap<string, number>;
}

/** Defaults that hold whether or not the room has a power levels event. */
export const DEFAULT_LEVELS = {
  usersDefault: 0,
  eventsDefault: 0,
  // The schema once said 0 without a power levels event; it was corrected (matrix-spec #1479): always 50.
  stateDefault: 50,
  ban: 50,
  kick: 50,
  redact: 50,
  invite: 0,
  notificationsRoom: 50,
} as const;

/** Without any `m.room.power_levels` event the room creator (the create event's sender in v11) has 100. */
export const CREATOR_DEFAULT_LEVEL = 100;

/** The top-level integer properties that rule 9 of the auth rules checks and compares. */
export const PL_INTEGER_KEYS = ['users_default', 'events_default', 'state_default', 'ban', 'redact', 'kick', 'invite'] as const;

export function isPlainObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Room versions 10+ accept only integers (within the canonical JSON range) as levels. */
export function isLevel(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

function own(obj: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

function levelOr(obj: JsonObject, key: string, fallback: number): number {
  const v = own(obj, key);
  return isLevel(v) ? v : fallback;
}

/** Integer entries of an object-valued property; anything else is skipped. */
function levelMap(v: JsonValue | undefined): Map<string, number> {
  const out = new Map<string, number>();
  if (!isPlainObject(v)) return out;
  for (const k of Object.keys(v)) {
    const level = v[k];
    if (isLevel(level)) out.set(k, level);
  }
  return out;
}

/**
 * Power levels from the current `m.room.power_levels` content, or the defaults when the room has
 * none (then the creator, i.e. the create event's `sender`, has 100 and everyone else 0).
 * Lenient: values that are not integers fall back to the defaults. The auth rules (rule 9) keep
 * such content out of a v11 room; use `powerLevelsContentProblem` to reject it up front.
 */
export function powerLevelsFrom(content: JsonObject | undefined, createEvent: Pick<Pdu, 'sender'> | undefined): PowerLevels {
  if (content === undefined || !isPlainObject(content)) {
    const users = new Map<string, number>();
    if (createEvent) users.set(createEvent.sender, CREATOR_DEFAULT_LEVEL);
    return {
      users,
      usersDefault: DEFAULT_LEVELS.usersDefault,
      events: new Map(),
      eventsDefault: DEFAULT_LEVELS.eventsDefault,
      stateDefault: DEFAULT_LEVELS.stateDefault,
      ban: DEFAULT_LEVELS.ban,
      kick: DEFAULT_LEVELS.kick,
      redact: DEFAULT_LEVELS.redact,
      invite: DEFAULT_LEVELS.invite,
      notifications: new Map([['room', DEFAULT_LEVELS.notificationsRoom]]),
    };
  }
  const notifications = levelMap(own(content, 'notifications'));
  if (!notifications.has('room')) notifications.set('room', DEFAULT_LEVELS.notificationsRoom);
  return {
    users: levelMap(own(content, 'users')),
    usersDefault: levelOr(content, 'users_default', DEFAULT_LEVELS.usersDefault),
    events: levelMap(own(content, 'events')),
    eventsDefault: levelOr(content, 'events_default', DEFAULT_LEVELS.eventsDefault),
    stateDefault: levelOr(content, 'state_default', DEFAULT_LEVELS.stateDefault),
    ban: levelOr(content, 'ban', DEFAULT_LEVELS.ban),
    kick: levelOr(content, 'kick', DEFAULT_LEVELS.kick),
    redact: levelOr(content, 'redact', DEFAULT_LEVELS.redact),
    invite: levelOr(content, 'invite', DEFAULT_LEVELS.invite),
    notifications,
  };
}

/** A user's level: their `users` entry, else `users_default`. */
export function userLevel(pl: PowerLevels, userId: string): number {
  return pl.users.get(userId) ?? pl.usersDefault;
}

/** The "required power level" of an event type: `events[type]`, else `state_default` / `events_default`. */
export function eventLevel(pl: PowerLevels, type: string, isState: boolean): number {
  return pl.events.get(type) ?? (isState ? pl.stateDefault : pl.eventsDefault);
}

/** The level needed for a notification key such as `room` (`@room` mentions). The spec gives a
 * default only for `room` (50); other keys get the same. */
export function notificationLevel(pl: PowerLevels, key: string): number {
  return pl.notifications.get(key) ?? DEFAULT_LEVELS.notificationsRoom;
}

/** May `userId` send an event of `type` (auth rule 7; membership events follow their own rules)? */
export function canSend(pl: PowerLevels, userId: string, type: string, isState: boolean): boolean {
  return userLevel(pl, userId) >= eventLevel(pl, type, isState);
}

export function canInvite(pl: PowerLevels, userId: string): boolean {
  return userLevel(pl, userId) >= pl.invite;
}

/** Kick level, and when `targetId` is given, strictly above the target (auth rule 4.5.4). */
export function canKick(pl: PowerLevels, userId: string, targetId?: string): boolean {
  const mine = userLevel(pl, userId);
  return mine >= pl.kick && (targetId === undefined || userLevel(pl, targetId) < mine);
}

/** Ban level, and when `targetId` is given, strictly above the target (auth rule 4.6.2). */
export function canBan(pl: PowerLevels, userId: string, targetId?: string): boolean {
  const mine = userLevel(pl, userId);
  return mine >= pl.ban && (targetId === undefined || userLevel(pl, targetId) < mine);
}

/** Unban = a leave over a ban: ban level, kick level and above the target (auth rules 4.5.3, 4.5.4). */
export function canUnban(pl: PowerLevels, userId: string, targetId: string): boolean {
  return canBan(pl, userId, targetId) && canKick(pl, userId, targetId);
}

/**
 * Redacting someone else's event ("Handling redactions": the redact level). Not an auth rule in
 * v11: the redaction event itself only needs the `m.room.redaction` event level (see `canSend`).
 */
export function canRedactOthers(pl: PowerLevels, userId: string): boolean {
  return userLevel(pl, userId) >= pl.redact;
}

export function canNotify(pl: PowerLevels, userId: string, key = 'room'): boolean {
  return userLevel(pl, userId) >= notificationLevel(pl, key);
}

/**
 * Shape checks of auth rules 9.1-9.3 for `m.room.power_levels` content in room versions 10+:
 * a reason when the content is unacceptable, else null. A missing `users` is accepted (see the
 * note in auth-rules.ts).
 */
export function powerLevelsContentProblem(content: JsonObject): string | null {
  if (!isPlainObject(content)) return 'power levels content is not an object';
  for (const key of PL_INTEGER_KEYS) {
    const v = own(content, key);
    if (v !== undefined && !isLevel(v)) return `power levels "${key}" must be an integer (rule 9.1)`;
  }
  for (const key of ['events', 'notifications']) {
    const v = own(content, key);
    if (v === undefined) continue;
    if (!isPlainObject(v)) return `power levels "${key}" must be an object (rule 9.2)`;
    for (const k of Object.keys(v)) {
      if (!isLevel(v[k])) return `power levels "${key}"."${k}" must be an integer (rule 9.2)`;
    }
  }
  const users = own(content, 'users');
  if (users !== undefined) {
    if (!isPlainObject(users)) return 'power levels "users" must be an object (rule 9.3)';
    for (const k of Object.keys(users)) {
      if (!isUserId(k)) return `power levels "users" key ${JSON.stringify(k.slice(0, 80))} is not a valid user ID (rule 9.3)`;
      if (!isLevel(users[k])) return `power levels "users"."${k}" must be an integer (rule 9.3)`;
    }
  }
  return null;
}
