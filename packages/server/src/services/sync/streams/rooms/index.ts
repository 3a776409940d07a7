// The rooms stream of /sync: the requester's rooms by membership — joined, invited, left, knocked —
// each entry from its provider. Incremental: a room is considered when its membership, events,
// typing, receipts or account data changed in the window, or a list change altered what it shows.

import type { BasicEvent, InvitedRoom, JoinedRoom, KnockedRoom, LeftRoom, SyncRooms } from '@hush/protocol';
import { eventsStore } from '../../../../storage/events.store.ts';
import { stateStore } from '../../../../storage/state.store.ts';
import { readPositionsIn, senderCountsIn } from '../../unread.ts';
import { loadViewers } from '../../../../policy/visibility.ts';
import { shownInvites, showsUser } from '../../../../policy/shown.ts';
import type { Section, SyncContext } from '../../context.ts';
import { joinedRoom, listEffectIn } from './joined.ts';
import { prefetchFullState, timelineFirstPageSize } from './timeline.ts';
import { leftRoom } from './left.ts';
import { strippedStateOf } from './invited.ts';

export interface RoomsInputs {
  /** Each joined room's `m.receipt` event of the window (receipts stream). */
  receipts: Map<string, BasicEvent>;
  /** Each room's changed account data (account-data stream). */
  accountData: Map<string, BasicEvent[]>;
}

export async function roomsStream(ctx: SyncContext, inputs: RoomsInputs): Promise<Section<Required<SyncRooms>>> {
  const { tx, r, since, position, ignore, filter, fullState, memberships, deps } = ctx;
  const joinedIds = memberships.filter((m) => m.membership === 'join').map((m) => m.room_id);
  // A list change since the token: rooms where it revealed history come `limited` (decision 0023),
  // rooms where it only hid someone come with their new counts; judged against the view the token
  // was answered with.
  const ignoreChanged = since !== undefined && ignore.version > since.stream;
  const seen = ignoreChanged ? deps.caches.ignoreViews.at(r.userId, since.stream, deps.notifier.shared()) : undefined;
  const withEvents = since ? await eventsStore.roomsWithEvents(tx, joinedIds, since.stream, position.stream) : new Set(joinedIds);
  // Every joined room gets an entry (initial or full-state sync): what each entry reads per room
  // that a few queries over all of them can give is read here, not in a round trip per room.
  const batchAll = (!since || fullState) && joinedIds.length > 1;
  const members = batchAll ? await stateStore.membersOfRooms(tx, joinedIds) : undefined;
  const reads = batchAll ? await readPositionsIn(tx, joinedIds, r.userId) : undefined;
  const viewers = batchAll ? await loadViewers(tx, joinedIds, ignore) : undefined;
  const pageSize = timelineFirstPageSize(filter.timeline.limit);
  const pages = batchAll ? await eventsStore.newestInRooms(tx, joinedIds, position.stream, pageSize) : undefined;
  // With the first pages, each room's timeline start is known: the state there, the state changes
  // in the timeline's span, and the unread counts are read over all rooms too (decision 0045).
  const firstPages = pages && viewers ? joinedIds.flatMap((roomId) => {
    const viewer = viewers.get(roomId);
    const rows = pages.get(roomId);
    return viewer && rows ? [{ roomId, viewer, firstPage: { upTo: position.stream, limit: pageSize, rows } }] : [];
  }) : [];
  const states = firstPages.length > 0 && !ctx.stateAfter ? await prefetchFullState(ctx, firstPages) : undefined;
  const counts = reads ? await senderCountsIn(tx, joinedIds, r.userId, reads, filter.timeline.unreadThreadNotifications, deps.caches.heldRows) : undefined;

  const join: Record<string, JoinedRoom> = {};
  const invite: Record<string, InvitedRoom> = {};
  const leave: Record<string, LeftRoom> = {};
  const knock: Record<string, KnockedRoom> = {};
  for (const m of memberships) {
    const changedMembership = !since || m.stream_ordering > since.stream;
    if (m.membership === 'join') {
      const listEffect = ignoreChanged ? await listEffectIn(tx, m.room_id, seen, ignore) : null;
      const typingChanged = since !== undefined && deps.typing.changedSince(m.room_id, since.typing, (u) => showsUser(ignore, u));
      const quiet = !changedMembership && !withEvents.has(m.room_id) && !typingChanged && !inputs.receipts.has(m.room_id) && !inputs.accountData.has(m.room_id);
      if (since && !fullState && listEffect === null && quiet) continue;
      const viewer = viewers?.get(m.room_id);
      const rows = pages?.get(m.room_id);
      const firstPage = rows ? { firstPage: { upTo: position.stream, limit: pageSize, rows } } : {};
      const prefetched = states?.get(m.room_id);
      const senderCounts = counts?.get(m.room_id);
      const more = { ...firstPage, ...(prefetched ? { prefetched } : {}), ...(senderCounts ? { senderCounts } : {}) };
      const batched = members && reads && viewer ? { members: members.get(m.room_id) ?? [], read: reads.get(m.room_id) ?? null, viewer, ...more } : undefined;
      const room = await joinedRoom(ctx, m, { receipt: inputs.receipts.get(m.room_id), accountData: inputs.accountData.get(m.room_id) ?? [], listEffect, ...(batched ? { batched } : {}) });
      if (room) join[m.room_id] = room;
    } else if (m.membership === 'invite') {
      // A changed list may un-hide an invite: send every invite that is shown now.
      if (!changedMembership && !fullState && !ignoreChanged) continue;
      for (const shown of shownInvites(ignore, [m])) invite[m.room_id] = { invite_state: { events: await strippedStateOf(tx, shown) } };
    } else if (m.membership === 'leave' || m.membership === 'ban') {
      if (since ? !changedMembership && !fullState : !filter.includeLeave) continue;
      const room = await leftRoom(ctx, m);
      if (room) leave[m.room_id] = room;
    } else if (m.membership === 'knock') {
      // The knocker's own pending knock: stripped state like an invite's, plus the knock event.
      if (since && !changedMembership && !fullState) continue;
      knock[m.room_id] = { knock_state: { events: await strippedStateOf(tx, m) } };
    }
  }
  const hasData = [join, invite, leave, knock].some((x) => Object.keys(x).length > 0);
  return { section: { join, invite, leave, knock }, hasData };
}
