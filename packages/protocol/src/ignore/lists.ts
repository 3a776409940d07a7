// Parses every ignore-list format a user can write into account data, and builds the IgnoreView the
// policy answers from. Pure (no I/O): the server validates writes and builds views with it, the client
// library reads the same lists with it. Unreadable content is rejected when written, never
// half-applied when read.

import { badJson, invalidParam } from '../errors.ts';
import { isRoomId, isServerName, isUserId } from '../ids.ts';
import { emptyIgnoreView, type IgnoreRules, type IgnoreView, type InvitePermission, type PolicyRules } from './policy.ts';
import { compileGlobs } from './globs.ts';

export const IGNORED_USER_LIST = 'm.ignored_user_list';
/** MSC2270. */
export const IGNORED_ROOM_LIST = 'm.ignored_room_list';
/** MSC3840, stable and unstable names (both are read; both are validated). */
export const IGNORED_INVITES = 'm.ignored_invites';
export const IGNORED_INVITES_UNSTABLE = 'org.matrix.msc3840.ignored_invites';
/** MSC4294: invites from these users are rejected on the user's behalf. */
export const IGNORED_INVITERS_LIST = 'm.ignored_inviters_list';
/** MSC4365: policy rooms whose rules ignore users, inside `m.ignored_user_list` (stable and the
 *  proposal's unstable key). */
export const IGNORED_USER_LIST_ROOMS_KEYS = ['ignored_user_list_rooms', 'gay.rory.msc9999.ignored_user_list_rooms', 'org.matrix.msc4365.ignored_user_list_rooms'];
/** Invite permission (spec v1.18). */
export const INVITE_PERMISSION_CONFIG = 'm.invite_permission_config';
/** MSC4380's unstable name for the same content (Element writes it when the server advertises
 *  `org.matrix.msc4380`). */
export const INVITE_PERMISSION_CONFIG_UNSTABLE = 'org.matrix.msc4380.invite_permission_config';
/** MSC4155's glob lists (unstable name). */
export const MSC4155_CONFIG = 'org.matrix.msc4155.invite_permission_config';
/** MSC3847: which policy rooms the user's invites are filtered by (stable and unstable names). */
export const POLICIES = 'm.policies';
export const POLICIES_UNSTABLE = 'org.matrix.msc3847.policies';
export const IGNORE_INVITES_KEYS = ['m.ignore.invites', 'org.matrix.msc3847.ignore.invites'];
/** Policy rule types (moderation policy lists) whose `m.ban` rules apply. */
export const POLICY_RULE_TYPES = ['m.policy.rule.user', 'm.policy.rule.server', 'm.policy.rule.room'];

/** The account-data types whose content this module parses (and so validates on write). */
export const IGNORE_LIST_TYPES: ReadonlySet<string> = new Set([IGNORED_USER_LIST, IGNORED_INVITERS_LIST, IGNORED_ROOM_LIST, IGNORED_INVITES, IGNORED_INVITES_UNSTABLE, INVITE_PERMISSION_CONFIG, INVITE_PERMISSION_CONFIG_UNSTABLE, MSC4155_CONFIG, POLICIES, POLICIES_UNSTABLE]);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function keyName(k: string): string {
  return JSON.stringify(k.slice(0, 80));
}

/** A map of ids to objects (`{"@user:server": {}}`), keys checked by `valid`. Throws M_BAD_JSON. */
function idMap(v: unknown, field: string, valid: (k: string) => boolean, what: string): Set<string> {
  if (!isPlainObject(v)) throw badJson(`${field} must be an object whose keys are ${what}s`);
  const out = new Set<string>();
  // A list may hold 10,000 entries or more: no array per entry, and an error's text is made only
  // when there is an error.
  const map = v as Record<string, unknown>;
  for (const k in map) {
    const meta = map[k];
    if (!valid(k)) throw badJson(`${field} key ${keyName(k)} is not a valid ${what}`);
    if (!isPlainObject(meta)) throw badJson(`${field}[${k}] must be an object`);
    const problem = ignoreMetadataProblem(meta);
    if (problem !== undefined) throw badJson(`${field}[${k}].${problem}`);
    out.add(k);
  }
  return out;
}

/** MSC3840 IgnoreMetadata: optional integer `ts`, optional string `reason`; what is wrong, if anything. */
function ignoreMetadataProblem(meta: Record<string, unknown>): string | undefined {
  if (meta['ts'] !== undefined && !Number.isSafeInteger(meta['ts'])) return 'ts must be an integer timestamp';
  if (meta['reason'] !== undefined && typeof meta['reason'] !== 'string') return 'reason must be a string';
  return undefined;
}

