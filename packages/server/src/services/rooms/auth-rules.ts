// Authorisation rules of room versions 1-11 (rooms/v1 … rooms/v11, "Authorisation rules") and the
// server-server API's "Auth events selection", as pure functions over a state lookup. What differs
// between versions comes from the room version descriptor (rooms/versions); v11 is the default.
// Rule numbers below are v11's.

import type { EventId, JsonObject, JsonValue, Pdu } from '@hush/protocol';
import { isRoomId, isUserId, serverNameOf } from '@hush/protocol';
import { publicKeyFromBase64, verifyJsonSignature } from '../events/crypto.ts';
import { V11, creatorOf, normalisePowerLevels, parseLevel, referencedIds, type RoomVersion } from './versions/index.ts';
import { eventIdIn } from './versions/events.ts';
import type { KeyObject } from 'node:crypto';
import {
  PL_INTEGER_KEYS,
  eventLevel,
  isLevel,
  isPlainObject,
  powerLevelsContentProblem,
  powerLevelsFrom,
  userLevel,
  type PowerLevels,
} from './power-levels.ts';

const CREATE = 'm.room.create';
const MEMBER = 'm.room.member';
const POWER_LEVELS = 'm.room.power_levels';
const JOIN_RULES = 'm.room.join_rules';
const THIRD_PARTY_INVITE = 'm.room.third_party_invite';
const ALIASES = 'm.room.aliases';
const REDACTION = 'm.room.redaction';

/** A state event as the rules see it; `event_id` is optional (computed for the create event if absent). */
export type AuthEvent = Pdu & { event_id?: EventId | string };

/** The room state the rules consult: the state before the event, or the event's auth events. */
export interface AuthState {
  get(type: string, stateKey: string): AuthEvent | undefined;
}

export type AuthResult = { ok: true } | { ok: false; reason: string };

export interface AuthOptions {
  /**
   * Whether `event` is validly signed by `serverName` (the sender's server, and for rule 4.2.1 the
   * server of `join_authorised_via_users_server`). Default: the event has a signature entry for
   * that server. Cryptographic verification is part of the checks on receipt of a PDU, which need
   * the server keys; federation should pass a verifier here.
   */
  isSignedBy?: (event: Pdu, serverName: string) => boolean;
  /** The room's version (default: 11). */
  roomVersion?: RoomVersion;
}

/** Room versions rule 1.3 recognises in `content.room_version` (the stable versions of the spec). */
export const RECOGNISED_ROOM_VERSIONS: readonly string[] = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'];

/** A (type, state_key) pair. */
export type StateTuple = [type: string, stateKey: string];

const OK: AuthResult = { ok: true };
const reject = (reason: string): AuthResult => ({ ok: false, reason });

