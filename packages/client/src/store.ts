// The in-memory store: rooms (timeline, state, members, receipts, typing, unread counts), pending
// invites and global account data, fed by /sync and /messages. It keeps what the server sent; what
// it *shows* is derived through @hush/protocol's ignore policy — the verdicts the server uses — from the
// user's current lists, so an ignore hides at once what is already held and an un-ignore shows it
// again ("Ignoring Users", client behaviour; MSC3840 "discard silently any matching pending invite").

import {
  compileIgnoreRules,
  compilePolicyRules,
  hidesInvite,
  hidesUser,
  IGNORE_LIST_TYPES,
  IGNORED_USER_LIST,
  lenient,
  parseIgnoredUserListContent,
  parsePolicies,
  POLICIES,
  POLICIES_UNSTABLE,
  POLICY_RULE_TYPES,
  viewFromLists,
  type ClientEvent,
  type IgnoreView,
  type PolicyRule,
  type SyncResponse,
} from '@hush/protocol';
import { shownTimeline } from './shown.ts';

type Json = Record<string, unknown>;

export interface PendingInvite {
  roomId: string;
  inviter: string;
  name?: string;
  ts?: number;
}

/** What one /sync changed: rooms touched, whether the ignore view was rebuilt, and the joined rooms
 *  where it now shows a member it hid before. */
export interface SyncChanges {
  rooms: Set<string>;
  listsChanged: boolean;
  unhidden: string[];
}

export interface MemberInfo {
  userId: string;
  membership: string;
  displayname?: string;
  /** The member's avatar (an mxc:// URI), from their m.room.member event. */
  avatarUrl?: string;
}

export interface RoomView {
  roomId: string;
  name: string | undefined;
  membership: 'join' | 'invite' | 'leave';
  /** Shown events, oldest first. */
  timeline(): ClientEvent[];
  members(): MemberInfo[];
  typing(): string[];
  /** Users whose latest read receipt is at this event. */
  receipts(eventId: string): string[];
  unread: { notification_count: number; highlight_count: number };
  canPaginate: boolean;
}

const stateKey = (type: string, key: string) => `${type}\u0000${key}`;

/** One room as the server sent it. */
class RoomData {
  membership: 'join' | 'invite' | 'leave' = 'join';
  /** Every event held, oldest first (the server already left out what it hides). */
  events: ClientEvent[] = [];
  readonly eventIds = new Set<string>();
  readonly state = new Map<string, ClientEvent>();
  /** Receipts by user: the event their `m.read` points at. */
  readonly receiptOf = new Map<string, string>();
  typingRaw: string[] = [];
  unread = { notification_count: 0, highlight_count: 0 };
  /** Token to paginate back from (the oldest event held); null at the start of the room. */
  prevBatch: string | null | undefined;

  constructor(readonly roomId: string) {}

  addState(ev: ClientEvent): void {
    if (typeof ev.state_key === 'string') this.state.set(stateKey(ev.type, ev.state_key), ev);
  }

  append(evs: readonly ClientEvent[]): void {
    for (const ev of evs) {
      if (this.eventIds.has(ev.event_id)) continue;
      this.eventIds.add(ev.event_id);
      this.events.push(ev);
      this.addState(ev);
    }
  }

  /** A gap: the held events are no longer contiguous with what follows, so they are let go. */
  dropTimeline(): void {
    this.events = [];
    this.eventIds.clear();
  }

  /** Older events (newest first, as /messages dir=b returns them) put in front. */
  prepend(newestFirst: readonly ClientEvent[]): number {
    const fresh = newestFirst.filter((e) => !this.eventIds.has(e.event_id)).reverse();
    for (const e of fresh) this.eventIds.add(e.event_id);
    this.events = [...fresh, ...this.events];
    return fresh.length;
  }

  /** Replaces the held timeline (oldest first) with a refilled window. Events held that are newer
   *  than the window's newest held event (a sync appended them while the refill ran) are kept. */
  replaceTimeline(oldestFirst: readonly ClientEvent[]): void {
    const inWindow = new Set(oldestFirst.map((e) => e.event_id));
    let last = -1;
    this.events.forEach((e, i) => {
      if (inWindow.has(e.event_id)) last = i;
    });
    const newer = this.events.slice(last + 1).filter((e) => !inWindow.has(e.event_id));
    this.events = [...oldestFirst, ...newer];
    this.eventIds.clear();
    for (const e of this.events) this.eventIds.add(e.event_id);
  }
}

export class ClientStore {
  private readonly roomData = new Map<string, RoomData>();
  private readonly inviteData = new Map<string, PendingInvite>();
  /** Global account data as JSON text by type (the form the policy parses). */
  private readonly accountData = new Map<string, string>();
  /** How many times /sync delivered each account-data type (to tell an echo from old content). */
  private readonly deliveries = new Map<string, number>();
  private view: IgnoreView;
  private version = 0;