/** MSC3840 fields come as string arrays (first draft) or as maps to IgnoreMetadata (current). */
function idsEitherForm(v: unknown, field: string, valid: (k: string) => boolean, what: string): Set<string> {
  if (v === undefined) return new Set();
  if (Array.isArray(v)) {
    if (v.length > 100_000) throw badJson(`${field} is too long`);
    for (const x of v) if (typeof x !== 'string' || !valid(x)) throw badJson(`${field} entry ${keyName(String(x))} is not a valid ${what}`);
    return new Set(v as string[]);
  }
  return idMap(v, field, valid, what);
}

/** MSC4365's per-room options ("All of these are optional"); Hush's defaults are in
 *  docs/decisions/0010-newest-proposals.md. */
export interface PolicyListOptions {
  useGlobs: boolean;
  useServerBans: boolean;
  useBannedRooms: boolean;
}

export interface IgnoredUserList {
  users: Set<string>;
  /** MSC4294's `ignored_inviters`, when written inside `m.ignored_user_list`. */
  inviters: Set<string>;
  /** MSC4365 `ignored_user_list_rooms`. */
  ruleRooms: Map<string, PolicyListOptions>;
}

const MAX_POLICY_ROOMS = 100;

function policyListOptions(v: unknown, where: string): PolicyListOptions {
  if (!isPlainObject(v)) throw badJson(`${where} must be an object`);
  const flag = (k: string, dflt: boolean): boolean => {
    const x = v[k];
    if (x === undefined) return dflt;
    if (typeof x !== 'boolean') throw badJson(`${where}.${k} must be a boolean`);
    return x;
  };
  flag('apply_retroactively', true);
  return { useGlobs: flag('use_globs', true), useServerBans: flag('use_server_bans', true), useBannedRooms: flag('use_banned_rooms', false) };
}

/** `m.ignored_user_list`: `ignored_users`, and the extensions MSC4294 (`ignored_inviters`) and
 *  MSC4365 (`ignored_user_list_rooms`). Throws M_BAD_JSON. */
export function parseIgnoredUserListContent(content: unknown): IgnoredUserList {
  if (!isPlainObject(content)) throw badJson('m.ignored_user_list content must be an object');
  const users = idMap(content['ignored_users'], 'ignored_users', isUserId, 'user ID');
  const inviters = content['ignored_inviters'] === undefined ? new Set<string>() : idMap(content['ignored_inviters'], 'ignored_inviters', isUserId, 'user ID');
  const ruleRooms = new Map<string, PolicyListOptions>();
  for (const key of IGNORED_USER_LIST_ROOMS_KEYS) {
    const v = content[key];
    if (v === undefined) continue;
    if (!isPlainObject(v)) throw badJson(`${key} must be an object keyed by room ID`);
    for (const [roomId, opts] of Object.entries(v)) {
      if (!isRoomId(roomId)) throw badJson(`${key} key ${keyName(roomId)} is not a valid room ID`);
      ruleRooms.set(roomId, policyListOptions(opts, `${key}[${roomId}]`));
    }
  }
  if (ruleRooms.size > MAX_POLICY_ROOMS) throw badJson(`at most ${MAX_POLICY_ROOMS} policy rooms`);
  return { users, inviters, ruleRooms };
}

/** `{"ignored_users": {"@user:server": {}}}` → the set of user ids. Throws M_BAD_JSON. */
export function parseIgnoredUserList(content: unknown): Set<string> {
  return parseIgnoredUserListContent(content).users;
}

/** MSC4294 `m.ignored_inviters_list`: `{"ignored_inviters": {"@user:server": {}}}`. */
export function parseIgnoredInvitersList(content: unknown): Set<string> {
  if (!isPlainObject(content)) throw badJson(`${IGNORED_INVITERS_LIST} content must be an object`);
  return idMap(content['ignored_inviters'] ?? {}, 'ignored_inviters', isUserId, 'user ID');
}

/** MSC2270: `{"ignored_rooms": {"!room:server": {}}}` → room ids. */
export function parseIgnoredRoomList(content: unknown): Set<string> {
  if (!isPlainObject(content)) throw badJson('m.ignored_room_list content must be an object');
  return idMap(content['ignored_rooms'], 'ignored_rooms', isRoomId, 'room ID');
}

