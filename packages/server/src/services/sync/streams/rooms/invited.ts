// Invites and knocks in /sync (and the hidden-invites review): the stripped state of the room — a few
// events, never its member list — with the invite or knock event itself.

import type { HiddenInvite, StrippedStateEvent } from '@hush/protocol';
import type { Db, Tx } from '../../../../storage/db.ts';
import { eventsStore } from '../../../../storage/events.store.ts';
import { stateStore, type MembershipRow } from '../../../../storage/state.store.ts';
import type { Requester } from '../../../requester.ts';
import type { IgnoreViews } from '../../../../policy/ignore-lists.ts';
import { inviteRule } from '../../../../policy/ignore.ts';
import { strippedState } from '../../../events/format.ts';

const STRIPPED_STATE_KEYS = ['m.room.create', 'm.room.join_rules', 'm.room.name', 'm.room.avatar', 'm.room.canonical_alias', 'm.room.encryption', 'm.room.topic'].map(
  (type) => [type, ''] as const,
);

/** The stripped state of `m`'s room plus `m`'s own membership event (the invite or the knock). */
export async function strippedStateOf(tx: Tx, m: MembershipRow): Promise<StrippedStateEvent[]> {
  const refs = await stateStore.currentStateRefs(tx, m.room_id, STRIPPED_STATE_KEYS);
  const stripped = (await eventsStore.byIds(tx, refs.map((x) => x.eventId))).map(strippedState);
  const own = await eventsStore.byId(tx, m.event_id);
  if (own) stripped.push(strippedState(own));
  return stripped;
}

/** The invites the user's lists hide, each with the rule that hid it (reviewable, so that one can
 *  be un-ignored on its own). */
export async function hiddenInvites(db: Db, ignoreViews: IgnoreViews, r: Requester): Promise<HiddenInvite[]> {
  return db.transaction().execute(async (tx) => {
    const ignore = await ignoreViews.load(tx, r.userId);
    const out: HiddenInvite[] = [];
    for (const m of await stateStore.membershipsOfUser(tx, r.userId)) {
      if (m.membership !== 'invite') continue;
      const rule = inviteRule(ignore, m.sender, m.room_id);
      if (rule === null) continue;
      const invite = await eventsStore.byId(tx, m.event_id);
      out.push({ room_id: m.room_id, inviter: m.sender, rule, ts: invite?.origin_server_ts ?? 0, invite_state: { events: await strippedStateOf(tx, m) } });
    }
    return out.sort((a, b) => b.ts - a.ts);
  });
}