  constructor(readonly userId: string) {
    this.view = viewFromLists(userId, new Map(), 0, { rules: null, sources: [] });
  }

  /** The current ignore snapshot (lists in account data + rules of joined policy rooms). */
  ignoreView(): IgnoreView {
    return this.view;
  }

  deliveriesOf(type: string): number {
    return this.deliveries.get(type) ?? 0;
  }

  accountDataContent(type: string): Json | undefined {
    const raw = this.accountData.get(type);
    return raw === undefined ? undefined : (JSON.parse(raw) as Json);
  }

  rooms(): RoomView[] {
    return [...this.roomData.values()].filter((r) => r.membership === 'join').map((r) => this.roomView(r));
  }

  room(roomId: string): RoomView | undefined {
    const r = this.roomData.get(roomId);
    return r && this.roomView(r);
  }

  /** Pending invites the lists do not hide. */
  invites(): PendingInvite[] {
    return [...this.inviteData.values()].filter((i) => !hidesInvite(this.view, i.inviter, i.roomId));
  }

  /** Whether an invite to `roomId` is held but hidden by the lists. */
  inviteHidden(roomId: string): boolean {
    const i = this.inviteData.get(roomId);
    return i !== undefined && hidesInvite(this.view, i.inviter, i.roomId);
  }

  /** Joined rooms with a member `before` hid and the current view shows (whichever list changed:
   *  the ignored users, ignored servers or a policy room's rules) — the rooms to refill. */
  private roomsUnhidingMembers(before: IgnoreView): string[] {
    const members = (r: RoomData) => [...r.state.values()].filter((e) => e.type === 'm.room.member' && typeof e.state_key === 'string').map((e) => e.state_key as string);
    return [...this.roomData.values()]
      .filter((r) => r.membership === 'join' && members(r).some((u) => hidesUser(before, u) && !hidesUser(this.view, u)))
      .map((r) => r.roomId);
  }

  /** Applies one /sync response. Returns what changed: rooms touched, and whether the lists did.
   *  With `reset` (a fresh sync without `since`) every room and invite held is replaced. */
  applySync(res: SyncResponse, opts: { reset?: boolean } = {}): SyncChanges {
    if (opts.reset) this.clearRooms();
    const touched = new Set<string>();
    let listsChanged = false;
    for (const ev of res.account_data?.events ?? []) {
      this.accountData.set(ev.type, JSON.stringify(ev.content));
      this.deliveries.set(ev.type, (this.deliveries.get(ev.type) ?? 0) + 1);
      if (IGNORE_LIST_TYPES.has(ev.type)) listsChanged = true;
    }
    for (const [roomId, j] of Object.entries(res.rooms?.join ?? {})) {
      const r = this.roomFor(roomId);
      r.membership = 'join';
      this.inviteData.delete(roomId);
      if (j.timeline?.limited) r.dropTimeline();
      for (const ev of j.state?.events ?? []) r.addState({ ...ev, room_id: roomId } as ClientEvent);
      const timeline = (j.timeline?.events ?? []).map((e) => ({ ...e, room_id: roomId }) as ClientEvent);
      if (r.prevBatch === undefined || j.timeline?.limited) r.prevBatch = j.timeline?.prev_batch ?? null;
      r.append(timeline);
      if (timeline.some((e) => POLICY_RULE_TYPES.includes(e.type)) || (j.state?.events ?? []).some((e) => POLICY_RULE_TYPES.includes(e.type))) listsChanged = true;
      for (const ev of j.ephemeral?.events ?? []) {
        if (ev.type === 'm.typing') r.typingRaw = ((ev.content as { user_ids?: string[] }).user_ids ?? []).slice();
        if (ev.type === 'm.receipt') {
          for (const [eventId, byType] of Object.entries(ev.content as Record<string, Record<string, Record<string, unknown>>>)) {
            for (const user of Object.keys(byType['m.read'] ?? {})) r.receiptOf.set(user, eventId);
          }
        }
      }
      if (j.unread_notifications) r.unread = { notification_count: j.unread_notifications.notification_count ?? 0, highlight_count: j.unread_notifications.highlight_count ?? 0 };
      touched.add(roomId);
    }
    for (const [roomId, inv] of Object.entries(res.rooms?.invite ?? {})) {
      const events = inv.invite_state?.events ?? [];
      const mine = events.find((e) => e.type === 'm.room.member' && e.state_key === this.userId);
      const name = events.find((e) => e.type === 'm.room.name')?.content['name'];
      const ts = (mine as { origin_server_ts?: unknown } | undefined)?.origin_server_ts;
      this.inviteData.set(roomId, { roomId, inviter: mine?.sender ?? '', ...(typeof name === 'string' ? { name } : {}), ...(typeof ts === 'number' ? { ts } : {}) });
      touched.add(roomId);
    }
    for (const roomId of Object.keys(res.rooms?.leave ?? {})) {
      this.inviteData.delete(roomId);
      const r = this.roomData.get(roomId);
      // Leaving a policy room stops its rules applying.
      if (r?.membership === 'join' && [...r.state.values()].some((e) => POLICY_RULE_TYPES.includes(e.type))) listsChanged = true;
      if (r) r.membership = 'leave';
      touched.add(roomId);
    }
    let unhidden: string[] = [];
    if (listsChanged) {
      const before = this.view;
      this.rebuildView();
      unhidden = this.roomsUnhidingMembers(before);
    }
    return { rooms: touched, listsChanged, unhidden };
  }

