// GET /sync: initial and incremental, long-polling on the notifier. One read transaction and one
// IgnoreView serve every stream of one response; each room's events pass the viewer (history
// visibility ∘ ignore) and timelines are filled up to the filter's limit.

import type { ClientEvent, HiddenInvite, JsonObject, PresenceState, SyncResponse } from '@hush/spec';
import type { Db, Tx } from '../../storage/db.ts';
import { accountDataStore, type AccountDataRow } from '../../storage/account-data.store.ts';
import { eventsStore, type EventRow } from '../../storage/events.store.ts';
import { receiptsStore, type ReceiptRow } from '../../storage/receipts.store.ts';
import { stateStore, type MembershipRow } from '../../storage/state.store.ts';
import { streamStore } from '../../storage/stream.store.ts';
import type { Requester } from '../../http/auth.ts';
import type { Notifier, Position } from '../../notifier/notifier.ts';
import { ignoreViewAt, loadIgnoreView } from '../../policy/ignore-lists.ts';
import { hidesInvite, hidesUser, inviteRule, type IgnoreView } from '../../policy/ignore.ts';
import { type RoomViewer, type VisibleEvent } from '../../policy/visibility.ts';
import { strippedState } from '../events/format.ts';
import { presentState, presentTimeline } from '../rooms/present.ts';
import { compileEventFilter, type CompiledEventFilter, type FilterService, type SyncFilterJson } from '../filters.ts';
import type { TypingService } from '../typing.ts';
import type { ParsedContents } from '../account-data.ts';
import type { PresenceService } from '../presence.ts';
import { loadViewer, scan, visibleStateAt } from '../rooms/timeline.ts';
import { SentMembers } from './lazy-members.ts';
import { countUnread } from './unread.ts';
import { pageToken, parseSyncToken, syncToken, type SyncPosition } from './tokens.ts';
import { toDeviceSection } from './to-device.ts';
import { e2eSyncSection } from './device-lists.ts';

export interface SyncParams {
  since?: string;
  /** `set_presence`: what syncing says of the user (default online). */
  setPresence?: PresenceState;
  timeout?: number;
  fullState?: boolean;
  filter?: string;
}

type Json = Record<string, unknown>;

export interface SyncResult {
  response: SyncResponse;
  hasData: boolean;
  position: Position;
  joinedRooms: Set<string>;
}

interface Compiled {
  timeline: CompiledEventFilter;
  state: CompiledEventFilter;
  ephemeral: CompiledEventFilter;
  roomAccountData: CompiledEventFilter;
  accountData: CompiledEventFilter;
  presence: CompiledEventFilter;
  rooms: CompiledEventFilter;
  includeLeave: boolean;
}

function compile(f: SyncFilterJson): Compiled {
  return {
    timeline: compileEventFilter(f.room?.timeline, 10),
    state: compileEventFilter(f.room?.state, 10),
    ephemeral: compileEventFilter(f.room?.ephemeral, 10),
    roomAccountData: compileEventFilter(f.room?.account_data, 10),
    accountData: compileEventFilter(f.account_data, 10),
    presence: compileEventFilter(f.presence, 100),
    rooms: compileEventFilter({ rooms: f.room?.rooms, not_rooms: f.room?.not_rooms }, 10),
    includeLeave: f.room?.include_leave === true,
  };
}

const INVITE_STATE_KEYS = ['m.room.create', 'm.room.join_rules', 'm.room.name', 'm.room.avatar', 'm.room.canonical_alias', 'm.room.encryption', 'm.room.topic'].map(
  (type) => [type, ''] as const,
);

export class SyncService {
  /** Each user's joined rooms as of their last sync here (read at stream position `asOf`): any
   *  change to them is announced to the user, so with these the notifier alone can tell that
   *  nothing is new — as long as nothing was announced to the user after `asOf` (a token from
   *  another process may already be past a join this process has not read). */
  private readonly roomsOf = new Map<string, { rooms: ReadonlySet<string>; epoch: number; asOf: number }>();
  /** Lazy-loaded members each device holds already. */
  private readonly sentMembers = new SentMembers();
  /** The notifier only knows what happened since this process started. */
  private readonly startStream: number;

  constructor(
    private readonly db: Db,
    private readonly notifier: Notifier,
    private readonly typing: TypingService,
    private readonly filters: FilterService,
    private readonly contents: ParsedContents,
    private readonly presence: PresenceService,
  ) {
    this.startStream = notifier.position().stream;
  }