export interface IgnoredInvites {
  users: Set<string>;
  servers: Set<string>;
  rooms: Set<string>;
  invites: Map<string, Set<string>>;
}

/** MSC3840 `m.ignored_invites`, either published form. */
export function parseIgnoredInvites(content: unknown): IgnoredInvites {
  if (!isPlainObject(content)) throw badJson('m.ignored_invites content must be an object');
  const invites = new Map<string, Set<string>>();
  const specific = content['ignored_invites'];
  if (specific !== undefined) {
    if (!isPlainObject(specific)) throw badJson('ignored_invites must be an object keyed by room ID');
    for (const [roomId, byUser] of Object.entries(specific)) {
      if (!isRoomId(roomId)) throw badJson(`ignored_invites key ${keyName(roomId)} is not a valid room ID`);
      invites.set(roomId, idMap(byUser, `ignored_invites[${roomId}]`, isUserId, 'user ID'));
    }
  }
  return {
    users: idsEitherForm(content['ignored_user_ids'], 'ignored_user_ids', isUserId, 'user ID'),
    servers: idsEitherForm(content['ignored_servers'], 'ignored_servers', isServerName, 'server name'),
    rooms: idsEitherForm(content['ignored_room_ids'], 'ignored_room_ids', isRoomId, 'room ID'),
    invites,
  };
}

/** Invite permission's `default_action`, with MSC4494's `deny_public` (and its unstable value). */
export type InviteDefault = 'allow' | 'block' | 'deny_public';
export const DENY_PUBLIC_VALUES: readonly string[] = ['deny_public', 'uk.timedout.msc4494.deny_public'];

/** Invite permission. "A missing, invalid or unsupported value means that the user wants to receive
 *  invites as normal"; only a non-object content or a non-string default_action is refused
 *  (M_BAD_JSON). */
export function parseInvitePermission(content: unknown): InviteDefault {
  if (!isPlainObject(content)) throw badJson('m.invite_permission_config content must be an object');
  const action = content['default_action'];
  if (action !== undefined && typeof action !== 'string') throw badJson('default_action must be a string');
  if (action === 'block') return 'block';
  return typeof action === 'string' && DENY_PUBLIC_VALUES.includes(action) ? 'deny_public' : 'allow';
}

const MSC4155_FIELDS = ['allowed_users', 'ignored_users', 'blocked_users', 'allowed_servers', 'ignored_servers', 'blocked_servers'] as const;

/** MSC4155: every field an optional array of glob strings ("missing or null … an empty array"). */
export function parseMsc4155(content: unknown): InvitePermission {
  if (!isPlainObject(content)) throw badJson(`${MSC4155_CONFIG} content must be an object`);
  const lists = {} as Record<(typeof MSC4155_FIELDS)[number], string[]>;
  for (const f of MSC4155_FIELDS) {
    const v = content[f];
    if (v === undefined || v === null) lists[f] = [];
    else if (Array.isArray(v) && v.length <= 100_000 && v.every((x) => typeof x === 'string' && x.length <= 512)) lists[f] = v as string[];
    else throw badJson(`${f} must be an array of glob strings`);
  }
  return {
    allowedUsers: compileGlobs(lists.allowed_users),
    ignoredUsers: compileGlobs(lists.ignored_users),
    blockedUsers: compileGlobs(lists.blocked_users),
    allowedServers: compileGlobs(lists.allowed_servers),
    ignoredServers: compileGlobs(lists.ignored_servers),
    blockedServers: compileGlobs(lists.blocked_servers),
  };
}

/** MSC3847 `m.policies`: `{"m.ignore.invites": {"target": roomId, "sources": [roomId…]}}` → sources. */
export function parsePolicies(content: unknown): Set<string> {
  if (!isPlainObject(content)) throw badJson('m.policies content must be an object');
  const sources = new Set<string>();
  for (const key of IGNORE_INVITES_KEYS) {
    const p = content[key];
    if (p === undefined) continue;
    if (!isPlainObject(p)) throw badJson(`${key} must be an object`);
    if (p['target'] !== undefined && !isRoomId(p['target'])) throw badJson(`${key}.target must be a room ID`);
    const list = p['sources'] ?? [];
    if (!Array.isArray(list) || list.length > 100 || !list.every((r) => isRoomId(r))) throw badJson(`${key}.sources must be an array of room IDs`);
    for (const r of list as string[]) sources.add(r);
  }
  return sources;
}

