// A left (or banned-from) room's entry in /sync: its timeline up to the leave and the state the user
// may still see — never past the leave (decision 0016) — and, for a declined invite the user never
// saw, nothing at all.

import type { LeftRoom } from '@hush/protocol';
import { eventsStore } from '../../../../storage/events.store.ts';
import { stateStore, type MembershipRow } from '../../../../storage/state.store.ts';
import { hidesInvite } from '../../../../policy/ignore.ts';
import { loadViewer } from '../../../rooms/timeline.ts';
import type { SyncContext } from '../../context.ts';
import { timelineAndState } from './timeline.ts';

export async function leftRoom(ctx: SyncContext, m: MembershipRow): Promise<LeftRoom | undefined> {
  const { tx, since, ignore } = ctx;
  if (await declinedUnseen(ctx, m)) return undefined;
  const viewer = await loadViewer(tx, m.room_id, ignore);
  // Not joined at the token (joined and left within the window, an invite declined), or away and
  // back before leaving: the client does not hold the room as it was, so it comes whole.
  const full = !since || viewer.membershipBefore(since.stream + 1) !== 'join' || viewer.joinedAfter(since.stream);
  const { timeline, state } = await timelineAndState(ctx, { viewer, roomId: m.room_id, upTo: m.stream_ordering, full });
  return { timeline, ...(ctx.stateAfter ? { state_after: state } : { state }), account_data: { events: [] } };
}

/** A leave by which the server declined, on the user's behalf, an invite the user's lists hide
 *  (MSC4294, `ignored-user-invites reject`): the user never saw the invite, so its end is no news
 *  ("without notifying the user"). */
async function declinedUnseen({ tx, ignore }: SyncContext, m: MembershipRow): Promise<boolean> {
  if (m.membership !== 'leave' || m.sender !== m.user_id) return false;
  const prev = await stateStore.membershipBefore(tx, m.room_id, m.user_id, m.stream_ordering);
  if (prev?.membership !== 'invite') return false;
  const invite = await eventsStore.byId(tx, prev.eventId);
  return invite !== undefined && hidesInvite(ignore, invite.sender, m.room_id);
}