  private accountDataEvent(userId: string, a: AccountDataRow): { type: string; content: JsonObject } {
    return { type: a.type, content: this.contents.parse(userId, a.roomId, a.type, a.ordering, a.content) };
  }

  /** True when the notifier vouches that nothing concerning the user happened after `since`. */
  private quiet(userId: string, since: SyncPosition, fullState: boolean): boolean {
    const known = this.roomsOf.get(userId);
    // A token after send-to-device messages has them to acknowledge (and maybe more waiting).
    return (
      !fullState &&
      known !== undefined &&
      known.epoch === this.notifier.epoch() &&
      !this.notifier.userChangedAfter(userId, known.asOf) &&
      since.stream >= this.startStream &&
      !since.toDeviceSent &&
      !this.notifier.changedSince(userId, known.rooms, since)
    );
  }

  async sync(r: Requester, params: SyncParams, signal?: AbortSignal): Promise<SyncResponse> {
    const done = await this.presence.syncing(r.userId, params.setPresence);
    try {
      return await this.syncOnce(r, params, signal);
    } finally {
      done();
    }
  }

  private async syncOnce(r: Requester, params: SyncParams, signal?: AbortSignal): Promise<SyncResponse> {
    const since = params.since !== undefined ? parseSyncToken(params.since) : undefined;
    const filter = compile(await this.filters.resolve(this.db, r.userId, params.filter));
    const deadline = Date.now() + Math.min(params.timeout ?? 0, 600_000);
    if (since && this.quiet(r.userId, since, params.fullState === true)) {
      // A wake-up can be for an announcement this token already covers (another process's
      // notification arriving late): keep waiting while the notifier still vouches for silence.
      for (;;) {
        const remaining = deadline - Date.now();
        if (remaining <= 0 || signal?.aborted) return emptySync(since);
        await this.notifier.wait(r.userId, this.roomsOf.get(r.userId)?.rooms ?? new Set<string>(), since, remaining, signal);
        if (!this.quiet(r.userId, since, false)) break;
      }
    }
    for (;;) {
      const epoch = this.notifier.epoch();
      const result = await this.db.transaction().execute((tx) => this.compute(tx, r, since, filter, params.fullState === true));
      this.roomsOf.set(r.userId, { rooms: result.joinedRooms, epoch, asOf: result.position.stream });
      const remaining = deadline - Date.now();
      if (!since || result.hasData || remaining <= 0 || signal?.aborted) return result.response;
      await this.notifier.wait(r.userId, result.joinedRooms, result.position, remaining, signal);
      if (signal?.aborted) return result.response;
      if (Date.now() >= deadline) {
        // Timed out; one last look in case the wake-up raced the deadline.
        const last = await this.db.transaction().execute((tx) => this.compute(tx, r, since, filter, params.fullState === true));
        return last.response;
      }
    }
  }

