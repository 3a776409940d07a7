// A joined room's entry in /sync: timeline and state, ephemeral events (typing, receipts), room
// account data, unread counts and the summary. Incremental: the entry exists only when it carries
// something the filter and the ignore policy let through, or the client must re-read the room.

import type { BasicEvent, JoinedRoom, RoomSummary } from '@hush/protocol';
import type { Tx } from '../../../../storage/db.ts';
import type { EventRow } from '../../../../storage/events.store.ts';
import { stateStore, type MembershipRow } from '../../../../storage/state.store.ts';
import { hidesUser, type IgnoreView } from '../../../../policy/ignore.ts';
import { loadViewer } from '../../../rooms/timeline.ts';
import type { RoomViewer } from '../../../../policy/visibility.ts';
import { countUnread, type ReadPositions, type SenderCounts } from '../../unread.ts';
import type { SyncContext } from '../../context.ts';
import { typingStream } from '../typing.ts';
import { timelineAndState, type PrefetchedState } from './timeline.ts';

export interface JoinedInputs {
  /** The room's `m.receipt` event for the window, if any. */
  receipt?: BasicEvent;
  accountData: BasicEvent[];
  /** What a list change did to the room (decision 0023): `revealed` history comes `limited`, so the
   *  client pages back; either way the entry goes out (typing and unread counts changed). */
  listEffect: 'revealed' | 'hid' | null;
  /** Read with every joined room's in a few queries (an initial or full-state /sync: roomsStream),
   *  instead of a round trip per room: the room's memberships, the user's read positions, and
   *  the viewer (the user's membership and the room's history visibility over time), and the
   *  timeline scan's first page; with that page, the state where the timeline starts and the
   *  state changes in its span, and the per-sender unread counts (decision 0045). */
  batched?: {
    members: MembershipRow[];
    read: ReadPositions | null;
    viewer: RoomViewer;
    firstPage?: { upTo: number; limit: number; rows: EventRow[] };
    prefetched?: PrefetchedState;
    senderCounts?: SenderCounts;
  };
}

/** The room's entry, or undefined when an incremental sync has nothing to tell of it. */
export async function joinedRoom(ctx: SyncContext, m: MembershipRow, inputs: JoinedInputs): Promise<JoinedRoom | undefined> {
  const { tx, r, since, fullState, ignore, filter, position } = ctx;
  const viewer = inputs.batched?.viewer ?? (await loadViewer(tx, m.room_id, ignore));
  // Joined since the token, or left and joined again within the window (what happened while away
  // may be hidden from the timeline): the room comes with its whole state.
  const full = !since || fullState || viewer.joinedAfter(since.stream);
  const firstPage = inputs.batched?.firstPage;
  const prefetched = inputs.batched?.prefetched;
  const { timeline, state, membersDropped } = await timelineAndState(ctx, {
    viewer,
    roomId: m.room_id,
    upTo: position.stream,
    full,
    historyChanged: inputs.listEffect === 'revealed',
    ...(firstPage ? { firstPage } : {}),
    ...(prefetched ? { prefetched } : {}),
  });
  const ephemeral: BasicEvent[] = [];
  const typing = typingStream(ctx, m.room_id, full || inputs.listEffect !== null);
  if (typing) ephemeral.push(typing);
  if (inputs.receipt) ephemeral.push(inputs.receipt);
  const carries = timeline.events.length > 0 || state.events.length > 0 || ephemeral.length > 0 || inputs.accountData.length > 0;
  // Incremental: hidden activity (an ignored user's message, typing or receipt) leaves no entry.
  if (since && !full && inputs.listEffect === null && !carries) return undefined;
  const room: JoinedRoom = { timeline, ...(ctx.stateAfter ? { state_after: state } : { state }), ephemeral: { events: ephemeral }, account_data: { events: inputs.accountData } };
  const unread = await countUnread(tx, m.room_id, r.userId, ignore, ctx.deps.caches.heldRows, filter.timeline.unreadThreadNotifications, inputs.batched?.read, inputs.batched?.senderCounts);
  room.unread_notifications = unread.main;
  if (unread.threads !== null) room.unread_thread_notifications = unread.threads;
  if (full || membersDropped || [...timeline.events, ...state.events].some((e) => e.type === 'm.room.member')) room.summary = summary(inputs.batched?.members ?? (await stateStore.members(tx, m.room_id)), r.userId);
  return room;
}

function summary(members: readonly MembershipRow[], userId: string): RoomSummary {
  const joined = members.filter((x) => x.membership === 'join');
  const invited = members.filter((x) => x.membership === 'invite');
  const heroes = [...joined, ...invited].map((x) => x.user_id).filter((u) => u !== userId).slice(0, 5);
  return { 'm.heroes': heroes, 'm.joined_member_count': joined.length, 'm.invited_member_count': invited.length };
}

/** What a list change did to the room as the viewer sees it: `revealed` someone who was ever in it
 *  (shown now, hidden by the earlier view — events are hidden by sender alone), only `hid` someone,
 *  or nothing. Without the earlier view, any other member shown now counts as revealed. */
export async function listEffectIn(tx: Tx, roomId: string, before: IgnoreView | undefined, now: IgnoreView): Promise<'revealed' | 'hid' | null> {
  let hid = false;
  for (const m of await stateStore.members(tx, roomId)) {
    if (m.user_id === now.userId) continue;
    const hiddenNow = hidesUser(now, m.user_id);
    if (!hiddenNow && (before === undefined || hidesUser(before, m.user_id))) return 'revealed';
    if (hiddenNow && (before === undefined || !hidesUser(before, m.user_id))) hid = true;
  }
  return hid ? 'hid' : null;
}