export interface PolicyRule {
  type: string;
  content: Record<string, unknown>;
}

/** The `m.ban` entities of policy rules by type; `exactOnly` drops entities with glob characters. */
function banEntities(rules: readonly PolicyRule[], exactOnly = false): Record<string, string[]> {
  const lists: Record<string, string[]> = { 'm.policy.rule.user': [], 'm.policy.rule.server': [], 'm.policy.rule.room': [] };
  for (const r of rules) {
    const entity = r.content['entity'];
    if (r.content['recommendation'] !== 'm.ban' || typeof entity !== 'string' || entity.length === 0 || entity.length > 512) continue;
    if (exactOnly && /[*?]/.test(entity)) continue;
    lists[r.type]?.push(entity);
  }
  return lists;
}

/** `m.ban` rules of policy rooms → anchored glob sets per entity kind, compiled once. */
export function compilePolicyRules(rules: readonly PolicyRule[]): PolicyRules {
  const lists = banEntities(rules);
  return {
    users: compileGlobs(lists['m.policy.rule.user'] ?? []),
    servers: compileGlobs(lists['m.policy.rule.server'] ?? []),
    rooms: compileGlobs(lists['m.policy.rule.room'] ?? []),
  };
}

/** MSC4365: the rules of each subscribed room, under that subscription's options, as one rule set. */
export function compileIgnoreRules(byRoom: readonly { rules: readonly PolicyRule[]; options: PolicyListOptions }[]): IgnoreRules {
  const users: string[] = [];
  const servers: string[] = [];
  const rooms: string[] = [];
  for (const { rules, options } of byRoom) {
    const lists = banEntities(rules, !options.useGlobs);
    users.push(...(lists['m.policy.rule.user'] ?? []));
    if (options.useServerBans) servers.push(...(lists['m.policy.rule.server'] ?? []));
    if (options.useBannedRooms) rooms.push(...(lists['m.policy.rule.room'] ?? []));
  }
  return { users: compileGlobs(users), servers: compileGlobs(servers), rooms: compileGlobs(rooms) };
}

/** The parser of each list type: what its content means, or M_BAD_JSON. */
const PARSERS: ReadonlyMap<string, (content: unknown) => unknown> = new Map<string, (content: unknown) => unknown>([
  [IGNORED_USER_LIST, parseIgnoredUserListContent],
  [IGNORED_INVITERS_LIST, parseIgnoredInvitersList],
  [IGNORED_ROOM_LIST, parseIgnoredRoomList],
  [IGNORED_INVITES, parseIgnoredInvites],
  [IGNORED_INVITES_UNSTABLE, parseIgnoredInvites],
  [INVITE_PERMISSION_CONFIG, parseInvitePermission],
  [INVITE_PERMISSION_CONFIG_UNSTABLE, parseInvitePermission],
  [MSC4155_CONFIG, parseMsc4155],
  [POLICIES, parsePolicies],
  [POLICIES_UNSTABLE, parsePolicies],
]);

/** Each readable list's parsed content, by type (what `PARSERS` made of it). Parsed once per change:
 *  a 10,000-entry list costs milliseconds, so views, policy look-ups and writes share one parse. */
export type ParsedLists = ReadonlyMap<string, unknown>;

/** Validates an ignore-list write by `owner` before anything is stored, and returns what it means
 *  (undefined for a type that is not a list). Throws M_BAD_JSON, or M_INVALID_PARAM for oneself. */
export function validateIgnoreListWrite(owner: string, type: string, content: unknown): unknown {
  const parse = PARSERS.get(type);
  if (parse === undefined) return undefined;
  const parsed = parse(content);
  const self =
    type === IGNORED_USER_LIST
      ? (parsed as IgnoredUserList).users.has(owner) || (parsed as IgnoredUserList).inviters.has(owner)
      : type === IGNORED_INVITERS_LIST && (parsed as Set<string>).has(owner);
  if (self) throw invalidParam('You cannot ignore yourself');
  return parsed;
}

/** Parses stored list contents (JSON text by type); unreadable ones are left out (they apply nothing). */
export function parseLists(lists: ReadonlyMap<string, string>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [type, raw] of lists) {
    const parse = PARSERS.get(type);
    const parsed = parse && lenient(raw, parse);
    if (parsed !== undefined) out.set(type, parsed);
  }
  return out;
}

