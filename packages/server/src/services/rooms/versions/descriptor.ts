// The shape of a room version descriptor: every rule that differs between room versions 1-11
// (rooms/v1 … rooms/v11) as one named field, so the auth rules, hashing, redaction, event building
// and state resolution ask the descriptor instead of comparing version strings.

/**
 * How events of the version carry their identity and their references to other events.
 * - `v1`: the event has an `event_id` field (`$opaque:server`, made by the sending server);
 *   `prev_events` / `auth_events` are `[event_id, { sha256: reference hash }]` pairs (rooms v1, v2).
 * - `v3`: no `event_id` field; the ID is `$` + the reference hash in standard unpadded base64;
 *   references are plain ID lists (room version 3).
 * - `v4`: as `v3`, with URL-safe unpadded base64 (room versions 4-11).
 */
export type EventFormat = 'v1' | 'v3' | 'v4';

/** The redaction algorithm: named after the room version that introduced it. */
export type RedactionAlgorithm = 'v1' | 'v6' | 'v8' | 'v9' | 'v11';

/**
 * Which values `m.room.power_levels` accepts as levels.
 * - `floaty`: integers, integer strings and floats (truncated) — rooms v1-v5, no canonical JSON.
 * - `stringy`: integers and integer strings — rooms v6-v9.
 * - `integer`: integers only — rooms v10 and later.
 */
export type PowerLevelValues = 'floaty' | 'stringy' | 'integer';

export interface RoomVersion {
  /** The identifier in `m.room.create`'s `room_version` and in `/capabilities`. */
  readonly id: string;
  /** The family (module) the version belongs to, for documentation and grouping. */
  readonly family: 'v1' | 'v3' | 'v6' | 'v8' | 'v11';
  readonly eventFormat: EventFormat;
  /** `v1` (rooms v1) or `v2` (rooms v2 and later). */
  readonly stateRes: 'v1' | 'v2';
  readonly redaction: RedactionAlgorithm;
  /** Rooms v1-v2: events must also be signed by the server of their `event_id`. */
  readonly eventIdServerSignature: boolean;
  /** Rooms v1-v5: auth rule for `m.room.aliases` (state_key = the sender's server). */
  readonly aliasesAuthRule: boolean;
  /** Rooms v1-v2: auth rule 11 on `m.room.redaction` (redact level, or same server as the target's ID). */
  readonly redactionAuthRule: boolean;
  /** Rooms v1-v10: the create event needs `content.creator`, which names the creator. v11: the sender is. */
  readonly creatorInContent: boolean;
  /** Rooms v6+: power level changes of `notifications` are checked like those of `events`. */
  readonly notificationsAuthRule: boolean;
  /** Rooms v7+: `knock` membership and join rule. */
  readonly knock: boolean;
  /** Rooms v8+: `restricted` join rule and `join_authorised_via_users_server`. */
  readonly restricted: boolean;
  /** Rooms v10+: `knock_restricted` join rule. */
  readonly knockRestricted: boolean;
  readonly powerLevelValues: PowerLevelValues;
  /** Rooms v10+: power levels must be integers (auth rules 9.1, 9.2). Same as `powerLevelValues === 'integer'`. */
  readonly integerPowerLevels: boolean;
  /** Rooms v6+: events that are not Canonical JSON (floats, out-of-range integers) are refused. */
  readonly enforceCanonicalJson: boolean;
  /** Rooms v5+: a server key is only valid for events up to its `valid_until_ts`. */
  readonly enforceKeyValidity: boolean;
  /** Rooms v11: a redaction's target is `content.redacts`; before, it is the top-level `redacts`. */
  readonly redactsInContent: boolean;
}
