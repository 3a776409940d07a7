// THE ignore policy: one immutable snapshot of everything a user has said about whom to ignore,
// and the verdicts every read path asks of it ("Ignoring Users" module). Built from account data
// by ignore-lists.ts; nothing else reads ignore lists.

export interface IgnoreView {
  readonly userId: string;
  /** Stream position of the newest list this view was built from (0: none). */
  readonly version: number;
  /** Users whose non-state events, invites, typing and receipts are hidden from this viewer. */
  readonly ignoredUsers: ReadonlySet<string>;
}

export const EMPTY_IGNORE = (userId: string): IgnoreView => ({ userId, version: 0, ignoredUsers: new Set() });

/** Non-state events from ignored senders are hidden; state events are always served. */
export function hidesEvent(view: IgnoreView, ev: { sender: string; state_key: string | null }): boolean {
  return ev.state_key === null && view.ignoredUsers.size > 0 && view.ignoredUsers.has(ev.sender);
}

/** "Servers must not send room invites from ignored users to clients." */
export function hidesInvite(view: IgnoreView, inviter: string): boolean {
  return view.ignoredUsers.has(inviter);
}

/** Typing notifications and read receipts of ignored users are not served either. */
export function hidesUser(view: IgnoreView, userId: string): boolean {
  return view.ignoredUsers.has(userId);
}
