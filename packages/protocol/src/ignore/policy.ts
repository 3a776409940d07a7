// THE ignore policy: one immutable snapshot of everything a user has said about whom to ignore, and
// the verdicts every read path asks of it ("Ignoring Users" module, MSC2270, MSC3840, …). Pure: the
// server builds views in policy/ignore-lists.ts and asks these verdicts; the client library asks the same.

import { globMatches, type GlobSet } from './globs.ts';

/** The names of the rules that ignore a user or hide / refuse an invite, as verdicts return them
 *  and the hidden-invites review reports them (docs/api/hidden-invites.md). */
export const INVITE_RULE = {
  ignoredUser: 'm.ignored_user_list',
  ignoredServer: 'm.ignored_invites ignored_servers',
  listUser: 'm.ignored_user_list ignored_user_list_rooms m.policy.rule.user',
  listServer: 'm.ignored_user_list ignored_user_list_rooms m.policy.rule.server',
  listRoom: 'm.ignored_user_list ignored_user_list_rooms m.policy.rule.room',
  blockAll: 'm.invite_permission_config default_action block',
  denyPublic: 'm.invite_permission_config default_action deny_public',
  rejectedInviter: 'm.ignored_inviters_list',
  ignoredInviter: 'm.ignored_invites ignored_user_ids',
  ignoredRoom: 'm.ignored_room_list / m.ignored_invites ignored_room_ids',
  ignoredInvite: 'm.ignored_invites ignored_invites',
  policiesUser: 'm.policies m.ignore.invites m.policy.rule.user',
  policiesServer: 'm.policies m.ignore.invites m.policy.rule.server',
  policiesRoom: 'm.policies m.ignore.invites m.policy.rule.room',
  globIgnored: 'org.matrix.msc4155.invite_permission_config ignored',
  globBlocked: 'org.matrix.msc4155.invite_permission_config blocked',
} as const;

export interface IgnoreView {
  readonly userId: string;
  /** Stream position of the newest list this view was built from (0: none). Stream positions only
   *  grow, so any list changing changes this. */
  readonly version: number;
  /** `m.ignored_user_list`: non-state events, invites, typing and receipts are hidden. */
  readonly ignoredUsers: ReadonlySet<string>;
  /** MSC3840 `ignored_servers`: like ignored users, for every user of these servers. */
  readonly ignoredServers: ReadonlySet<string>;
  /** MSC3840 `ignored_user_ids`: invites from these users are hidden (nothing else). */
  readonly ignoredInviters: ReadonlySet<string>;
  /** MSC2270 `ignored_rooms` ∪ MSC3840 `ignored_room_ids`: invites to these rooms are hidden. */
  readonly ignoredInviteRooms: ReadonlySet<string>;
  /** MSC3840 `ignored_invites`: room → inviters whose invite to that room is hidden. */
  readonly ignoredInvites: ReadonlyMap<string, ReadonlySet<string>>;
  /** Invite permission (spec v1.18): `m.invite_permission_config` with `default_action: "block"`. */
  readonly blocksInvites: boolean;
  /** MSC4494: `default_action: "deny_public"`: invites only from users who share a non-public room. */
  readonly deniesPublicInviters: boolean;
  /** MSC4294 `m.ignored_inviters_list` (and `ignored_inviters` in `m.ignored_user_list`): every
   *  invite from these users is rejected on the user's behalf, pending ones at once. */
  readonly rejectedInviters: ReadonlySet<string>;
  /** MSC4155 `org.matrix.msc4155.invite_permission_config`, compiled; null when unset. */
  readonly invitePermission: InvitePermission | null;
  /** MSC3847: `m.ban` rules of the policy rooms listed under `m.policies` → `m.ignore.invites`
   *  (only rooms the user is joined to), compiled; null when none. */
  readonly policyRules: PolicyRules | null;
  /** MSC4365: `m.ban` rules of the policy rooms in `m.ignored_user_list` → `ignored_user_list_rooms`
   *  (only rooms the user is joined to), compiled; they ignore users like the list itself. Null: none. */
  readonly ignoreRules: IgnoreRules | null;
  /** Every policy room either list reads (their rule changes change the view). */
  readonly policySources: readonly string[];
}