  private async compute(tx: Tx, r: Requester, since: SyncPosition | undefined, f: Compiled, fullState: boolean): Promise<SyncResult> {
    // Typing numbers mean the same on every process; a token from another may be ahead of this one
    // (its changes not applied here yet): the client has seen those already.
    const position: Position = { stream: await streamStore.current(tx), typing: Math.max(this.typing.current(), since?.typing ?? 0) };
    const ignore = await loadIgnoreView(tx, r.userId);
    const allMemberships = await stateStore.membershipsOfUser(tx, r.userId);
    const allJoined = new Set(allMemberships.filter((m) => m.membership === 'join').map((m) => m.room_id));
    const memberships = allMemberships.filter((m) => f.rooms.matchesRoom(m.room_id));
    const joined = memberships.filter((m) => m.membership === 'join');
    const joinedIds = joined.map((m) => m.room_id);
    const after = since?.stream ?? 0;

    const accountData = await accountDataStore.changedSince(tx, r.userId, after, position.stream);
    const roomAccountData = new Map<string, AccountDataRow[]>();
    for (const a of accountData) {
      if (a.roomId === '') continue;
      const list = roomAccountData.get(a.roomId) ?? [];
      list.push(a);
      roomAccountData.set(a.roomId, list);
    }
    const receipts = new Map<string, ReceiptRow[]>();
    for (const rc of await receiptsStore.inRoomsSince(tx, joinedIds, after, position.stream)) {
      if (hidesUser(ignore, rc.user_id)) continue;
      if (rc.receipt_type === 'm.read.private' && rc.user_id !== r.userId) continue;
      const list = receipts.get(rc.room_id) ?? [];
      list.push(rc);
      receipts.set(rc.room_id, list);
    }
    // A changed ignore list changes every room's counts (and what it shows): all rooms go out.
    const ignoreChanged = since !== undefined && ignore.version > since.stream;
    // The lists as the client last saw them, to tell which rooms' history a change hid or revealed.
    const seen = ignoreChanged ? ignoreViewAt(r.userId, since.stream, this.notifier.shared()) : undefined;
    const withEvents = since ? await eventsStore.roomsWithEvents(tx, joinedIds, after, position.stream) : new Set(joinedIds);

    const join: Json = {};
    const invite: Json = {};
    const leave: Json = {};
    const knock: Json = {};
    for (const m of memberships) {
      const changedMembership = !since || m.stream_ordering > since.stream;
      if (m.membership === 'join') {
        // A list change that hides or reveals someone who was ever in the room changes its visible
        // history: the room comes `limited`, so any client pages back and finds what it now shows.
        const historyChanged = ignoreChanged && (await historyChangedIn(tx, m.room_id, seen, ignore));
        const typingChanged = !since || historyChanged || this.typing.changedSince(m.room_id, since.typing, (u) => !hidesUser(ignore, u));
        if (!fullState && !changedMembership && !withEvents.has(m.room_id) && !typingChanged && !receipts.has(m.room_id) && !roomAccountData.has(m.room_id)) {
          continue;
        }
        const room = await this.joinedRoom(tx, r, m, since, f, fullState, ignore, position, receipts.get(m.room_id) ?? [], roomAccountData.get(m.room_id) ?? [], typingChanged, historyChanged);
        // Incremental: a room appears only when it carries something the filter and the policy let
        // through — hidden activity (an ignored user's message, typing or receipt) leaves no entry.
        if (room.full || historyChanged || carries(room.json)) join[m.room_id] = room.json;
      } else if (m.membership === 'invite') {
        // A changed list may un-hide an invite: send every invite that is shown now.
        if (!changedMembership && !fullState && !ignoreChanged) continue;
        if (hidesInvite(ignore, m.sender, m.room_id)) continue;
        invite[m.room_id] = await this.invitedRoom(tx, m);
      } else if (m.membership === 'leave' || m.membership === 'ban') {
        if (since ? !changedMembership && !fullState : !f.includeLeave) continue;
        if (await this.declinedUnseen(tx, m, ignore)) continue;
        leave[m.room_id] = await this.leftRoom(tx, r, m, since, f, ignore, position);
      } else if (m.membership === 'knock') {
        // The knocker's own pending knock: stripped state like an invite's, plus the knock event.
        if (since && !changedMembership && !fullState) continue;
        knock[m.room_id] = { knock_state: (await this.invitedRoom(tx, m))['invite_state'] };
      }
    }

    const globalData = accountData.filter((a) => a.roomId === '' && f.accountData.matchesType(a.type));
    const rooms: Json = {};
    if (Object.keys(join).length) rooms['join'] = join;
    if (Object.keys(invite).length) rooms['invite'] = invite;
    if (Object.keys(leave).length) rooms['leave'] = leave;
    if (Object.keys(knock).length) rooms['knock'] = knock;
    const toDevice = await toDeviceSection(tx, r.userId, r.deviceId, since?.toDevice, position.stream, ignore);
    const e2e = await e2eSyncSection(tx, r, since?.stream, position.stream);
    const presence = f.presence.matchesType('m.presence')
      ? (await this.presence.section(tx, r, after, position.stream, (u) => hidesUser(ignore, u))).filter((p) => f.presence.matchesSender(p.sender)).slice(-f.presence.limit)
      : [];
    const hasData =
      presence.length > 0 ||
      Object.keys(rooms).length > 0 ||
      globalData.length > 0 ||
      toDevice.events.length > 0 ||
      toDevice.position < position.stream ||
      e2e.device_lists.changed.length > 0 ||
      e2e.device_lists.left.length > 0;
    const response: Json = {
      next_batch: syncToken({ ...position, toDevice: toDevice.position, toDeviceSent: toDevice.events.length > 0 }),
      rooms: { join, invite, leave, knock },
      account_data: { events: globalData.map((a) => this.accountDataEvent(r.userId, a)) },
      presence: { events: presence },
      to_device: { events: toDevice.events },
      ...e2e,
    };
    return { response: response as unknown as SyncResponse, hasData, position, joinedRooms: allJoined };
  }

