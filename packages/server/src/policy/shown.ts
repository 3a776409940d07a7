// The policy's verdicts on what a response carries besides room events: receipts, typing users,
// presence, send-to-device messages, invites and room previews. Each comes back branded `Shown`, and the /sync
// streams that format them accept nothing else — so no path can hand a client something from a
// user it ignores by forgetting to ask. (Room events: visibility.ts and its VisibleEvent.)

import { hidesInvite, hidesUser, roomIgnoreReason, type PolicyView } from './ignore.ts';

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

/** What the policy knows of a previewed room besides its id: its creator when we hold the room,
 *  and whether the viewer is joined to it (a joined room is never hidden from its member). */
export interface RoomFacts {
  creator?: string | undefined;
  joined?: boolean;
}

/** Whether the viewer's lists leave a room visible in previews (decision 0039): not listed, not on
 *  an ignored server, not created by someone ignored. No viewer (an unauthenticated summary): yes. */
export function showsRoom(view: PolicyView | undefined, roomId: string, facts: RoomFacts = {}): boolean {
  return view === undefined || roomIgnoreReason(view, { roomId, ...facts }) === null;
}

/** A room preview (a hierarchy entry, a room summary) the viewer's lists do not ignore, or undefined. */
export function shownPreview<T extends { room_id: string }>(view: PolicyView | undefined, room: T, facts: RoomFacts = {}): Shown<T> | undefined {
  return showsRoom(view, room.room_id, facts) ? (room as Shown<T>) : undefined;
}
