// The presence stream of /sync: `m.presence` of users who share a joined room with the requester
// (and their own), changed in the window, through the presence filter; never of anyone the
// requester ignores (decision 0027).

import type { PresenceEvent } from '@hush/protocol';
import { shownFrom } from '../../../policy/shown.ts';
import type { Section, SyncContext } from '../context.ts';

export async function presenceStream(ctx: SyncContext): Promise<Section<{ events: PresenceEvent[] }>> {
  const { tx, r, since, position, ignore, filter, deps } = ctx;
  if (!filter.presence.matchesType('m.presence')) return { section: { events: [] }, hasData: false };
  const changed = await deps.presence.changes(tx, r, since?.stream ?? 0, position.stream);
  const events = shownFrom(ignore, changed, (p) => p.sender)
    .filter((p) => filter.presence.matchesSender(p.sender))
    .slice(-filter.presence.limit);
  return { section: { events }, hasData: events.length > 0 };
}
