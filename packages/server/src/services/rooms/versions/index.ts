// The room version table (1-11) and the small rules every consumer shares: looking a version up,
// reading a level the way the version allows, the creator of a room, and the two shapes of
// `prev_events` / `auth_events` (ID lists, or `[id, hashes]` pairs in rooms v1-v2).

import type { JsonObject, JsonValue } from '@hush/protocol';
import type { PowerLevelValues, RedactionAlgorithm, RoomVersion } from './descriptor.ts';
import { V1, V2 } from './v1.ts';
import { V3, V4, V5 } from './v3.ts';
import { V6, V7 } from './v6.ts';
import { V8, V9, V10 } from './v8.ts';
import { V11 } from './v11.ts';

export type { EventFormat, PowerLevelValues, RedactionAlgorithm, RoomVersion } from './descriptor.ts';
export { V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11 };

/** Every room version this server can create and take part in, oldest first. */
export const ROOM_VERSIONS: readonly RoomVersion[] = [V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11];

const BY_ID: ReadonlyMap<string, RoomVersion> = new Map(ROOM_VERSIONS.map((v) => [v.id, v]));

export const DEFAULT_ROOM_VERSION_ID = V11.id;

/** The descriptor of room version `id`, or undefined for a version this server does not support. */
export function roomVersion(id: string): RoomVersion | undefined {
  return BY_ID.get(id);
}

/** The descriptor of room version `id`; a RangeError for an unsupported one. */
export function requireRoomVersion(id: string): RoomVersion {
  const found = BY_ID.get(id);
  if (!found) throw new RangeError(`Unsupported room version: ${id}`);
  return found;
}

/**
 * The redaction algorithm of `id`. Room version 12 is not supported for rooms (its room IDs and
 * create events differ), but its redaction algorithm is v11's, so hashing code can still read it.
 */
export function redactionAlgorithmOf(id: string): RedactionAlgorithm | undefined {
  if (id === '12') return 'v11';
  return BY_ID.get(id)?.redaction;
}

// ---------------------------------------------------------------------------------------------
// Power level values

/** "A single base 10 integer … optionally with leading zeroes, a single sign, surrounding whitespace." */
const INTEGER_STRING = /^\s*[+-]?[0-9]+\s*$/;

/**
 * A power level value as the version reads it, or undefined when it is not a level there:
 * integers always; integer strings up to v9 ("stringy" levels); finite floats, truncated, up to v5.
 * Results outside the safe integer range are not levels.
 */
export function parseLevel(value: JsonValue | undefined, values: PowerLevelValues): number | undefined {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return value;
    if (values !== 'floaty' || !Number.isFinite(value)) return undefined;
    const n = Math.trunc(value);
    return Number.isSafeInteger(n) ? (n === 0 ? 0 : n) : undefined;
  }
  if (typeof value === 'string' && values !== 'integer' && INTEGER_STRING.test(value)) {
    const n = Number(value.trim());
    return Number.isSafeInteger(n) ? (n === 0 ? 0 : n) : undefined;
  }
  return undefined;
}

const TOP_LEVEL_LEVELS = ['users_default', 'events_default', 'state_default', 'ban', 'redact', 'kick', 'invite'] as const;

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * `m.room.power_levels` content with every level the version accepts turned into an integer, so
 * integer-only code (the auth rules, `powerLevelsFrom`) reads older rooms right. Values that are
 * not levels in the version are left as they are (the integer-only readers skip them). In v10+
 * rooms the content is returned unchanged.
 */
export function normalisePowerLevels(content: JsonObject, rv: RoomVersion): JsonObject {
  if (rv.powerLevelValues === 'integer' || !isObject(content)) return content;
  const out: JsonObject = { ...content };
  const norm = (v: JsonValue | undefined): JsonValue | undefined => {
    const n = parseLevel(v, rv.powerLevelValues);
    return n === undefined ? v : n;
  };
  for (const key of TOP_LEVEL_LEVELS) {
    if (Object.hasOwn(content, key)) out[key] = norm(content[key]) as JsonValue;
  }
  for (const key of ['events', 'notifications', 'users']) {
    const m = Object.hasOwn(content, key) ? content[key] : undefined;
    if (!isObject(m)) continue;
    const copy: JsonObject = {};
    for (const k of Object.keys(m)) copy[k] = norm(m[k]) as JsonValue;
    out[key] = copy;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The creator, and event references

/** The room's creator as the version defines it: `content.creator` (v1-v10) or the sender (v11). */
export function creatorOf(create: { sender: string; content: unknown }, rv: RoomVersion): string | undefined {
  if (!rv.creatorInContent) return create.sender;
  const c = isObject(create.content) && Object.hasOwn(create.content, 'creator') ? create.content['creator'] : undefined;
  return typeof c === 'string' ? c : undefined;
}

/**
 * The event IDs of a `prev_events` / `auth_events` value in either format: plain IDs (v3+) or
 * `[id, hashes]` pairs (v1-v2). Entries of neither shape are skipped.
 */
export function referencedIds(refs: unknown): string[] {
  if (!Array.isArray(refs)) return [];
  const out: string[] = [];
  for (const r of refs) {
    if (typeof r === 'string') out.push(r);
    else if (Array.isArray(r) && typeof r[0] === 'string') out.push(r[0]);
  }
  return out;
}
