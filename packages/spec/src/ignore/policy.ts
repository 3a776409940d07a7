// THE ignore policy: one immutable snapshot of everything a user has said about whom to ignore, and
// the verdicts every read path asks of it ("Ignoring Users" module, MSC2270, MSC3840, …). Pure: the
// server builds views in policy/ignore-lists.ts and asks these verdicts; the client library asks the same.

import { globMatches, type GlobSet } from './globs.ts';

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
  /** MSC4155 `org.matrix.msc4155.invite_permission_config`, compiled; null when unset. */
  readonly invitePermission: InvitePermission | null;
  /** MSC3847: `m.ban` rules of the policy rooms listed under `m.policies` → `m.ignore.invites`
   *  (only rooms the user is joined to), compiled; null when none. */
  readonly policyRules: PolicyRules | null;
  /** The policy rooms the rules came from (their rule changes change the view). */
  readonly policySources: readonly string[];
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
  return { userId, version, ignoredUsers: new Set(), ignoredServers: new Set(), ignoredInviters: new Set(), ignoredInviteRooms: new Set(), ignoredInvites: new Map(), blocksInvites: false, invitePermission: null, policyRules: null, policySources: [] };
}

function serverOf(userId: string): string {
  return userId.slice(userId.indexOf(':') + 1);
}

/** Whether everything a user sends is ignored: listed, or on an ignored server (MSC3840). A user
 *  never ignores themselves. One or two hash lookups. */
export function hidesUser(view: IgnoreView, userId: string): boolean {
  if (userId === view.userId) return false;
  if (view.ignoredUsers.has(userId)) return true;
  return view.ignoredServers.size > 0 && view.ignoredServers.has(serverOf(userId));
}

/** Non-state events from ignored senders are hidden; state events are always served. */
export function hidesEvent(view: IgnoreView, ev: { sender: string; state_key: string | null }): boolean {
  return ev.state_key === null && hidesUser(view, ev.sender);
}

/** Which rule hides an invite, or null when it is shown. Exact lists (hash lookups) are asked
 *  first; glob lists (MSC4155, policy rules) only for invites that pass them. An MSC4155 "allow"
 *  does not lift a hide by another list: ignoring a user stays total. */
export function inviteRule(view: IgnoreView, inviter: string, roomId: string): string | null {
  if (view.blocksInvites) return 'm.invite_permission_config default_action block';
  if (view.ignoredUsers.has(inviter)) return 'm.ignored_user_list';
  if (view.ignoredServers.size > 0 && view.ignoredServers.has(serverOf(inviter))) return 'm.ignored_invites ignored_servers';
  if (view.ignoredInviters.has(inviter)) return 'm.ignored_invites ignored_user_ids';
  if (view.ignoredInviteRooms.has(roomId)) return 'm.ignored_room_list / m.ignored_invites ignored_room_ids';
  if (view.ignoredInvites.get(roomId)?.has(inviter)) return 'm.ignored_invites ignored_invites';
  const p = view.policyRules;
  if (p !== null) {
    if (globMatches(p.users, inviter)) return 'm.policies m.ignore.invites m.policy.rule.user';
    if (globMatches(p.servers, serverOf(inviter))) return 'm.policies m.ignore.invites m.policy.rule.server';
    if (globMatches(p.rooms, roomId)) return 'm.policies m.ignore.invites m.policy.rule.room';
  }
  const msc4155 = invitePermissionVerdict(view.invitePermission, inviter);
  if (msc4155 !== 'allow') return `org.matrix.msc4155.invite_permission_config ${msc4155 === 'ignore' ? 'ignored' : 'blocked'}`;
  return null;
}

/** "Servers must not send room invites from ignored users to clients", and MSC2270 / MSC3840. */
export function hidesInvite(view: IgnoreView, inviter: string, roomId: string): boolean {
  return inviteRule(view, inviter, roomId) !== null;
}

/** Invite permission: "the user's homeserver MUST respond … with … M_INVITE_BLOCKED". Refused at
 *  write time; invites already stored are hidden by `hidesInvite` instead, and come back when the
 *  block is lifted. */
export function blocksInvite(view: IgnoreView, inviter: string): boolean {
  return view.blocksInvites || invitePermissionVerdict(view.invitePermission, inviter) === 'block';
}

/** The spec's optional rejection applies to invites from users in `m.ignored_user_list`. */
export function rejectsInviteFrom(view: IgnoreView, inviter: string): boolean {
  return view.ignoredUsers.has(inviter);
}