/** The policy rooms a user's lists name: MSC3847 invite-rule sources and MSC4365 ignore-rule rooms. */
export function policyRoomsOf(parsed: ParsedLists): { inviteRooms: Set<string>; ignoreRooms: ReadonlyMap<string, PolicyListOptions> } {
  const inviteRooms = new Set<string>();
  for (const type of [POLICIES, POLICIES_UNSTABLE]) for (const r of (parsed.get(type) as Set<string> | undefined) ?? []) inviteRooms.add(r);
  return { inviteRooms, ignoreRooms: (parsed.get(IGNORED_USER_LIST) as IgnoredUserList | undefined)?.ruleRooms ?? new Map<string, PolicyListOptions>() };
}

/** Content that fails to parse (stored before validation existed, or by hand) applies nothing. */
export function lenient<T>(raw: string | undefined, parse: (v: unknown) => T): T | undefined {
  if (raw === undefined) return undefined;
  try {
    return parse(JSON.parse(raw));
  } catch {
    return undefined;
  }
}

/** Compiled policy-room rules a view needs: MSC3847 invite rules and MSC4365 ignore rules, and every
 *  room they were read from. */
export interface ViewPolicy {
  rules: PolicyRules | null;
  ignoreRules?: IgnoreRules | null;
  sources: string[];
}

/** Builds a view from list contents (JSON text by type) and compiled policy rules. */
export function viewFromLists(userId: string, lists: ReadonlyMap<string, string>, version: number, policy: ViewPolicy): IgnoreView {
  return viewFromParsed(userId, parseLists(lists), version, policy);
}

/** Without `userId` (nobody ignores themselves), sharing `ids` when it does not hold it: parsed
 *  lists are shared between views and never changed. */
function without(ids: ReadonlySet<string> | undefined, userId: string): Set<string> {
  if (ids === undefined) return new Set();
  if (!ids.has(userId)) return ids as Set<string>;
  const copy = new Set(ids);
  copy.delete(userId);
  return copy;
}

/** Builds a view from parsed lists (see `parseLists`) and compiled policy rules. */
export function viewFromParsed(userId: string, parsed: ParsedLists, version: number, policy: ViewPolicy): IgnoreView {
  const userList = parsed.get(IGNORED_USER_LIST) as IgnoredUserList | undefined;
  const users = without(userList?.users, userId);
  const rejected = without(new Set([...(userList?.inviters ?? []), ...((parsed.get(IGNORED_INVITERS_LIST) as Set<string> | undefined) ?? [])]), userId);
  const rooms = new Set((parsed.get(IGNORED_ROOM_LIST) as Set<string> | undefined) ?? []);
  const view = emptyIgnoreView(userId, version);
  const inviteLists = [parsed.get(IGNORED_INVITES), parsed.get(IGNORED_INVITES_UNSTABLE)] as (IgnoredInvites | undefined)[];
  const servers = new Set<string>();
  const inviters = new Set<string>();
  const invites = new Map<string, Set<string>>();
  for (const l of inviteLists) {
    if (!l) continue;
    for (const s of l.servers) servers.add(s);
    for (const u of l.users) inviters.add(u);
    for (const r of l.rooms) rooms.add(r);
    for (const [room, us] of l.invites) invites.set(room, new Set([...(invites.get(room) ?? []), ...us]));
  }
  inviters.delete(userId);
  // Either name may carry the setting; the stricter one applies (a block written under the
  // unstable name is not lifted by clearing the stable one).
  const defaults = [INVITE_PERMISSION_CONFIG, INVITE_PERMISSION_CONFIG_UNSTABLE].map((t) => parsed.get(t) as InviteDefault | undefined);
  const inviteDefault = defaults.includes('block') ? 'block' : defaults.includes('deny_public') ? 'deny_public' : 'allow';
  const invitePermission = (parsed.get(MSC4155_CONFIG) as InvitePermission | undefined) ?? null;
  return {
    ...view,
    ignoredUsers: users,
    ignoredServers: servers,
    ignoredInviters: inviters,
    ignoredInviteRooms: rooms,
    ignoredInvites: invites,
    blocksInvites: inviteDefault === 'block',
    deniesPublicInviters: inviteDefault === 'deny_public',
    rejectedInviters: rejected,
    invitePermission,
    policyRules: policy.rules,
    ignoreRules: policy.ignoreRules ?? null,
    policySources: policy.sources,
  };
}
