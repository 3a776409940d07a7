// Helpers for every invite list the spec and the proposals define — MSC2270 m.ignored_room_list,
// MSC3840 m.ignored_invites (map form), Invite permission, MSC4155 globs, MSC3847 / MSC4365 policy
// rooms with one state key per rule — plus Hush's hidden-invites review and list export/import.
// Every write is validated with @hush/protocol's parsers before it is sent.

import {
  api,
  IGNORED_INVITES,
  IGNORED_INVITES_UNSTABLE,
  IGNORED_INVITERS_LIST,
  IGNORED_ROOM_LIST,
  IGNORED_USER_LIST,
  INVITE_PERMISSION_CONFIG,
  INVITE_PERMISSION_CONFIG_UNSTABLE,
  INVITE_RULE,
  isRoomId,
  isServerName,
  isUserId,
  lenient,
  MSC4155_CONFIG,
  parseIgnoredInvites,
  parseIgnoredRoomList,
  parseInvitePermission,
  parsePolicies,
  POLICIES,
  POLICIES_UNSTABLE,
  validateIgnoreListWrite,
  ErrCode,
  type HiddenInvite,
  type InviteDefault,
} from '@hush/protocol';
import { MatrixError } from './errors.ts';
import type { HushClient } from './client.ts';
import { importLists, type ImportReport } from './import-lists.ts';

type Json = Record<string, unknown>;
export type RuleKind = 'user' | 'server' | 'room';
export type GlobField = 'allowed_users' | 'ignored_users' | 'blocked_users' | 'allowed_servers' | 'ignored_servers' | 'blocked_servers';

export interface InviteLists {
  users: string[];
  servers: string[];
  rooms: string[];
  inviteDefault: InviteDefault;
  globs: Partial<Record<GlobField, string[]>>;
  policyRooms: string[];
  /** The reason kept with an MSC3840 entry (user, server or room id → text), where one was given. */
  reasons: Record<string, string>;
}

/** A block list moved between accounts (`hush lists export|import`). */
export interface ExportedLists {
  version: 1;
  ignored_users: string[];
  /** `reasons`: the note kept with an entry, by its id (optional; older exports have none). */
  ignored_invites: { users: string[]; servers: string[]; rooms: string[]; reasons?: Record<string, string> };
  invite_permission: InviteDefault;
  msc4155: Partial<Record<GlobField, string[]>>;
  policy_rooms: string[];
}

const FIELD: Record<RuleKind, string> = { user: 'ignored_user_ids', server: 'ignored_servers', room: 'ignored_room_ids' };
const VALID: Record<RuleKind, (s: string) => boolean> = { user: isUserId, server: isServerName, room: isRoomId };

/** An MSC3840 field in its map form, whatever form it was stored in. */
function asMap(v: unknown): Record<string, Json> {
  if (Array.isArray(v)) return Object.fromEntries(v.filter((x): x is string => typeof x === 'string').map((x) => [x, {}]));
  return v && typeof v === 'object' ? { ...(v as Record<string, Json>) } : {};
}

function checked(type: string, owner: string, content: Json): Json {
  validateIgnoreListWrite(owner, type, content);
  return content;
}

/** How `showInviteAgain` lifts a hidden invite's rule, or null when the rule covers many invites. */
export function showAgainLift(rule: string): 'ignored_user' | 'inviter' | 'server' | 'room' | 'rejected_inviter' | 'allow_inviter' | null {
  switch (rule) {
    case INVITE_RULE.ignoredUser:
      return 'ignored_user';
    case INVITE_RULE.ignoredInviter:
      return 'inviter';
    case INVITE_RULE.ignoredServer:
      return 'server';
    case INVITE_RULE.ignoredRoom:
    case INVITE_RULE.ignoredInvite:
      return 'room';
    case INVITE_RULE.rejectedInviter:
      return 'rejected_inviter';
    case INVITE_RULE.globIgnored:
      return 'allow_inviter';
    default:
      return null;
  }
}