  /** Older events from /messages (dir=b, newest first). Returns how many were new. */
  applyPage(roomId: string, chunk: readonly ClientEvent[], state: readonly ClientEvent[], end: string | undefined): number {
    const r = this.roomFor(roomId);
    for (const ev of state) r.addState(ev);
    r.prevBatch = end ?? null;
    return r.prepend(chunk);
  }

  /** The held timeline replaced by a refilled window (oldest first). */
  replaceTimeline(roomId: string, oldestFirst: readonly ClientEvent[], prevBatch: string | null): void {
    const r = this.roomFor(roomId);
    r.replaceTimeline(oldestFirst);
    r.prevBatch = prevBatch;
  }

  oldestEventId(roomId: string): string | undefined {
    return this.roomData.get(roomId)?.events[0]?.event_id;
  }

  prevBatch(roomId: string): string | null | undefined {
    return this.roomData.get(roomId)?.prevBatch;
  }

  /** Forgets every room and invite (a fresh sync replaces them). Account data is kept. */
  private clearRooms(): void {
    this.roomData.clear();
    this.inviteData.clear();
  }

  private roomFor(roomId: string): RoomData {
    let r = this.roomData.get(roomId);
    if (!r) this.roomData.set(roomId, (r = new RoomData(roomId)));
    return r;
  }

  /** The policy's view from the lists held and the `m.ban` rules of joined policy rooms. */
  private rebuildView(): void {
    const rulesOf = (roomId: string): PolicyRule[] | undefined => {
      const r = this.roomData.get(roomId);
      if (r?.membership !== 'join') return undefined;
      return [...r.state.values()].filter((e) => POLICY_RULE_TYPES.includes(e.type)).map((e) => ({ type: e.type, content: e.content }));
    };
    const inviteRooms = [POLICIES, POLICIES_UNSTABLE].flatMap((t) => [...(lenient(this.accountData.get(t), parsePolicies) ?? [])]);
    const ignoreRooms = [...(lenient(this.accountData.get(IGNORED_USER_LIST), parseIgnoredUserListContent)?.ruleRooms ?? new Map())];
    const inviteRules = inviteRooms.flatMap((r) => rulesOf(r) ?? []);
    const ignoreFrom = ignoreRooms.flatMap(([r, options]) => {
      const rules = rulesOf(r);
      return rules ? [{ rules, options }] : [];
    });
    this.view = viewFromLists(this.userId, this.accountData, ++this.version, {
      rules: inviteRules.length > 0 ? compilePolicyRules(inviteRules) : null,
      ignoreRules: ignoreFrom.length > 0 ? compileIgnoreRules(ignoreFrom) : null,
      sources: [],
    });
  }

  private roomView(r: RoomData): RoomView {
    const view = this.view;
    const name = r.state.get(stateKey('m.room.name', ''))?.content['name'];
    return {
      roomId: r.roomId,
      name: typeof name === 'string' ? name : undefined,
      membership: r.membership,
      timeline: () => shownTimeline(r.events, view),
      members: () =>
        [...r.state.values()]
          .filter((e) => e.type === 'm.room.member' && typeof e.state_key === 'string')
          .map((e) => ({
            userId: e.state_key as string,
            membership: String(e.content['membership']),
            ...(typeof e.content['displayname'] === 'string' ? { displayname: e.content['displayname'] } : {}),
            ...(typeof e.content['avatar_url'] === 'string' ? { avatarUrl: e.content['avatar_url'] } : {}),
          })),
      typing: () => r.typingRaw.filter((u) => !hidesUser(view, u)),
      receipts: (eventId) => [...r.receiptOf].filter(([u, e]) => e === eventId && !hidesUser(view, u)).map(([u]) => u),
      unread: r.unread,
      // Nothing older: the server said so (no token), or the room's first event is already held.
      canPaginate: r.prevBatch !== null && r.events[0]?.type !== 'm.room.create',
    };
  }
}
