// Parses every ignore-list format a user can write into account data, and builds the IgnoreView
// the policy answers from. Unreadable content is rejected when written, never half-applied when read.

import { badJson, invalidParam, isUserId } from '@hush/spec';
import type { Tx } from '../storage/db.ts';
import { accountDataStore } from '../storage/account-data.store.ts';
import type { IgnoreView } from './ignore.ts';

export const IGNORED_USER_LIST = 'm.ignored_user_list';

/** The account-data types whose content this module parses (and so validates on write). */
export const IGNORE_LIST_TYPES: ReadonlySet<string> = new Set([IGNORED_USER_LIST]);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `{"ignored_users": {"@user:server": {}}}` → the set of user ids. Throws M_BAD_JSON. */
export function parseIgnoredUserList(content: unknown): Set<string> {
  if (!isPlainObject(content)) throw badJson('m.ignored_user_list content must be an object');
  const list = content['ignored_users'];
  if (!isPlainObject(list)) throw badJson('ignored_users must be an object whose keys are user IDs');
  const out = new Set<string>();
  for (const [userId, value] of Object.entries(list)) {
    if (!isUserId(userId)) throw badJson(`ignored_users key ${JSON.stringify(userId.slice(0, 80))} is not a valid user ID`);
    if (!isPlainObject(value)) throw badJson(`ignored_users[${userId}] must be an object`);
    out.add(userId);
  }
  return out;
}

/** Validates an ignore-list write by `owner` before anything is stored. */
export function validateIgnoreListWrite(owner: string, type: string, content: unknown): void {
  if (type === IGNORED_USER_LIST) {
    if (parseIgnoredUserList(content).has(owner)) throw invalidParam('You cannot ignore yourself');
  }
}

/** Parsed views by user, with the stream position of the list they were built from. A list is
 *  parsed once per change, not once per request: with 10,000 entries that parse costs milliseconds. */
const views = new Map<string, { ordering: number; view: IgnoreView }>();
const MAX_CACHED_VIEWS = 10_000;

function build(userId: string, raw: string | undefined, version: number): IgnoreView {
  let ignoredUsers = new Set<string>();
  if (raw !== undefined) {
    try {
      ignoredUsers = parseIgnoredUserList(JSON.parse(raw));
    } catch {
      // Stored before validation existed or written by hand: apply nothing rather than part of it.
      ignoredUsers = new Set();
    }
  }
  ignoredUsers.delete(userId);
  return { userId, version, ignoredUsers };
}

/** The one snapshot of a user's ignore lists, read in the caller's transaction. */
export async function loadIgnoreView(tx: Tx, userId: string): Promise<IgnoreView> {
  const ordering = (await accountDataStore.orderingOf(tx, userId, '', IGNORED_USER_LIST)) ?? 0;
  const hit = views.get(userId);
  if (hit && hit.ordering === ordering) return hit.view;
  const row = ordering === 0 ? undefined : await accountDataStore.get(tx, userId, '', IGNORED_USER_LIST);
  const view = build(userId, row?.content, row?.ordering ?? 0);
  if (views.size >= MAX_CACHED_VIEWS) views.clear();
  views.set(userId, { ordering: row?.ordering ?? 0, view });
  return view;
}