function own(obj: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

function contentOf(ev: { content: unknown }): JsonObject {
  return isPlainObject(ev.content) ? ev.content : {};
}

/** `content.third_party_invite.signed.token`, if it is a string. */
function thirdPartyToken(content: JsonObject): string | undefined {
  const tpi = own(content, 'third_party_invite');
  const signed = isPlainObject(tpi) ? own(tpi, 'signed') : undefined;
  const token = isPlainObject(signed) ? own(signed, 'token') : undefined;
  return typeof token === 'string' ? token : undefined;
}

/**
 * "Auth events selection" (server-server API): the state a new event's `auth_events` must point
 * at. Empty for `m.room.create`; every version 1-11 includes the create event for everything else.
 * The member event of `join_authorised_via_users_server` only counts in versions with restricted rooms.
 */
export function authEventKeys(type: string, stateKey: string | undefined, sender: string, content: JsonObject, rv: RoomVersion = V11): StateTuple[] {
  if (type === CREATE) return [];
  const keys: StateTuple[] = [
    [CREATE, ''],
    [POWER_LEVELS, ''],
    [MEMBER, sender],
  ];
  if (type === MEMBER && stateKey !== undefined) {
    const body = isPlainObject(content) ? content : {};
    const membership = own(body, 'membership');
    keys.push([MEMBER, stateKey]);
    if (membership === 'join' || membership === 'invite' || membership === 'knock') keys.push([JOIN_RULES, '']);
    if (membership === 'invite' && own(body, 'third_party_invite') !== undefined) {
      const token = thirdPartyToken(body);
      if (token !== undefined) keys.push([THIRD_PARTY_INVITE, token]);
    }
    const via = own(body, 'join_authorised_via_users_server');
    if (membership === 'join' && typeof via === 'string' && rv.restricted) keys.push([MEMBER, via]);
  }
  const seen = new Set<string>();
  return keys.filter(([t, k]) => {
    const id = `${t}\u0000${k}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** An AuthState over a list of events (e.g. an event's auth events), keyed by (type, state_key). */
export function authStateFrom(events: Iterable<AuthEvent>): AuthState {
  const map = new Map<string, AuthEvent>();
  for (const ev of events) if (typeof ev.state_key === 'string') map.set(`${ev.type}\u0000${ev.state_key}`, ev);
  return { get: (type, stateKey) => map.get(`${type}\u0000${stateKey}`) };
}

/**
 * Rule 2 (checks on an event's own `auth_events`, for events received over federation): no
 * duplicate (type, state_key), nothing outside the selection, a create event, same room. Rule 2.3
 * (auth events that were themselves rejected) is the caller's: pass only events it accepted.
 * `authEvents` are the events `event.auth_events` names; those with an `event_id` are matched to it.
 */
export function checkAuthEvents(event: Pdu, authEvents: readonly AuthEvent[], rv: RoomVersion = V11): AuthResult {
  if (event.type === CREATE) return OK; // rule 1 decides alone
  const listed = new Set<string>(referencedIds(event.auth_events));
  if (authEvents.length !== listed.size) return reject(`auth_events names ${listed.size} events but ${authEvents.length} were supplied`);
  const allowed = new Set(authEventKeys(event.type, event.state_key, event.sender, contentOf(event), rv).map(([t, k]) => `${t}\u0000${k}`));
  const seen = new Set<string>();
  for (const ae of authEvents) {
    if (ae.event_id !== undefined && !listed.has(ae.event_id)) return reject(`auth event ${ae.event_id} is not in auth_events`);
    if (typeof ae.state_key !== 'string') return reject(`auth event of type ${ae.type} is not a state event (rule 2.2)`);
    const id = `${ae.type}\u0000${ae.state_key}`;
    if (seen.has(id)) return reject(`duplicate auth event for (${ae.type}, ${JSON.stringify(ae.state_key)}) (rule 2.1)`);
    seen.add(id);
    if (!allowed.has(id)) return reject(`auth event (${ae.type}, ${JSON.stringify(ae.state_key)}) is not one the auth events selection picks (rule 2.2)`);
    if (ae.room_id !== event.room_id) return reject(`auth event (${ae.type}, ${JSON.stringify(ae.state_key)}) belongs to another room (rule 2.5)`);
  }
  if (!seen.has(`${CREATE}\u0000`)) return reject('auth events have no m.room.create event (rule 2.4)');
  return OK;
}

function hasSignatureOf(event: Pdu, serverName: string): boolean {
  const sigs: unknown = event.signatures;
  if (!isPlainObject(sigs) || !Object.hasOwn(sigs, serverName)) return false;
  const mine = sigs[serverName];
  return isPlainObject(mine) && Object.keys(mine).length > 0;
}

/** A user's membership in `state`; no member event reads as `leave`. */
function membershipOf(state: AuthState, userId: string): string {
  const ev = state.get(MEMBER, userId);
  const m = ev ? own(contentOf(ev), 'membership') : undefined;
  return typeof m === 'string' ? m : 'leave';
}

/**
 * The room's join rule. No join rules event (or no `join_rule` in it) counts as `invite`, as
 * implementations do (matrix-spec#657); any other non-recognised value lets nobody join.
 */
function joinRuleOf(state: AuthState): string {
  const ev = state.get(JOIN_RULES, '');
  if (!ev) return 'invite';
  const rule = own(contentOf(ev), 'join_rule');
  if (rule === undefined) return 'invite';
  return typeof rule === 'string' ? rule : '';
}

function eventIdOf(ev: AuthEvent, rv: RoomVersion): string | undefined {
  if (typeof ev.event_id === 'string') return ev.event_id;
  try {
    return eventIdIn(ev, rv);
  } catch {
    return undefined;
  }
}

/** The server name in a `$opaque:server` event ID (rooms v1-v2), or undefined. */
function serverOfEventId(id: unknown): string | undefined {
  if (typeof id !== 'string') return undefined;
  const colon = id.indexOf(':');
  return id.startsWith('$') && colon > 1 ? id.slice(colon + 1) : undefined;
}

/**
 * Applies the authorisation rules of the room version (`opts.roomVersion`, default 11) to `event`
 * against `state` (the state before the event, or its auth events via `authStateFrom`). Never
 * throws: malformed content is a rejection.
 */
export function checkAuth(event: AuthEvent, state: AuthState, opts: AuthOptions = {}): AuthResult {
  try {
    return authorise(event, state, opts.isSignedBy ?? hasSignatureOf, opts.roomVersion ?? V11);
  } catch (err) {
    return reject(`malformed event: ${(err as Error).message}`);
  }
}

type SignedBy = (event: Pdu, serverName: string) => boolean;

function authorise(event: AuthEvent, state: AuthState, signedBy: SignedBy, rv: RoomVersion): AuthResult {
  const { sender, type } = event;
  if (typeof type !== 'string') return reject('event has no type');
  if (!isUserId(sender)) return reject('sender is not a valid user ID');
  if (!isPlainObject(event.content)) return reject('content is not an object');
  // "Events must be signed by the server denoted by the sender property."
  const senderServer = serverNameOf(sender);
  if (!signedBy(event, senderServer)) return reject(`event is not signed by the sender's server ${senderServer}`);
  if (rv.eventIdServerSignature) {
    // Rooms v1-v2: also signed by the server that named the event.
    const idServer = serverOfEventId(event.event_id);
    if (idServer === undefined) return reject(`a room version ${rv.id} event needs an event_id of the form $opaque:server`);
    if (idServer !== senderServer && !signedBy(event, idServer)) return reject(`event is not signed by ${idServer}, the server of its event_id`);
  }

  if (type === CREATE) return checkCreate(event, rv);

  // Rule 2, applied to the state we were given (checkAuthEvents covers the auth_events list itself).
  const create = state.get(CREATE, '');
  if (!create) return reject('no m.room.create event in the auth state (rule 2.4)');
  for (const [t, k] of authEventKeys(type, event.state_key, sender, event.content, rv)) {
    const ev = state.get(t, k);
    if (ev && ev.room_id !== event.room_id) return reject(`auth event (${t}, ${JSON.stringify(k)}) belongs to another room (rule 2.5)`);
  }

  // Rule 3: m.federate false keeps other servers' users out.
  if (own(contentOf(create), 'm.federate') === false) {
    if (!isUserId(create.sender) || serverNameOf(create.sender) !== senderServer) {
      return reject('room is not federated (m.federate is false) and the sender is on another server (rule 3)');
    }
  }

  // Rooms v1-v5: m.room.aliases is allowed when its state_key is the sender's server.
  if (type === ALIASES && rv.aliasesAuthRule) {
    if (event.state_key === undefined) return reject('m.room.aliases needs a state_key (v1 rule 4.1)');
    if (event.state_key !== senderServer) return reject("m.room.aliases state_key must be the sender's server (v1 rule 4.2)");
    return OK;
  }

  const plEvent = state.get(POWER_LEVELS, '');
  const creator = creatorOf(create, rv);
  const pl = powerLevelsFrom(plEvent ? normalisePowerLevels(contentOf(plEvent), rv) : undefined, creator === undefined ? undefined : { sender: creator as Pdu['sender'] });

  if (type === MEMBER) return checkMember(event, state, create, pl, signedBy, rv); // rule 4

  // Rule 5
  if (membershipOf(state, sender) !== 'join') return reject('sender is not joined to the room (rule 5)');
  const senderLevel = userLevel(pl, sender);

  // Rule 6
  if (type === THIRD_PARTY_INVITE) {
    return senderLevel >= pl.invite ? OK : reject(`sender's power level ${senderLevel} is below the invite level ${pl.invite} (rule 6.1)`);
  }

  // Rule 7. m.room.redaction is no exception in v11: the redact level is not an auth rule.
  const isState = event.state_key !== undefined;
  const required = eventLevel(pl, type, isState);
  if (required > senderLevel) return reject(`sending ${type} needs power level ${required}, sender has ${senderLevel} (rule 7)`);

  // Rule 8
  const stateKey = event.state_key;
  if (typeof stateKey === 'string' && stateKey.startsWith('@') && stateKey !== sender) {
    return reject('a state_key starting with @ must be the sender (rule 8)');
  }

  if (type === POWER_LEVELS) return checkPowerLevels(event, plEvent, senderLevel, rv); // rule 9

  // Rooms v1-v2, rule 11: the redact level, or the redaction and its target named by one server.
  if (type === REDACTION && rv.redactionAuthRule) {
    if (senderLevel >= pl.redact) return OK;
    const targetServer = serverOfEventId(event.redacts);
    if (targetServer !== undefined && targetServer === serverOfEventId(event.event_id)) return OK;
    return reject(`redacting needs the redact level ${pl.redact} or an event of the same server; sender has ${senderLevel} (v1 rule 11)`);
  }
  return OK; // rule 10
}

/** Rule 1 */
function checkCreate(event: AuthEvent, rv: RoomVersion): AuthResult {
  if (!Array.isArray(event.prev_events) || event.prev_events.length > 0) return reject('m.room.create must not have prev_events (rule 1.1)');
  if (!isRoomId(event.room_id) || serverNameOf(event.room_id) !== serverNameOf(event.sender)) {
    return reject("the room ID's server does not match the sender's (rule 1.2)");
  }
  const version = own(event.content, 'room_version');
  if (version !== undefined && !(typeof version === 'string' && RECOGNISED_ROOM_VERSIONS.includes(version))) {
    return reject(`unrecognised room_version ${JSON.stringify(version)} (rule 1.3)`);
  }
  if (rv.creatorInContent && !Object.hasOwn(event.content, 'creator')) return reject('m.room.create content has no creator (v1-v10 rule 1.4)');
  return OK; // rule 1.4
}

/** Rule 4 */
function checkMember(event: AuthEvent, state: AuthState, create: AuthEvent, pl: PowerLevels, signedBy: SignedBy, rv: RoomVersion): AuthResult {
  const { sender, content } = event;
  const target = event.state_key;
  const membership = own(content, 'membership');
  if (typeof target !== 'string' || membership === undefined) return reject('m.room.member needs a state_key and content.membership (rule 4.1)');

  // Rule 4.2 (rooms v8+)
  const hasVia = rv.restricted && Object.hasOwn(content, 'join_authorised_via_users_server');
  const via = own(content, 'join_authorised_via_users_server');
  if (hasVia) {
    if (!isUserId(via)) return reject('join_authorised_via_users_server is not a valid user ID (rule 4.2.1)');
    if (!signedBy(event, serverNameOf(via))) return reject(`event is not signed by ${serverNameOf(via)}, the server of join_authorised_via_users_server (rule 4.2.1)`);
  }

  const senderMembership = membershipOf(state, sender);
  const targetMembership = membershipOf(state, target);
  const senderLevel = userLevel(pl, sender);
  const targetLevel = userLevel(pl, target);

  switch (membership) {
    case 'join': {
      // 4.3.1: the creator's own join right after the create event.
      const prev = referencedIds(event.prev_events);
      if (Array.isArray(event.prev_events) && event.prev_events.length === 1 && prev.length === 1 && target === creatorOf(create, rv) && prev[0] === eventIdOf(create, rv)) return OK;
      if (sender !== target) return reject('a join must be sent by the joining user (rule 4.3.2)');
      if (senderMembership === 'ban') return reject('user is banned from the room (rule 4.3.3)');
      const rule = joinRuleOf(state);
      if (rule === 'invite' || (rule === 'knock' && rv.knock)) {
        return targetMembership === 'invite' || targetMembership === 'join' ? OK : reject(`join rule is ${rule} and the user is not invited (rule 4.3.4)`);
      }
      if ((rule === 'restricted' && rv.restricted) || (rule === 'knock_restricted' && rv.knockRestricted)) {
        if (targetMembership === 'invite' || targetMembership === 'join') return OK; // 4.3.5.1
        if (!isUserId(via)) return reject(`join rule is ${rule}: the join needs join_authorised_via_users_server (rule 4.3.5.2)`);
        if (membershipOf(state, via) !== 'join') return reject(`${via} (join_authorised_via_users_server) is not joined to the room (rule 4.3.5.2)`);
        const viaLevel = userLevel(pl, via);
        if (viaLevel < pl.invite) return reject(`${via} (join_authorised_via_users_server) may not invite: level ${viaLevel} < ${pl.invite} (rule 4.3.5.2)`);
        return OK; // 4.3.5.3
      }
      if (rule === 'public') return OK; // 4.3.6
      return reject(`join rule ${JSON.stringify(rule)} does not allow joining (rule 4.3.7)`);
    }

    case 'invite': {
      if (own(content, 'third_party_invite') !== undefined) return checkThirdPartyInvite(event, state, target, targetMembership); // 4.4.1
      if (senderMembership !== 'join') return reject('inviter is not joined to the room (rule 4.4.2)');
      if (targetMembership === 'join' || targetMembership === 'ban') return reject(`invitee's membership is ${targetMembership} (rule 4.4.3)`);
      if (senderLevel >= pl.invite) return OK; // 4.4.4
      return reject(`inviter's power level ${senderLevel} is below the invite level ${pl.invite} (rule 4.4.5)`);
    }

    case 'leave': {
      if (sender === target) {
        // 4.5.1: leaving, rejecting an invite, or rescinding a knock.
        const can = targetMembership === 'invite' || targetMembership === 'join' || (targetMembership === 'knock' && rv.knock);
        return can ? OK : reject(`cannot leave with membership ${targetMembership} (rule 4.5.1)`);
      }
      if (senderMembership !== 'join') return reject('sender is not joined to the room (rule 4.5.2)');
      if (targetMembership === 'ban' && senderLevel < pl.ban) return reject(`unbanning needs the ban level ${pl.ban}, sender has ${senderLevel} (rule 4.5.3)`);
      if (senderLevel >= pl.kick && targetLevel < senderLevel) return OK; // 4.5.4
      return reject(`kicking needs the kick level ${pl.kick} and a level above the target's ${targetLevel}; sender has ${senderLevel} (rule 4.5.5)`);
    }

    case 'ban': {
      if (senderMembership !== 'join') return reject('sender is not joined to the room (rule 4.6.1)');
      if (senderLevel >= pl.ban && targetLevel < senderLevel) return OK; // 4.6.2
      return reject(`banning needs the ban level ${pl.ban} and a level above the target's ${targetLevel}; sender has ${senderLevel} (rule 4.6.3)`);
    }

    case 'knock': {
      if (!rv.knock) return reject(`room version ${rv.id} has no knock membership (rule 4.8)`);
      const rule = joinRuleOf(state);
      if (rule !== 'knock' && !(rule === 'knock_restricted' && rv.knockRestricted)) return reject(`join rule ${JSON.stringify(rule)} does not allow knocking (rule 4.7.1)`);
      if (sender !== target) return reject('a knock must be sent by the knocking user (rule 4.7.2)');
      if (senderMembership !== 'ban' && senderMembership !== 'invite' && senderMembership !== 'join') return OK; // 4.7.3
      return reject(`cannot knock with membership ${senderMembership} (rule 4.7.4)`);
    }

    default:
      return reject(`unknown membership ${JSON.stringify(membership)} (rule 4.8)`);
  }
}

/** Rule 4.4.1: an invite that fulfils an `m.room.third_party_invite`. */
function checkThirdPartyInvite(event: AuthEvent, state: AuthState, target: string, targetMembership: string): AuthResult {
  if (targetMembership === 'ban') return reject('invitee is banned (rule 4.4.1.1)');
  const tpi = own(event.content, 'third_party_invite');
  const signed = isPlainObject(tpi) ? own(tpi, 'signed') : undefined;
  if (!isPlainObject(signed)) return reject('third_party_invite has no signed object (rule 4.4.1.2)');
  const mxid = own(signed, 'mxid');
  const token = own(signed, 'token');
  if (typeof mxid !== 'string' || typeof token !== 'string') return reject('third_party_invite.signed needs string mxid and token (rule 4.4.1.3)');
  if (mxid !== target) return reject('third_party_invite.signed.mxid does not match the state_key (rule 4.4.1.4)');
  const invite = state.get(THIRD_PARTY_INVITE, token);
  if (!invite) return reject('no m.room.third_party_invite event matches the token (rule 4.4.1.5)');
  if (invite.sender !== event.sender) return reject('the sender did not send the matching m.room.third_party_invite (rule 4.4.1.6)');
  // 4.4.1.7: `signed` must carry a signature by one of the invite's public keys. The signing
  // identity server is not trusted beyond that; key validity URLs are not consulted.
  if (signedByAnyKey(signed, publicKeysOf(contentOf(invite)))) return OK;
  return reject('no signature in third_party_invite.signed matches a public key of the m.room.third_party_invite (rule 4.4.1.8)');
}

/** The ed25519 keys of an `m.room.third_party_invite`: `public_key` and `public_keys[].public_key`. */
function publicKeysOf(content: JsonObject): KeyObject[] {
  const encoded: string[] = [];
  const single = own(content, 'public_key');
  if (typeof single === 'string') encoded.push(single);
  const list = own(content, 'public_keys');
  if (Array.isArray(list)) {
    for (const entry of list) {
      const k = isPlainObject(entry) ? own(entry, 'public_key') : undefined;
      if (typeof k === 'string') encoded.push(k);
    }
  }
  const keys: KeyObject[] = [];
  for (const s of encoded) {
    // Identity servers publish standard or URL-safe unpadded base64.
    try {
      keys.push(publicKeyFromBase64(s.replace(/-/g, '+').replace(/_/g, '/')));
    } catch {
      // not a key: ignored
    }
  }
  return keys;
}

function signedByAnyKey(signed: JsonObject, keys: readonly KeyObject[]): boolean {
  const sigs = own(signed, 'signatures');
  if (!isPlainObject(sigs) || keys.length === 0) return false;
  for (const signer of Object.keys(sigs)) {
    const bySigner = sigs[signer];
    if (!isPlainObject(bySigner)) continue;
    for (const keyId of Object.keys(bySigner)) {
      for (const key of keys) if (verifyJsonSignature(signed, signer, keyId, key)) return true;
    }
  }
  return false;
}

/** The entry of an object-valued property, or undefined. */
function entry(obj: JsonObject, prop: string, key: string): JsonValue | undefined {
  const m = own(obj, prop);
  return isPlainObject(m) ? own(m, key) : undefined;
}

function keysOf(obj: JsonObject, prop: string): string[] {
  const m = own(obj, prop);
  return isPlainObject(m) ? Object.keys(m) : [];
}

/**
 * Rule 9.3 as rooms v1-v9 have it (their only shape check): `users`, when present, maps valid user
 * IDs to levels the version accepts (integer strings too; floats up to v5).
 */
function usersProblemBeforeV10(content: JsonObject, rv: RoomVersion): string | null {
  const users = own(content, 'users');
  if (users === undefined) return null;
  if (!isPlainObject(users)) return 'power levels "users" must be an object (rule 9.3)';
  for (const k of Object.keys(users)) {
    if (!isUserId(k)) return `power levels "users" key ${JSON.stringify(k.slice(0, 80))} is not a valid user ID (rule 9.3)`;
    if (parseLevel(users[k], rv.powerLevelValues) === undefined) return `power levels "users"."${k}" must be an integer (rule 9.3)`;
  }
  return null;
}

/**
 * Rule 9: shape checks, then what the sender may change relative to the previous power levels.
 * Before v10 levels may be strings (and floats up to v5): both contents are compared as the
 * integers they stand for.
 */
function checkPowerLevels(event: AuthEvent, previous: AuthEvent | undefined, senderLevel: number, rv: RoomVersion): AuthResult {
  const problem = rv.integerPowerLevels ? powerLevelsContentProblem(event.content) : usersProblemBeforeV10(event.content, rv); // 9.1-9.3
  if (problem !== null) return reject(problem);
  if (!previous) return OK; // 9.4
  const next = normalisePowerLevels(event.content, rv);
  const prev = normalisePowerLevels(contentOf(previous), rv);
  const above = (v: JsonValue | undefined, limit: number) => isLevel(v) && v > limit;

  // 9.5
  for (const key of PL_INTEGER_KEYS) {
    const before = own(prev, key);
    const after = own(next, key);
    if (before === after) continue;
    if (above(before, senderLevel)) return reject(`cannot change "${key}": its current value ${String(before)} is above the sender's level ${senderLevel} (rule 9.5.1)`);
    if (above(after, senderLevel)) return reject(`cannot set "${key}" to ${String(after)}, above the sender's level ${senderLevel} (rule 9.5.2)`);
  }

  // 9.6 / 9.7
  for (const prop of rv.notificationsAuthRule ? ['events', 'notifications'] : ['events']) {
    for (const key of new Set([...keysOf(prev, prop), ...keysOf(next, prop)])) {
      const before = entry(prev, prop, key);
      const after = entry(next, prop, key);
      if (before === after) continue;
      if (above(before, senderLevel)) return reject(`cannot change ${prop}["${key}"]: its current value ${String(before)} is above the sender's level ${senderLevel} (rule 9.6.1)`);
      if (above(after, senderLevel)) return reject(`cannot set ${prop}["${key}"] to ${String(after)}, above the sender's level ${senderLevel} (rule 9.7.1)`);
    }
  }

  // 9.8 / 9.9
  for (const user of new Set([...keysOf(prev, 'users'), ...keysOf(next, 'users')])) {
    const before = entry(prev, 'users', user);
    const after = entry(next, 'users', user);
    if (before === after) continue;
    if (user !== event.sender && isLevel(before) && before >= senderLevel) {
      return reject(`cannot change the level of ${user} (${before}), not below the sender's level ${senderLevel} (rule 9.8.1)`);
    }
    if (above(after, senderLevel)) return reject(`cannot give ${user} level ${String(after)}, above the sender's level ${senderLevel} (rule 9.9.1)`);
  }
  return OK; // 9.10
}