  /** Timeline (filled to the limit) and the state before it, for a joined or left room. */
  private async timelineAndState(tx: Tx, r: Requester, viewer: RoomViewer, roomId: string, upTo: number, since: Position | undefined, full: boolean, f: Compiled, at: number, historyChanged = false) {
    const bound = full ? 0 : (since?.stream ?? 0);
    const limit = f.timeline.limit;
    // One event more than the limit tells whether visible events were cut (limited), so hidden
    // events alone never make a timeline look limited.
    const res = await scan(tx, viewer, roomId, 'b', upTo, bound, limit + 1, (e) => f.timeline.matches(e));
    // `limited` also when the visible history before these events changed (a list change): the
    // client drops what it holds and pages back from prev_batch, without the events being replayed.
    const limited = res.events.length > limit || historyChanged;
    const events = res.events.slice(0, limit).reverse();
    const start = events.length > 0 ? (events[0] as EventRow).stream_ordering - 1 : full || limited ? upTo : bound;
    // State as the viewer may see it: never past their leave (a room left and later banned from
    // shows the state at the leave), for one who never joined only what history visibility shows.
    let state: VisibleEvent[];
    if (full) {
      state = await visibleStateAt(tx, viewer, roomId, start);
      // State set inside the timeline's span by events it does not show (sent while the viewer was
      // away, history visibility `joined`): the client learns the outcome here, or never.
      const shown = new Set(events.map((e) => e.event_id));
      const unshown = [...(await this.latestChanges(tx, roomId, start, upTo)).values()].filter((id) => !shown.has(id));
      if (unshown.length > 0) {
        const byKey = new Map(state.map((e) => [`${e.type}\u0000${e.state_key}`, e]));
        for (const e of viewer.visibleState(await eventsStore.byIds(tx, unshown))) byKey.set(`${e.type}\u0000${e.state_key}`, e);
        state = [...byKey.values()];
      }
    } else if (limited) {
      state = viewer.visibleState(await eventsStore.byIds(tx, [...(await this.latestChanges(tx, roomId, bound, start)).values()]));
    } else {
      state = [];
    }
    state = state.filter((e) => f.state.matches(e));
    if (f.state.lazyLoadMembers) state = await this.lazyMembers(tx, r, viewer, roomId, events, state, since, full, f);
    const timeline = await presentTimeline(tx, viewer, r, events);
    if (f.state.lazyLoadMembers) this.sentMembers.record(r.userId, r.deviceId, roomId, [...state, ...events], at);
    return {
      timeline: { events: timeline, limited, prev_batch: pageToken(start) },
      state: { events: presentState(r, state) },
    };
  }

  /** The last state event of each (type, state key) set after `after` up to `upTo`. */
  private async latestChanges(tx: Tx, roomId: string, after: number, upTo: number): Promise<Map<string, string>> {
    const latest = new Map<string, string>();
    for (const c of await stateStore.changesBetween(tx, roomId, after, upTo)) latest.set(`${c.type}\u0000${c.stateKey}`, c.eventId);
    return latest;
  }