/** MSC4365 rules: users matched by a user rule, or on a server matched by a server rule (when the
 *  subscription uses server bans), are ignored; with `use_banned_rooms`, invites to matched rooms
 *  are hidden. */
export interface IgnoreRules {
  readonly users: GlobSet;
  readonly servers: GlobSet;
  readonly rooms: GlobSet;
}

export interface PolicyRules {
  readonly users: GlobSet;
  readonly servers: GlobSet;
  readonly rooms: GlobSet;
}

/** MSC4155: glob lists of users and servers that are allowed, ignored or blocked. */
export interface InvitePermission {
  readonly allowedUsers: GlobSet;
  readonly ignoredUsers: GlobSet;
  readonly blockedUsers: GlobSet;
  readonly allowedServers: GlobSet;
  readonly ignoredServers: GlobSet;
  readonly blockedServers: GlobSet;
}

/** MSC4155's order: allow, then ignore, then block, otherwise allow. */
export function invitePermissionVerdict(p: InvitePermission | null, inviter: string): 'allow' | 'ignore' | 'block' {
  if (p === null) return 'allow';
  const server = serverOf(inviter);
  if (globMatches(p.allowedUsers, inviter) || globMatches(p.allowedServers, server)) return 'allow';
  if (globMatches(p.ignoredUsers, inviter) || globMatches(p.ignoredServers, server)) return 'ignore';
  if (globMatches(p.blockedUsers, inviter) || globMatches(p.blockedServers, server)) return 'block';
  return 'allow';
}

export function emptyIgnoreView(userId: string, version = 0): IgnoreView {
  return { userId, version, ignoredUsers: new Set(), ignoredServers: new Set(), ignoredInviters: new Set(), ignoredInviteRooms: new Set(), ignoredInvites: new Map(), blocksInvites: false, deniesPublicInviters: false, rejectedInviters: new Set(), invitePermission: null, policyRules: null, ignoreRules: null, policySources: [] };
}

function serverOf(userId: string): string {
  return userId.slice(userId.indexOf(':') + 1);
}

/** Whether everything a user sends is ignored: listed, on an ignored server (MSC3840), or matched by
 *  a rule of a subscribed policy room (MSC4365). A user never ignores themselves. Hash lookups, and
 *  for policy rules the indexed glob sets. */
export function hidesUser(view: IgnoreView, userId: string): boolean {
  return ignoreReason(view, userId) !== null;
}

/** Which list ignores `userId`, or null. */
export function ignoreReason(view: IgnoreView, userId: string): string | null {
  if (userId === view.userId) return null;
  if (view.ignoredUsers.has(userId)) return INVITE_RULE.ignoredUser;
  if (view.ignoredServers.size > 0 && view.ignoredServers.has(serverOf(userId))) return INVITE_RULE.ignoredServer;
  const r = view.ignoreRules;
  if (r !== null) {
    if (globMatches(r.users, userId)) return INVITE_RULE.listUser;
    if (globMatches(r.servers, serverOf(userId))) return INVITE_RULE.listServer;
  }
  return null;
}

/** Which list makes a room ignored in previews (the space hierarchy, the room summary; decision
 *  0039), or null. A room is ignored when it is listed itself (MSC2270 `ignored_rooms`, MSC3840
 *  `ignored_room_ids`, an MSC4365 room rule with `use_banned_rooms`), when the server in its id is
 *  ignored (MSC3840 `ignored_servers`, an MSC4365 server rule), or when its creator, where known, is
 *  ignored by any list (`ignoreReason`). A room the viewer is joined to is never hidden by this. */
