// Importing a list export all or nothing: every entry checked (ids, and each new policy room asked
// of the homeserver through the room summary) before anything is written; the joins first, then one
// write per list type; and when any step fails, the previous content of every account-data type the
// import touched written back and the rooms it joined left again. The report names every change and
// every entry left out (your own id, duplicates, an invite default weaker than yours).

import {
  api,
  ErrCode,
  IGNORED_INVITES,
  IGNORED_ROOM_LIST,
  IGNORED_USER_LIST,
  INVITE_PERMISSION_CONFIG,
  INVITE_PERMISSION_CONFIG_UNSTABLE,
  MSC4155_CONFIG,
  POLICIES,
  type InviteDefault,
} from '@hush/protocol';
import { MatrixError } from './errors.ts';
import type { HushClient } from './client.ts';
import type { ExportedLists, GlobField, InviteRules, RuleKind } from './invite-rules.ts';

/** Ids per write when importing a long list of ignored users. */
const IMPORT_CHUNK = 1000;
const STRICTNESS: Record<InviteDefault, number> = { allow: 0, deny_public: 1, block: 2 };
/** What a type holds when it was absent before the import ("no entries", as the parsers accept it). */
const EMPTY: Record<string, Record<string, unknown>> = { [IGNORED_USER_LIST]: { ignored_users: {} }, [IGNORED_ROOM_LIST]: { ignored_rooms: {} } };

export interface DroppedEntry {
  field: string;
  entry: string;
  why: string;
}

/** What an import changed, entry by entry, and what it left out. */
export interface ImportReport {
  added: {
    ignored_users: string[];
    ignored_invites: Record<RuleKind, string[]>;
    msc4155: Partial<Record<GlobField, string[]>>;
    policy_rooms: string[];
  };
  /** Reasons kept with the new invite entries. */
  reasons: number;
  invite_permission: { before: InviteDefault; after: InviteDefault };
  /** Policy rooms this account was not in and joined. */
  joined: string[];
  /** Entries the account had already. */
  unchanged: number;
  dropped: DroppedEntry[];
}

/** An import that stopped: `step` names the entry or list that failed, `cause` is why. When
 *  `notRestored` is empty, the account is as it was before the import. */