export class InviteRules {
  constructor(private readonly client: HushClient) {}

  private raw(type: string): string | undefined {
    const c = this.client.store.accountDataContent(type);
    return c === undefined ? undefined : JSON.stringify(c);
  }

  /** What the lists say now, stable and unstable names merged (the stricter invite default wins,
   *  as on the server). */
  lists(): InviteLists {
    const invites = [IGNORED_INVITES, IGNORED_INVITES_UNSTABLE].map((t) => lenient(this.raw(t), parseIgnoredInvites));
    const reasons: Record<string, string> = {};
    for (const t of [IGNORED_INVITES_UNSTABLE, IGNORED_INVITES]) {
      const c = this.client.store.accountDataContent(t);
      for (const f of Object.values(FIELD)) {
        for (const [id, meta] of Object.entries(asMap(c?.[f]))) if (typeof meta?.['reason'] === 'string' && meta['reason'] !== '') reasons[id] = meta['reason'];
      }
    }
    const merged = (k: 'users' | 'servers' | 'rooms') => [...new Set(invites.flatMap((i) => [...(i?.[k] ?? [])]))];
    const rooms = new Set([...merged('rooms'), ...(lenient(this.raw(IGNORED_ROOM_LIST), parseIgnoredRoomList) ?? [])]);
    const msc4155 = this.client.store.accountDataContent(MSC4155_CONFIG) ?? {};
    const globs: Partial<Record<GlobField, string[]>> = {};
    for (const [k, v] of Object.entries(msc4155)) if (Array.isArray(v)) globs[k as GlobField] = v.filter((x): x is string => typeof x === 'string');
    const defaults = [INVITE_PERMISSION_CONFIG, INVITE_PERMISSION_CONFIG_UNSTABLE].map((t) => lenient(this.raw(t), parseInvitePermission));
    return {
      users: merged('users'),
      servers: merged('servers'),
      rooms: [...rooms],
      inviteDefault: defaults.includes('block') ? 'block' : defaults.includes('deny_public') ? 'deny_public' : 'allow',
      globs,
      policyRooms: [...new Set([POLICIES, POLICIES_UNSTABLE].flatMap((t) => [...(lenient(this.raw(t), parsePolicies) ?? [])]))],
      reasons,
    };
  }

