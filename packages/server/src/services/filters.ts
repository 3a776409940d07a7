// Sync and event filters (spec "Filtering"): stored per user, given inline as JSON, compiled once
// per request into predicates over event rows.

import { ErrCode, MatrixError, badJson, forbidden, type Filter, type RoomEventFilter, type UserId } from '@hush/protocol';
import type { Db, Tx } from '../storage/db.ts';
import { filtersStore } from '../storage/filters.store.ts';
import type { EventRow } from '../storage/events.store.ts';
import type { Requester } from './requester.ts';

/** Filters as the spec defines them (sync_filter.yaml and friends). */
export type EventFilterJson = RoomEventFilter;
export type SyncFilterJson = Filter;

export interface CompiledEventFilter {
  limit: number;
  lazyLoadMembers: boolean;
  includeRedundantMembers: boolean;
  /** `unread_thread_notifications`: counts per thread (room timeline filter only). */
  unreadThreadNotifications: boolean;
  matchesType(type: string): boolean;
  matchesRoom(roomId: string): boolean;
  matchesSender(sender: string): boolean;
  matches(row: EventRow): boolean;
}

const MAX_LIMIT = 1000;

function globMatcher(patterns: readonly string[] | undefined): ((s: string) => boolean) | null {
  if (!patterns) return null;
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const regexes: RegExp[] = [];
  for (const p of patterns) {
    if (!p.includes('*')) exact.add(p);
    else if (p.indexOf('*') === p.length - 1) prefixes.push(p.slice(0, -1));
    else regexes.push(new RegExp(`^${p.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`));
  }
  return (s) => exact.has(s) || prefixes.some((x) => s.startsWith(x)) || regexes.some((r) => r.test(s));
}

export function compileEventFilter(f: EventFilterJson | undefined, defaultLimit: number): CompiledEventFilter {
  const types = globMatcher(f?.types);
  const notTypes = globMatcher(f?.not_types);
  const senders = f?.senders ? new Set(f.senders) : null;
  const notSenders = new Set(f?.not_senders ?? []);
  const rooms = f?.rooms ? new Set(f.rooms) : null;
  const notRooms = new Set(f?.not_rooms ?? []);
  const containsUrl = f?.contains_url;
  const matchesType = (t: string) => (!types || types(t)) && !(notTypes && notTypes(t));
  const matchesRoom = (r: string) => (!rooms || rooms.has(r)) && !notRooms.has(r);
  const matchesSender = (u: string) => (!senders || senders.has(u)) && !notSenders.has(u);
  return {
    limit: Math.min(Math.max(f?.limit ?? defaultLimit, 0), MAX_LIMIT),
    lazyLoadMembers: f?.lazy_load_members === true,
    includeRedundantMembers: f?.include_redundant_members === true,
    unreadThreadNotifications: f?.unread_thread_notifications === true,
    matchesType,
    matchesRoom,
    matchesSender,
    matches(row) {
      if (!matchesType(row.type) || !matchesRoom(row.room_id) || !matchesSender(row.sender)) return false;
      if (containsUrl !== undefined) {
        const hasUrl = typeof (JSON.parse(row.json) as { content?: { url?: unknown } }).content?.url === 'string';
        if (hasUrl !== containsUrl) return false;
      }
      return true;
    },
  };
}

const str = (v: unknown) => typeof v === 'string';
const strArray = (v: unknown) => v === undefined || (Array.isArray(v) && v.length <= 1000 && v.every(str));

/** Checks a filter's shape (wrong types are M_BAD_JSON, never coerced). */
export function validateEventFilter(f: unknown, where: string): EventFilterJson | undefined {
  if (f === undefined) return undefined;
  if (typeof f !== 'object' || f === null || Array.isArray(f)) throw badJson(`${where} must be an object`);
  const o = f as Record<string, unknown>;
  for (const k of ['types', 'not_types', 'senders', 'not_senders', 'rooms', 'not_rooms']) {
    if (!strArray(o[k])) throw badJson(`${where}.${k} must be an array of strings`);
  }
  if (o['limit'] !== undefined && !(Number.isInteger(o['limit']) && (o['limit'] as number) >= 0)) throw badJson(`${where}.limit must be a non-negative integer`);
  for (const k of ['contains_url', 'lazy_load_members', 'include_redundant_members', 'unread_thread_notifications']) {
    if (o[k] !== undefined && typeof o[k] !== 'boolean') throw badJson(`${where}.${k} must be a boolean`);
  }
  return o as EventFilterJson;
}

export function validateSyncFilter(f: unknown): SyncFilterJson {
  if (typeof f !== 'object' || f === null || Array.isArray(f)) throw badJson('Filter must be an object');
  const o = f as Record<string, unknown>;
  validateEventFilter(o['account_data'], 'account_data');
  validateEventFilter(o['presence'], 'presence');
  if (o['event_fields'] !== undefined && !strArray(o['event_fields'])) throw badJson('event_fields must be an array of strings');
  if (o['event_format'] !== undefined && o['event_format'] !== 'client' && o['event_format'] !== 'federation') throw badJson('event_format must be client or federation');
  const room = o['room'];
  if (room !== undefined) {
    if (typeof room !== 'object' || room === null || Array.isArray(room)) throw badJson('room must be an object');
    const r = room as Record<string, unknown>;
    if (!strArray(r['rooms']) || !strArray(r['not_rooms'])) throw badJson('room.rooms and room.not_rooms must be arrays of strings');
    if (r['include_leave'] !== undefined && typeof r['include_leave'] !== 'boolean') throw badJson('room.include_leave must be a boolean');
    for (const k of ['timeline', 'state', 'ephemeral', 'account_data']) validateEventFilter(r[k], `room.${k}`);
  }
  return o as SyncFilterJson;
}

export function parseFilterParam(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    throw new MatrixError(400, ErrCode.NOT_JSON, 'filter is not valid JSON');
  }
}

export class FilterService {
  constructor(private readonly db: Db) {}

  async define(r: Requester, userId: string, body: unknown): Promise<string> {
    if (userId !== r.userId) throw forbidden('Cannot create filters for other users');
    const filter = validateSyncFilter(body);
    return String(await filtersStore.insert(this.db, userId, JSON.stringify(filter)));
  }

  async get(r: Requester, userId: string, filterId: string): Promise<SyncFilterJson> {
    if (userId !== r.userId) throw forbidden('Cannot read filters of other users');
    const json = /^[0-9]{1,9}$/.test(filterId) ? await filtersStore.get(this.db, userId, Number(filterId)) : undefined;
    if (json === undefined) throw new MatrixError(404, ErrCode.NOT_FOUND, 'No such filter');
    return JSON.parse(json) as SyncFilterJson;
  }

  /** The `filter` query parameter of /sync: inline JSON or a stored filter id. */
  async resolve(tx: Tx, userId: UserId, param: string | undefined): Promise<SyncFilterJson> {
    if (param === undefined || param === '') return {};
    if (param.trimStart().startsWith('{')) return validateSyncFilter(parseFilterParam(param));
    const json = /^[0-9]{1,9}$/.test(param) ? await filtersStore.get(tx, userId, Number(param)) : undefined;
    if (json === undefined) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Unknown filter');
    return JSON.parse(json) as SyncFilterJson;
  }
}