  /**
   * Lazy-loaded members: the memberships of this batch's senders (and the viewer's own) that the
   * device does not hold yet — all of them with `include_redundant_members` — plus, in a gap, the
   * membership changes of members the device holds and every leave or ban, so that nobody who left
   * during the gap stays in the client's member list.
   */
  private async lazyMembers(tx: Tx, r: Requester, viewer: RoomViewer, roomId: string, events: readonly EventRow[], state: VisibleEvent[], since: Position | undefined, full: boolean, f: Compiled): Promise<VisibleEvent[]> {
    const needed = new Set(events.map((e) => e.sender));
    needed.add(r.userId);
    const inTimeline = new Set(events.filter((e) => e.type === 'm.room.member').map((e) => e.state_key));
    const known = (member: string) => since !== undefined && !full && this.sentMembers.knows(r.userId, r.deviceId, roomId, member, since.stream);
    const held = (e: EventRow) => since !== undefined && !full && !f.state.includeRedundantMembers && this.sentMembers.has(r.userId, r.deviceId, roomId, e.state_key ?? '', e.event_id, since.stream);
    const out = state.filter((e) => {
      if (e.type !== 'm.room.member') return true;
      const member = e.state_key ?? '';
      if (inTimeline.has(member) || held(e)) return false;
      if (needed.has(member)) return true;
      const membership = (JSON.parse(e.json) as { content?: { membership?: unknown } }).content?.membership;
      return !full && (known(member) || membership === 'leave' || membership === 'ban');
    });
    if (!full) {
      // Senders whose membership did not change in the window: as of now, unless the device holds it.
      const have = new Set(out.filter((e) => e.type === 'm.room.member').map((e) => e.state_key));
      const missing = [...needed].filter((u) => !have.has(u) && !inTimeline.has(u) && u !== r.userId);
      if (missing.length > 0) {
        const refs = await stateStore.currentStateRefs(tx, roomId, missing.map((u) => ['m.room.member', u] as const));
        for (const e of viewer.visibleState(await eventsStore.byIds(tx, refs.map((x) => x.eventId)))) if (!held(e)) out.push(e);
      }
    }
    return out;
  }

  private async joinedRoom(
    tx: Tx,
    r: Requester,
    m: MembershipRow,
    since: Position | undefined,
    f: Compiled,
    fullState: boolean,
    ignore: IgnoreView,
    position: Position,
    receipts: ReceiptRow[],
    accountData: AccountDataRow[],
    typingChanged: boolean,
    historyChanged = false,
  ): Promise<{ json: Json; full: boolean }> {
    const viewer = await loadViewer(tx, m.room_id, ignore);
    // Joined since the token, or left and joined again within the window (what happened while
    // away may be hidden from the timeline): the room comes with its whole state.
    const full = !since || fullState || viewer.joinedAfter(since.stream);
    const { timeline, state } = await this.timelineAndState(tx, r, viewer, m.room_id, position.stream, since, full, f, position.stream, historyChanged);
    const ephemeral: ClientEvent[] = [];
    if (typingChanged && f.ephemeral.matchesType('m.typing')) {
      const users = this.typing.typingIn(m.room_id).filter((u) => !hidesUser(ignore, u));
      ephemeral.push({ type: 'm.typing', content: { user_ids: users } } as unknown as ClientEvent);
    }
    if (receipts.length > 0 && f.ephemeral.matchesType('m.receipt')) ephemeral.push(receiptEvent(receipts));
    const room: Json = {
      timeline,
      state,
      ephemeral: { events: ephemeral },
      account_data: { events: accountData.filter((a) => f.roomAccountData.matchesType(a.type)).map((a) => this.accountDataEvent(r.userId, a)) },
    };
    const unread = await countUnread(tx, m.room_id, r.userId, ignore, f.timeline.unreadThreadNotifications);
    room['unread_notifications'] = unread.main;
    if (unread.threads !== null) room['unread_thread_notifications'] = unread.threads;
    if (full || timeline.events.some((e) => e.type === 'm.room.member')) room['summary'] = await this.summary(tx, m.room_id, r.userId);
    return { json: room, full };
  }

  private async summary(tx: Tx, roomId: string, userId: string): Promise<Json> {
    const members = await stateStore.members(tx, roomId);
    const joined = members.filter((x) => x.membership === 'join');
    const invited = members.filter((x) => x.membership === 'invite');
    const heroes = [...joined, ...invited].map((x) => x.user_id).filter((u) => u !== userId).slice(0, 5);
    return { 'm.heroes': heroes, 'm.joined_member_count': joined.length, 'm.invited_member_count': invited.length };
  }

  /** The invites the user's lists hide, each with the rule that hid it (reviewable, so that one
   *  can be un-ignored on its own). */
  async hiddenInvites(r: Requester): Promise<HiddenInvite[]> {
    return this.db.transaction().execute(async (tx) => {
      const ignore = await loadIgnoreView(tx, r.userId);
      const out: HiddenInvite[] = [];
      for (const m of await stateStore.membershipsOfUser(tx, r.userId)) {
        if (m.membership !== 'invite') continue;
        const rule = inviteRule(ignore, m.sender, m.room_id);
        if (rule === null) continue;
        const invite = await eventsStore.byId(tx, m.event_id);
        out.push({
          room_id: m.room_id,
          inviter: m.sender,
          rule,
          ts: invite?.origin_server_ts ?? 0,
          invite_state: (await this.invitedRoom(tx, m))['invite_state'] as HiddenInvite['invite_state'],
        });
      }
      return out.sort((a, b) => b.ts - a.ts);
    });
  }