export class ImportError extends Error {
  override readonly name = 'ImportError';
  constructor(
    readonly step: string,
    override readonly cause: unknown,
    readonly notRestored: string[],
    readonly changedAnything: boolean,
  ) {
    super(`${step}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** Unique entries of `ids`, with the ones left out recorded in `dropped`. */
function unique(field: string, ids: readonly string[], dropped: DroppedEntry[], own?: string): string[] {
  const seen = new Set<string>();
  for (const id of ids) {
    if (id === own) dropped.push({ field, entry: id, why: 'your own user ID' });
    else if (seen.has(id)) dropped.push({ field, entry: id, why: 'listed twice' });
    else seen.add(id);
  }
  return [...seen];
}

/** Asks the homeserver whether a policy room exists and can be joined, without joining it: the
 *  room summary (spec v1.15). A server without it answers M_UNRECOGNIZED; then the join itself,
 *  made before any list is written and undone on failure, is the check. */
async function checkPolicyRoom(client: HushClient, roomId: string): Promise<void> {
  let summary;
  try {
    summary = await client.http.request(api.getRoomSummary, { params: { roomIdOrAlias: roomId } });
  } catch (err) {
    if (err instanceof MatrixError && err.errcode === ErrCode.UNRECOGNIZED) return;
    throw err;
  }
  if (summary.membership === 'join' || summary.membership === 'invite') return;
  if (summary.membership === 'ban') throw new MatrixError(403, ErrCode.FORBIDDEN, 'You are banned from this room');
  const rule = summary.join_rule ?? 'invite';
  if (rule !== 'public' && rule !== 'restricted' && rule !== 'knock_restricted') {
    throw new MatrixError(403, ErrCode.FORBIDDEN, `You cannot join this room: its join rule is ${rule} and you are not invited`);
  }
}

export async function importLists(client: HushClient, rules: InviteRules, data: ExportedLists, onProgress?: (done: number, total: number) => void): Promise<ImportReport> {
  const me = client.userId;
  const dropped: DroppedEntry[] = [];
  const inv = data.ignored_invites ?? { users: [], servers: [], rooms: [] };
  const file = {
    users: unique('ignored_users', data.ignored_users ?? [], dropped, me),
    invite: {
      user: unique('ignored_invites.users', inv.users, dropped, me),
      server: unique('ignored_invites.servers', inv.servers, dropped),
      room: unique('ignored_invites.rooms', inv.rooms, dropped),
    } as Record<RuleKind, string[]>,
    policyRooms: unique('policy_rooms', data.policy_rooms ?? [], dropped),
    globs: Object.fromEntries(Object.entries(data.msc4155 ?? {}).map(([f, xs]) => [f, unique(`msc4155.${f}`, xs ?? [], dropped)])) as Partial<Record<GlobField, string[]>>,
  };
  // Only what the account does not have yet is written.
  const have = rules.lists();
  const ignored = new Set(client.ignoredUsers());
  const inviteHave: Record<RuleKind, Set<string>> = { user: new Set(have.users), server: new Set(have.servers), room: new Set(have.rooms) };
  let unchanged = 0;
  const fresh = (ids: string[], held: ReadonlySet<string>) => {
    const out = ids.filter((id) => !held.has(id));
    unchanged += ids.length - out.length;
    return out;
  };
  const users = fresh(file.users, ignored);
  const invite = { user: fresh(file.invite.user, inviteHave.user), server: fresh(file.invite.server, inviteHave.server), room: fresh(file.invite.room, inviteHave.room) };
  const policyRooms = fresh(file.policyRooms, new Set(have.policyRooms));
  const globs: Partial<Record<GlobField, string[]>> = {};
  for (const [f, xs] of Object.entries(file.globs) as [GlobField, string[]][]) {
    const added = fresh(xs, new Set(have.globs[f] ?? []));
    if (added.length > 0) globs[f] = added;
  }
  const before = have.inviteDefault;
  let after = before;
  const wanted = data.invite_permission ?? 'allow';
  if (STRICTNESS[wanted] > STRICTNESS[before]) after = wanted;
  else if (wanted !== before && wanted !== 'allow') dropped.push({ field: 'invite_permission', entry: wanted, why: `less strict than yours (${before})` });
  else if (wanted === before && wanted !== 'allow') unchanged++;
  const reasons: Record<string, string> = {};
  for (const [id, r] of Object.entries(inv.reasons ?? {})) if ((Object.values(invite) as string[][]).some((ids) => ids.includes(id))) reasons[id] = r;

  const total = users.length + invite.user.length + invite.server.length + invite.room.length + policyRooms.length;
  let done = 0;
  const step = (n: number) => onProgress?.((done += n), total);
  onProgress?.(0, total);

  // 1. Checks that change nothing.
  for (const room of policyRooms) {
    try {
      await checkPolicyRoom(client, room);
    } catch (err) {
      throw new ImportError(`policy_rooms: ${room}`, err, [], false);
    }
  }

  // 2. The writes, each type's previous content kept first.
  const previous = new Map<string, Record<string, unknown> | undefined>();
  const keep = async (...types: string[]) => {
    for (const type of types) {
      if (previous.has(type)) continue;
      try {
        previous.set(type, (await client.http.request(api.getAccountData, { params: { userId: me, type } })) as Record<string, unknown>);
      } catch (err) {
        if (!(err instanceof MatrixError && err.errcode === ErrCode.NOT_FOUND)) throw err;
        previous.set(type, undefined);
      }
    }
  };
  const joined: string[] = [];
  let current = '';
  try {
    for (const room of policyRooms) {
      current = `policy_rooms: ${room}`;
      const wasIn = client.store.room(room)?.membership === 'join';
      await client.join(room);
      if (!wasIn) joined.push(room);
    }
    current = 'ignored_users';
    for (let i = 0; i < users.length; i += IMPORT_CHUNK) {
      const chunk = users.slice(i, i + IMPORT_CHUNK);
      await keep(IGNORED_USER_LIST);
      await client.ignoreUsers(chunk);
      step(chunk.length);
    }
    for (const kind of ['user', 'server', 'room'] as const) {
      if (invite[kind].length === 0) continue;
      current = `ignored_invites.${kind}s`;
      await keep(IGNORED_INVITES, ...(kind === 'room' ? [IGNORED_ROOM_LIST] : []));
      await rules.ignoreManyInvitesFrom(kind, invite[kind], reasons);
      step(invite[kind].length);
    }
    if (after !== before) {
      current = 'invite_permission';
      await keep(INVITE_PERMISSION_CONFIG, ...(client.store.accountDataContent(INVITE_PERMISSION_CONFIG_UNSTABLE)?.['default_action'] !== undefined ? [INVITE_PERMISSION_CONFIG_UNSTABLE] : []));
      await rules.setInviteDefault(after);
    }
    if (policyRooms.length > 0) {
      current = 'policy_rooms';
      await keep(POLICIES);
      await rules.usePolicyRooms(policyRooms);
      step(policyRooms.length);
    }
    if (Object.keys(globs).length > 0) {
      current = 'msc4155';
      await keep(MSC4155_CONFIG);
      await rules.addGlobs(globs);
    }
  } catch (err) {
    throw new ImportError(current, err, await undo(client, previous, joined), true);
  }
  return {
    added: { ignored_users: users, ignored_invites: invite, msc4155: globs, policy_rooms: policyRooms },
    reasons: Object.keys(reasons).length,
    invite_permission: { before, after },
    joined,
    unchanged,
    dropped,
  };
}

/** Writes back what each touched type held before (newest first) and leaves the rooms the import
 *  joined; returns what could not be put back. */
async function undo(client: HushClient, previous: ReadonlyMap<string, Record<string, unknown> | undefined>, joined: readonly string[]): Promise<string[]> {
  const failed: string[] = [];
  for (const [type, content] of [...previous].reverse()) {
    const back = content ?? EMPTY[type] ?? {};
    try {
      await client.updateAccountData(type, () => back);
    } catch (err) {
      failed.push(`${type} (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  for (const room of [...joined].reverse()) {
    try {
      await client.leave(room);
    } catch (err) {
      failed.push(`membership of ${room} (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  return failed;
}
