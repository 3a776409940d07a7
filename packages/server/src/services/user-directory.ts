// The user directory (spec "User directory", users.yaml): local users who share a room with the
// searcher, or are joined to a room that is published in the directory, has a `public` join rule or
// `world_readable` history visibility (the spec's minimum since v1.15); deactivated accounts never appear.

import type { UserDirectoryResponse, UserDirectoryResult } from '@hush/protocol';
import type { Db } from '../storage/db.ts';
import { accountsStore } from '../storage/accounts.store.ts';
import type { Requester } from './requester.ts';

/** "Defaults to 10"; larger requests are clamped. */
const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 100;

export class UserDirectoryService {
  constructor(private readonly db: Db) {}

  async search(r: Requester, term: string, limit = DEFAULT_LIMIT): Promise<UserDirectoryResponse> {
    const n = Math.min(limit, MAX_LIMIT);
    if (n === 0 || term.trim().length === 0) return { results: [], limited: false };
    const rows = await accountsStore.searchDirectory(this.db, r.userId, term.trim(), n + 1);
    const results = rows.slice(0, n).map((u) => {
      const out: UserDirectoryResult = { user_id: u.user_id };
      if (u.displayname !== null) out.display_name = u.displayname;
      if (u.avatar_url !== null) out.avatar_url = u.avatar_url;
      return out;
    });
    return { results, limited: rows.length > n };
  }
}