  private async invitedRoom(tx: Tx, m: MembershipRow): Promise<Json> {
    // Only the few stripped-state events, not the room's whole state (members included).
    const refs = await stateStore.currentStateRefs(tx, m.room_id, INVITE_STATE_KEYS);
    const stripped = (await eventsStore.byIds(tx, refs.map((x) => x.eventId))).map(strippedState);
    const inviteEvent = await eventsStore.byId(tx, m.event_id);
    if (inviteEvent) stripped.push(strippedState(inviteEvent));
    return { invite_state: { events: stripped } };
  }

  /** A leave by which the server declined, on the user's behalf, an invite the user's lists hide
   *  (MSC4294, `ignored-user-invites reject`): the user never saw the invite, so its end is no news
   *  ("without notifying the user"). */
  private async declinedUnseen(tx: Tx, m: MembershipRow, ignore: IgnoreView): Promise<boolean> {
    if (m.membership !== 'leave' || m.sender !== m.user_id) return false;
    const prev = await stateStore.membershipBefore(tx, m.room_id, m.user_id, m.stream_ordering);
    if (prev?.membership !== 'invite') return false;
    const invite = await eventsStore.byId(tx, prev.eventId);
    return invite !== undefined && hidesInvite(ignore, invite.sender, m.room_id);
  }

  private async leftRoom(tx: Tx, r: Requester, m: MembershipRow, since: Position | undefined, f: Compiled, ignore: IgnoreView, position: Position): Promise<Json> {
    const viewer = await loadViewer(tx, m.room_id, ignore);
    // Not joined at the token (joined and left within the window, an invite declined), or away
    // and back before leaving: the client does not hold the room as it was, so it comes whole.
    const full = !since || viewer.membershipBefore(since.stream + 1) !== 'join' || viewer.joinedAfter(since.stream);
    const { timeline, state } = await this.timelineAndState(tx, r, viewer, m.room_id, m.stream_ordering, since, full, f, position.stream);
    return { timeline, state, account_data: { events: [] } };
  }
}

/** Whether someone who was ever in the room is hidden by one of the two views and not the other
 *  (events are hidden by sender alone). Without the earlier view, any other member counts. */
async function historyChangedIn(tx: Tx, roomId: string, before: IgnoreView | undefined, now: IgnoreView): Promise<boolean> {
  for (const m of await stateStore.members(tx, roomId)) {
    if (m.user_id === now.userId) continue;
    if (before === undefined || hidesUser(before, m.user_id) !== hidesUser(now, m.user_id)) return true;
  }
  return false;
}

/** Whether a joined room's incremental entry holds anything for the client: events in its
 *  timeline or state, ephemeral events or room account data (its counts change only with those). */
function carries(room: Json): boolean {
  const has = (section: unknown) => ((section as { events?: unknown[] } | undefined)?.events?.length ?? 0) > 0;
  return has(room['timeline']) || has(room['state']) || has(room['ephemeral']) || has(room['account_data']);
}

/** The answer when nothing is new: the same position again, every section present and empty but the
 *  device's key counts, left out (unchanged): it reads nothing, and a count of 0 would make clients
 *  upload one-time keys and replace fallback keys they do not need to. */
function emptySync(since: SyncPosition): SyncResponse {
  return {
    next_batch: syncToken(since),
    rooms: { join: {}, invite: {}, leave: {}, knock: {} },
    account_data: { events: [] },
    presence: { events: [] },
    to_device: { events: [] },
    device_lists: { changed: [], left: [] },
  } as unknown as SyncResponse;
}

function receiptEvent(rows: ReceiptRow[]): ClientEvent {
  const content: Record<string, Record<string, Record<string, Json>>> = {};
  for (const rc of rows) {
    const byType = (content[rc.event_id] ??= {});
    const byUser = (byType[rc.receipt_type] ??= {});
    const entry: Json = { ts: rc.ts };
    if (rc.thread_id !== '') entry['thread_id'] = rc.thread_id;
    byUser[rc.user_id] = entry;
  }
  return { type: 'm.receipt', content } as unknown as ClientEvent;
}