export function roomIgnoreReason(view: IgnoreView, room: { roomId: string; creator?: string | undefined; joined?: boolean }): string | null {
  if (room.joined === true) return null;
  if (view.ignoredInviteRooms.has(room.roomId)) return INVITE_RULE.ignoredRoom;
  const r = view.ignoreRules;
  if (r !== null && globMatches(r.rooms, room.roomId)) return INVITE_RULE.listRoom;
  const colon = room.roomId.indexOf(':');
  if (colon > 0) {
    const server = room.roomId.slice(colon + 1);
    if (view.ignoredServers.has(server)) return INVITE_RULE.ignoredServer;
    if (r !== null && globMatches(r.servers, server)) return INVITE_RULE.listServer;
  }
  return room.creator === undefined ? null : ignoreReason(view, room.creator);
}

/** Non-state events from ignored senders are hidden; state events are always served. */
export function hidesEvent(view: IgnoreView, ev: { sender: string; state_key: string | null }): boolean {
  return ev.state_key === null && hidesUser(view, ev.sender);
}

/** Which rule hides an invite, or null when it is shown. Exact lists (hash lookups) are asked
 *  first; glob lists (MSC4155, policy rules) only for invites that pass them. An MSC4155 "allow"
 *  does not lift a hide by another list: ignoring a user stays total. */
export function inviteRule(view: IgnoreView, inviter: string, roomId: string): string | null {
  if (view.blocksInvites) return INVITE_RULE.blockAll;
  const ignored = ignoreReason(view, inviter);
  if (ignored !== null) return ignored;
  if (view.rejectedInviters.has(inviter)) return INVITE_RULE.rejectedInviter;
  if (view.ignoredInviters.has(inviter)) return INVITE_RULE.ignoredInviter;
  if (view.ignoreRules !== null && globMatches(view.ignoreRules.rooms, roomId)) return INVITE_RULE.listRoom;
  if (view.ignoredInviteRooms.has(roomId)) return INVITE_RULE.ignoredRoom;
  if (view.ignoredInvites.get(roomId)?.has(inviter)) return INVITE_RULE.ignoredInvite;
  const p = view.policyRules;
  if (p !== null) {
    if (globMatches(p.users, inviter)) return INVITE_RULE.policiesUser;
    if (globMatches(p.servers, serverOf(inviter))) return INVITE_RULE.policiesServer;
    if (globMatches(p.rooms, roomId)) return INVITE_RULE.policiesRoom;
  }
  const msc4155 = invitePermissionVerdict(view.invitePermission, inviter);
  if (msc4155 !== 'allow') return msc4155 === 'ignore' ? INVITE_RULE.globIgnored : INVITE_RULE.globBlocked;
  return null;
}

/** "Servers must not send room invites from ignored users to clients", and MSC2270 / MSC3840. */
export function hidesInvite(view: IgnoreView, inviter: string, roomId: string): boolean {
  return inviteRule(view, inviter, roomId) !== null;
}

/** Invite permission: "the user's homeserver MUST respond … with … M_INVITE_BLOCKED". Refused at
 *  write time; invites already stored are hidden by `hidesInvite` instead, and come back when the
 *  block is lifted. MSC4494 `deny_public` needs one fact about the pair, asked only when it is set:
 *  whether the inviter shares with the user a joined room whose join rule is not `public`. It
 *  decides at the moment of the invite only (the proposal's "when receiving an invite"). Returns the
 *  rule that blocks, or null. */
export async function inviteBlockRule(view: IgnoreView, inviter: string, sharesNonPublicRoom: () => Promise<boolean>): Promise<string | null> {
  if (view.blocksInvites) return INVITE_RULE.blockAll;
  if (invitePermissionVerdict(view.invitePermission, inviter) === 'block') return INVITE_RULE.globBlocked;
  if (view.deniesPublicInviters && inviter !== view.userId && !(await sharesNonPublicRoom())) return INVITE_RULE.denyPublic;
  return null;
}

/** Invites the server rejects on the user's behalf (a real leave, as if the user declined): MSC4294's
 *  list always; with the server's `ignored-user-invites reject`, the spec's optional rejection of
 *  invites from users in `m.ignored_user_list` too. */
export function rejectsInviteFrom(view: IgnoreView, inviter: string, rejectIgnoredUsers: boolean): boolean {
  return view.rejectedInviters.has(inviter) || (rejectIgnoredUsers && view.ignoredUsers.has(inviter));
}
