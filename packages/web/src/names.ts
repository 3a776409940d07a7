// Display names for the people in one room, as the spec's "Calculating the display name for a
// user" says: the member event's `displayname` when one is set and no other joined or invited member
// uses it; the name and the user id when it is shared (or itself looks like a user id); the user id
// when there is no name. Computed from the room's current member state.

import { isUserId } from '@hush/protocol';
import type { MemberInfo } from '@hush/client';

const present = (m: MemberInfo) => m.membership === 'join' || m.membership === 'invite';

/** A name function for one room's members; anyone not among them is named by id. */
export function memberNames(members: readonly MemberInfo[]): (userId: string) => string {
  const byId = new Map(members.map((m) => [m.userId, m]));
  const uses = new Map<string, number>();
  for (const m of members) {
    const n = m.displayname?.trim();
    if (n && present(m)) uses.set(n, (uses.get(n) ?? 0) + 1);
  }
  return (userId) => {
    const m = byId.get(userId);
    const n = m?.displayname?.trim();
    if (!m || !n) return userId;
    const others = (uses.get(n) ?? 0) - (present(m) ? 1 : 0);
    return others > 0 || isUserId(n) ? `${n} (${userId})` : n;
  };
}
