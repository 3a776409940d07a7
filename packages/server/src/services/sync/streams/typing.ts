// The typing stream of /sync: a room's `m.typing` event when its list changed in the window for
// someone the requester may see (typing numbers, not stream positions: `since.typing` →
// `position.typing`). Users the requester ignores are left out of the list, and their starting or
// stopping is no change at all.

import type { BasicEvent } from '@hush/protocol';
import { shownFrom, showsUser } from '../../../policy/shown.ts';
import type { SyncContext } from '../context.ts';

/** The room's `m.typing` event, or undefined when there is nothing new to tell. `force`: tell the
 *  list anyway (an initial sync, or a list change that changed what the room shows). */
export function typingStream(ctx: SyncContext, roomId: string, force: boolean): BasicEvent | undefined {
  const { since, ignore, filter, deps } = ctx;
  if (!filter.ephemeral.matchesType('m.typing')) return undefined;
  const shown = (u: string) => showsUser(ignore, u) && filter.ephemeral.matchesSender(u);
  if (!force && since !== undefined && !deps.typing.changedSince(roomId, since.typing, shown)) return undefined;
  const typing = shownFrom(ignore, deps.typing.typingIn(roomId), (u) => u).filter((u) => filter.ephemeral.matchesSender(u));
  return { type: 'm.typing', content: { user_ids: typing } };
}