  private check(kind: RuleKind, id: string): void {
    if (!VALID[kind](id)) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Not a valid ${kind === 'user' ? 'user ID' : kind === 'server' ? 'server name' : 'room ID'}: ${JSON.stringify(id.slice(0, 80))}`);
  }

  /** MSC3840 (map form, with `ts` and `reason`); a room also goes into MSC2270's list. */
  async ignoreInvitesFrom(kind: RuleKind, id: string, reason?: string): Promise<void> {
    await this.ignoreManyInvitesFrom(kind, [id], reason);
  }

  /** Entries already listed keep what they have; `reason` is one note for all, or one per id. */
  async ignoreManyInvitesFrom(kind: RuleKind, ids: readonly string[], reason?: string | Readonly<Record<string, string>>): Promise<void> {
    for (const id of ids) this.check(kind, id);
    const ts = Date.now();
    const meta = (id: string) => {
      const r = typeof reason === 'string' ? reason : reason?.[id];
      return { ts, ...(r !== undefined ? { reason: r } : {}) };
    };
    const owner = this.client.userId;
    await this.client.updateAccountData(IGNORED_INVITES, (c) => {
      const field = asMap(c[FIELD[kind]]);
      for (const id of ids) field[id] ??= meta(id);
      return checked(IGNORED_INVITES, owner, { ...c, [FIELD[kind]]: field });
    });
    if (kind === 'room') {
      await this.client.updateAccountData(IGNORED_ROOM_LIST, (c) => {
        const rooms = asMap(c['ignored_rooms']);
        for (const id of ids) rooms[id] ??= {};
        return checked(IGNORED_ROOM_LIST, owner, { ...c, ignored_rooms: rooms });
      });
    }
  }

  /** Lifts an MSC3840 entry wherever it is written (the stable and the unstable name; a room also in
   *  MSC2270's list and in MSC3840's per-room `ignored_invites`). */
  async unignoreInvitesFrom(kind: RuleKind, id: string): Promise<void> {
    this.check(kind, id);
    const owner = this.client.userId;
    for (const type of [IGNORED_INVITES, IGNORED_INVITES_UNSTABLE]) {
      if (type === IGNORED_INVITES_UNSTABLE && this.client.store.accountDataContent(type) === undefined) continue;
      await this.client.updateAccountData(type, (c) => {
        const field = asMap(c[FIELD[kind]]);
        delete field[id];
        const specific = kind === 'room' && c['ignored_invites'] !== undefined ? { ...(c['ignored_invites'] as Json) } : undefined;
        if (specific) delete specific[id];
        return checked(type, owner, { ...c, [FIELD[kind]]: field, ...(specific ? { ignored_invites: specific } : {}) });
      });
    }
    if (kind === 'room') {
      await this.client.updateAccountData(IGNORED_ROOM_LIST, (c) => {
        const rooms = asMap(c['ignored_rooms']);
        delete rooms[id];
        return checked(IGNORED_ROOM_LIST, owner, { ...c, ignored_rooms: rooms });
      });
    }
  }

  /** Invite permission: block every invite, or not. */
  setBlockAll(on: boolean): Promise<void> {
    return this.setInviteDefault(on ? 'block' : 'allow');
  }

  /** Invite permission's `default_action` (MSC4494's `deny_public` only where the server advertises
   *  it). A value left under the unstable name (MSC4380) is rewritten too, or it would still apply. */
  async setInviteDefault(action: InviteDefault): Promise<void> {
    const write = (type: string) =>
      this.client.updateAccountData(type, (c) => {
        const next = { ...c };
        if (action === 'allow') delete next['default_action'];
        else next['default_action'] = action;
        return checked(type, this.client.userId, next);
      });
    await write(INVITE_PERMISSION_CONFIG);
    if (this.client.store.accountDataContent(INVITE_PERMISSION_CONFIG_UNSTABLE)?.['default_action'] !== undefined) await write(INVITE_PERMISSION_CONFIG_UNSTABLE);
  }

  /** MSC4155's glob lists; fields not given are kept. */
  setGlobs(lists: Partial<Record<GlobField, string[]>>): Promise<void> {
    validateIgnoreListWrite(this.client.userId, MSC4155_CONFIG, lists); // before any request
    return this.client.updateAccountData(MSC4155_CONFIG, (c) => checked(MSC4155_CONFIG, this.client.userId, { ...c, ...lists }));
  }

  /** MSC4155's glob lists, merged: the given globs are added to each field, nothing is removed. */
  addGlobs(lists: Partial<Record<GlobField, string[]>>): Promise<void> {
    validateIgnoreListWrite(this.client.userId, MSC4155_CONFIG, lists); // before any request
    return this.client.updateAccountData(MSC4155_CONFIG, (c) => {
      const next = { ...c };
      for (const [f, xs] of Object.entries(lists)) {
        const held = Array.isArray(c[f]) ? (c[f] as unknown[]).filter((x): x is string => typeof x === 'string') : [];
        next[f] = [...new Set([...held, ...(xs ?? [])])];
      }
      return checked(MSC4155_CONFIG, this.client.userId, next);
    });
  }

  /** Lists rooms (already joined) as sources of invite rules: MSC3847 `m.policies`, one write. */
  usePolicyRooms(roomIds: readonly string[]): Promise<void> {
    for (const r of roomIds) this.check('room', r);
    return this.client.updateAccountData(POLICIES, (c) => {
      const entry = (c['m.ignore.invites'] as Json | undefined) ?? {};
      const sources = new Set([...((entry['sources'] as string[] | undefined) ?? []), ...roomIds]);
      return checked(POLICIES, this.client.userId, { ...c, 'm.ignore.invites': { ...entry, sources: [...sources] } });
    });
  }

  /** Joins a policy room and uses its rules: for invites (MSC3847 `m.policies`) and, with
   *  `ignoreUsers`, as ignores everywhere (MSC4365 `ignored_user_list_rooms`). */
  async subscribePolicyRoom(roomId: string, opts: { ignoreUsers?: boolean } = {}): Promise<void> {
    this.check('room', roomId);
    await this.client.join(roomId);
    const owner = this.client.userId;
    await this.usePolicyRooms([roomId]);
    if (opts.ignoreUsers) {
      await this.client.updateAccountData(IGNORED_USER_LIST, (c) =>
        checked(IGNORED_USER_LIST, owner, { ignored_users: {}, ...c, ignored_user_list_rooms: { ...(c['ignored_user_list_rooms'] as Json | undefined), [roomId]: {} } }),
      );
    }
  }

  async unsubscribePolicyRoom(roomId: string): Promise<void> {
    this.check('room', roomId);
    const owner = this.client.userId;
    await this.client.updateAccountData(POLICIES, (c) => {
      const entry = (c['m.ignore.invites'] as Json | undefined) ?? {};
      const sources = ((entry['sources'] as string[] | undefined) ?? []).filter((r) => r !== roomId);
      return checked(POLICIES, owner, { ...c, 'm.ignore.invites': { ...entry, sources } });
    });
    if (lenient(this.raw(POLICIES_UNSTABLE), parsePolicies)?.has(roomId)) {
      // Written by another client under MSC3847's unstable names: lifted there too.
      await this.client.updateAccountData(POLICIES_UNSTABLE, (c) => {
        const next = { ...c };
        for (const key of Object.keys(next)) {
          const entry = next[key] as Json | undefined;
          if (entry && Array.isArray(entry['sources'])) next[key] = { ...entry, sources: (entry['sources'] as string[]).filter((r) => r !== roomId) };
        }
        return checked(POLICIES_UNSTABLE, owner, next);
      });
    }
    const listed = this.client.store.accountDataContent(IGNORED_USER_LIST)?.['ignored_user_list_rooms'] as Json | undefined;
    if (listed && roomId in listed) {
      await this.client.updateAccountData(IGNORED_USER_LIST, (c) => {
        const rooms = { ...(c['ignored_user_list_rooms'] as Json | undefined) };
        delete rooms[roomId];
        return checked(IGNORED_USER_LIST, owner, { ignored_users: {}, ...c, ignored_user_list_rooms: rooms });
      });
    }
  }

  /** An `m.ban` rule in a policy room you moderate: one state event per rule, keyed `rule:<entity>`. */
  async addPolicyRule(roomId: string, kind: RuleKind, entity: string, reason?: string): Promise<string> {
    if (entity.length === 0 || entity.length > 512) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'A rule entity is 1 to 512 characters');
    const res = await this.client.http.request(api.setRoomStateWithKey, {
      params: { roomId, eventType: `m.policy.rule.${kind}`, stateKey: `rule:${entity}` },
      body: { entity, recommendation: 'm.ban', reason: reason ?? '' },
    });
    return res.event_id;
  }

  /** Removes a rule (state with empty content, as the moderation-policy module does). */
  async removePolicyRule(roomId: string, kind: RuleKind, entity: string): Promise<void> {
    await this.client.http.request(api.setRoomStateWithKey, { params: { roomId, eventType: `m.policy.rule.${kind}`, stateKey: `rule:${entity}` }, body: {} });
  }

  /** Shows one hidden invite again by lifting the entry that hid it (the review endpoint's `rule`):
   *  the inviter un-ignored, their server or the room taken off MSC3840/MSC2270, or the inviter
   *  added to MSC4155's `allowed_users`. An invite hidden by a rule that covers many invites ("block
   *  all", a policy-room rule) cannot be shown on its own: M_INVALID_PARAM, nothing written. */
  async showInviteAgain(hidden: Pick<HiddenInvite, 'rule' | 'inviter' | 'room_id'>): Promise<void> {
    const lift = showAgainLift(hidden.rule);
    if (lift === null) throw new MatrixError(400, ErrCode.INVALID_PARAM, `${hidden.rule} covers more than one invite; change that setting instead`);
    switch (lift) {
      case 'ignored_user':
        return this.client.unignoreUser(hidden.inviter);
      case 'inviter':
        return this.unignoreInvitesFrom('user', hidden.inviter);
      case 'server':
        return this.unignoreInvitesFrom('server', hidden.inviter.slice(hidden.inviter.indexOf(':') + 1));
      case 'room':
        return this.unignoreInvitesFrom('room', hidden.room_id);
      case 'rejected_inviter':
        return this.client.updateAccountData(IGNORED_INVITERS_LIST, (c) => {
          const listed = asMap(c['ignored_inviters']);
          delete listed[hidden.inviter];
          return checked(IGNORED_INVITERS_LIST, this.client.userId, { ...c, ignored_inviters: listed });
        });
      case 'allow_inviter':
        return this.client.updateAccountData(MSC4155_CONFIG, (c) => {
          const allowed = Array.isArray(c['allowed_users']) ? (c['allowed_users'] as string[]) : [];
          return checked(MSC4155_CONFIG, this.client.userId, { ...c, allowed_users: [...new Set([...allowed, hidden.inviter])] });
        });
    }
  }

  /** What the server hides and why (Hush's review endpoint; M_UNRECOGNIZED elsewhere). */
  async hiddenInvites(): Promise<HiddenInvite[]> {
    return (await this.client.http.request(api.getHiddenInvites)).invites;
  }

  exportLists(): ExportedLists {
    const l = this.lists();
    return {
      version: 1,
      ignored_users: this.client.ignoredUsers(),
      ignored_invites: { users: l.users, servers: l.servers, rooms: l.rooms, ...(Object.keys(l.reasons).length > 0 ? { reasons: l.reasons } : {}) },
      invite_permission: l.inviteDefault,
      msc4155: l.globs,
      policy_rooms: l.policyRooms,
    };
  }

  /** Merges an exported list into this account's lists, all or nothing (see import-lists.ts): ids
   *  checked and new policy rooms asked of the homeserver before anything is written; one write per
   *  list type (ignored users in chunks of 1,000), so 5,000 ids cost a handful of requests; on a
   *  failure, an ImportError after what was written has been put back. `onProgress(done, total)`
   *  counts ids written. */
  async importLists(data: ExportedLists, onProgress?: (done: number, total: number) => void): Promise<ImportReport> {
    if (data?.version !== 1) throw new MatrixError(400, ErrCode.BAD_JSON, 'Not a Hush list export (version 1)');
    const inv = data.ignored_invites ?? { users: [], servers: [], rooms: [] };
    for (const u of [...(data.ignored_users ?? []), ...inv.users]) this.check('user', u);
    for (const s of inv.servers) this.check('server', s);
    for (const r of [...inv.rooms, ...(data.policy_rooms ?? [])]) this.check('room', r);
    for (const [id, r] of Object.entries(inv.reasons ?? {})) if (typeof r !== 'string') throw new MatrixError(400, ErrCode.BAD_JSON, `The reason for ${id} is not a string`);
    if (data.msc4155) validateIgnoreListWrite(this.client.userId, MSC4155_CONFIG, data.msc4155);
    if (data.invite_permission !== undefined && !['allow', 'block', 'deny_public'].includes(data.invite_permission)) throw new MatrixError(400, ErrCode.BAD_JSON, 'invite_permission must be allow, block or deny_public');
    return importLists(this.client, this, data, onProgress);
  }
}
