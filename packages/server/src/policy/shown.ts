// The policy's verdicts on what a response carries besides room events: receipts, typing users,
// presence, send-to-device messages and invites. Each comes back branded `Shown`, and the /sync
// streams that format them accept nothing else — so no path can hand a client something from a
// user it ignores by forgetting to ask. (Room events: visibility.ts and its VisibleEvent.)

import { hidesInvite, hidesUser, type PolicyView } from './ignore.ts';

declare const shown: unique symbol;
/** Something the policy let through to one viewer. Only this module makes one. */
export type Shown<T> = T & { readonly [shown]: true };

/** Items whose author (`by`) the viewer does not ignore, in order. */
export function shownFrom<T>(view: PolicyView, items: readonly T[], by: (item: T) => string): Shown<T>[] {
  return items.filter((item) => !hidesUser(view, by(item))) as Shown<T>[];
}

/** Whether anything by `userId` may be shown (for a change that has no item of its own, such as
 *  someone stopping typing). */
export function showsUser(view: PolicyView, userId: string): boolean {
  return !hidesUser(view, userId);
}

/** Invites (membership rows naming their inviter and room) the viewer's lists do not hide. */
export function shownInvites<T extends { sender: string; room_id: string }>(view: PolicyView, invites: readonly T[]): Shown<T>[] {
  return invites.filter((m) => !hidesInvite(view, m.sender, m.room_id)) as Shown<T>[];
}
