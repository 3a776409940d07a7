// Checks of what the user typed, made before any request: homeserver URLs, timeouts, user IDs, server names,
// room IDs, the --user/--server/--room targets of `hush invites`, and `hush lists` export files.

import { isRoomId, isServerName, isUserId } from '@hush/protocol';
import type { ExportedLists, GlobField, RuleKind } from '@hush/client';
import { usage } from './output.ts';

const KINDS: Record<RuleKind, { valid: (s: string) => boolean; what: string; shape: string }> = {
  user: { valid: isUserId, what: 'a Matrix user ID', shape: '@name:server' },
  server: { valid: isServerName, what: 'a server name', shape: 'example.org or example.org:8448' },
  room: { valid: isRoomId, what: 'a room ID', shape: '!id:server' },
};

const quoteList = (xs: readonly string[]): string =>
  xs
    .slice(0, 5)
    .map((x) => JSON.stringify(x.length > 80 ? `${x.slice(0, 80)}…` : x))
    .join(', ') + (xs.length > 5 ? ` and ${xs.length - 5} more` : '');

/** Throws a usage error naming every entry that is not a valid `kind`. */
export function checkIds(kind: RuleKind, ids: readonly string[], where = ''): void {
  const k = KINDS[kind];
  const bad = ids.filter((id) => !k.valid(id));
  if (bad.length > 0) throw usage(`${where}not ${k.what}: ${quoteList(bad)} (expected ${k.shape})`);
}

export const checkUserIds = (ids: readonly string[]): void => checkIds('user', ids);

/** A homeserver base URL: http(s), without a trailing slash. */
export function parseHomeserver(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw usage(`not a homeserver URL: ${JSON.stringify(url)} (expected e.g. https://matrix.example.org)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw usage(`the homeserver URL must be http(s), not ${JSON.stringify(url)}`);
  if (u.search || u.hash) throw usage(`the homeserver URL takes no query or fragment: ${JSON.stringify(url)}`);
  return url.replace(/\/+$/, '');
}

/** Most seconds --timeout / $HUSH_TIMEOUT take (a day). */
const MAX_TIMEOUT_S = 86_400;

/** --timeout SECONDS (else $HUSH_TIMEOUT) in milliseconds: a number of seconds from 0 (no limit) to a
 *  day, fractions allowed; undefined when neither is given. */
export function parseTimeout(raw: string | undefined, source = '--timeout'): number | undefined {
  if (raw === undefined) return undefined;
  const s = raw.trim();
  const n = /^\d+(\.\d+)?$/.test(s) ? Number(s) : NaN;
  if (!(n >= 0 && n <= MAX_TIMEOUT_S)) throw usage(`${source} takes a number of seconds from 0 (no limit) to ${MAX_TIMEOUT_S}, not ${JSON.stringify(raw)}`);
  return Math.round(n * 1000);
}

/** `hush login --user`: a localpart, or a full user ID when it has a sigil or a colon. */
export function checkLoginUser(user: string): void {
  if (user.startsWith('@') || user.includes(':')) checkUserIds([user]);
  else if (!/^[!-9;-~]+$/.test(user)) throw usage(`not a user name: ${JSON.stringify(user)} (expected a localpart like alice, or @alice:example.org)`);
}

export interface TargetOptions {
  user?: string[];
  server?: string[];
  room?: string[];
}

/** The --user/--server/--room options of `hush invites ignore|unignore`, checked. */
export function parseTargets(opts: TargetOptions): [RuleKind, string[]][] {
  const list: [RuleKind, string[]][] = [
    ['user', opts.user ?? []],
    ['server', opts.server ?? []],
    ['room', opts.room ?? []],
  ];
  if (list.every(([, ids]) => ids.length === 0)) throw usage('name at least one --user, --server or --room');
  for (const [kind, ids] of list) checkIds(kind, ids);
  return list.filter(([, ids]) => ids.length > 0);
}

const GLOB_FIELDS: readonly GlobField[] = ['allowed_users', 'ignored_users', 'blocked_users', 'allowed_servers', 'ignored_servers', 'blocked_servers'];
const INVITE_DEFAULTS = ['allow', 'block', 'deny_public'] as const;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function strings(v: unknown, field: string, source: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw usage(`${source}: ${field} must be a list of strings`);
  return v as string[];
}

/** A `hush lists export` document, checked entry by entry; missing lists count as empty. */
export function parseExport(text: string, source: string): ExportedLists {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw usage(`${source} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isObject(doc) || doc['version'] !== 1) throw usage(`${source} is not a hush lists export (expected {"version": 1, …})`);
  const inv = doc['ignored_invites'] ?? {};
  if (!isObject(inv)) throw usage(`${source}: ignored_invites must be an object`);
  const permission = doc['invite_permission'] ?? 'allow';
  if (!INVITE_DEFAULTS.includes(permission as (typeof INVITE_DEFAULTS)[number])) throw usage(`${source}: invite_permission must be one of ${INVITE_DEFAULTS.join(', ')}`);
  const globsIn = doc['msc4155'] ?? {};
  if (!isObject(globsIn)) throw usage(`${source}: msc4155 must be an object`);
  const msc4155: Partial<Record<GlobField, string[]>> = {};
  for (const [k, v] of Object.entries(globsIn)) {
    if (!GLOB_FIELDS.includes(k as GlobField)) throw usage(`${source}: msc4155.${k} is not one of ${GLOB_FIELDS.join(', ')}`);
    msc4155[k as GlobField] = strings(v, `msc4155.${k}`, source);
  }
  const reasonsIn = inv['reasons'] ?? {};
  if (!isObject(reasonsIn) || Object.values(reasonsIn).some((r) => typeof r !== 'string')) throw usage(`${source}: ignored_invites.reasons must be an object of strings by id`);
  const out: ExportedLists = {
    version: 1,
    ignored_users: strings(doc['ignored_users'], 'ignored_users', source),
    ignored_invites: {
      users: strings(inv['users'], 'ignored_invites.users', source),
      servers: strings(inv['servers'], 'ignored_invites.servers', source),
      rooms: strings(inv['rooms'], 'ignored_invites.rooms', source),
      ...(Object.keys(reasonsIn).length > 0 ? { reasons: reasonsIn as Record<string, string> } : {}),
    },
    invite_permission: permission as ExportedLists['invite_permission'],
    msc4155,
    policy_rooms: strings(doc['policy_rooms'], 'policy_rooms', source),
  };
  checkIds('user', out.ignored_users, `${source}: ignored_users: `);
  checkIds('user', out.ignored_invites.users, `${source}: ignored_invites.users: `);
  checkIds('server', out.ignored_invites.servers, `${source}: ignored_invites.servers: `);
  checkIds('room', out.ignored_invites.rooms, `${source}: ignored_invites.rooms: `);
  checkIds('room', out.policy_rooms, `${source}: policy_rooms: `);
  const listed = new Set([...out.ignored_invites.users, ...out.ignored_invites.servers, ...out.ignored_invites.rooms]);
  const stray = Object.keys(reasonsIn).filter((id) => !listed.has(id));
  if (stray.length > 0) throw usage(`${source}: ignored_invites.reasons names entries that are not listed: ${quoteList(stray)}`);
  return out;
}
