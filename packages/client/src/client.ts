// HushClient: a session, the sync loop feeding the store, room actions, and the Ignoring Users
// module's client behaviour — serialised list writes that resolve once /sync echoes them, events
// when the lists really change, and refilling timelines after an un-ignore.

import { api, ErrCode, hidesUser, IGNORED_USER_LIST, isUserId, lenient, parseIgnoredUserList, type BodyOf, type ClientEvent, type SyncResponse } from '@hush/protocol';
import { Emitter } from './emitter.ts';
import { MatrixError } from './errors.ts';
import { HttpClient } from './http.ts';
import { InviteRules } from './invite-rules.ts';
import { refillRoom } from './refill.ts';
import type { Session } from './session.ts';
import { ClientStore, type PendingInvite } from './store.ts';

export interface ClientEvents {
  sync: { initial: boolean };
  ignoredUsersChanged: { added: string[]; removed: string[] };
  invitesDiscarded: { roomIds: string[] };
  room: { roomId: string };
  error: { error: unknown };
}

export interface ServerFeatures {
  versions: string[];
  invitePermission: boolean;
  denyPublic: boolean;
  inviteGlobs: boolean;
}

export interface ClientOptions {
  fetch?: typeof fetch;
  /** How long one request may go unanswered before it fails with a TimeoutError (default 30 s;
   *  0: no limit). A /sync long-poll gets its wait on top. */
  timeoutMs?: number;
  /** Long-poll timeout of the sync loop (default 30 s). */
  syncTimeoutMs?: number;
  /** Events per room in a sync's timeline (default 20). */
  timelineLimit?: number;
  /** After an un-ignore, /messages pages read per room (default 10 of 50) before the client gives
   *  up on filling the gap and starts over with a fresh sync. */
  refillPages?: number;
}

const PAGE = 50;
/** Rewrites of one list change before giving up on a device that keeps overwriting it. */
const MAX_WRITE_ATTEMPTS = 5;

export class HushClient {
  readonly http: HttpClient;
  readonly userId: string;
  readonly store: ClientStore;
  readonly inviteRules: InviteRules;
  private readonly events = new Emitter<ClientEvents>();
  private since: string | undefined;
  private running = false;
  private abort: AbortController | undefined;
  private syncing: Promise<void> | undefined;
  /** The next /sync goes without `since` and replaces every room held. */
  private freshWanted = false;
  /** Set while the in-flight long-poll is aborted on purpose (to start a fresh sync). */
  private restarting = false;
  /** Resolved after each applied /sync, and on stop(). */
  private syncWaiters: (() => void)[] = [];
  /** The refill started by the newest un-ignore, if any. */
  private refilling: Promise<void> = Promise.resolve();
  private readonly refillPages: number;
  private txn = 0;
  /** Every read-modify-write of account data goes through this chain, one at a time. */
  private writes: Promise<unknown> = Promise.resolve();
  private readonly timeoutMs: number;
  private readonly filter: string;

  constructor(
    readonly session: Session,
    opts: ClientOptions = {},
  ) {
    this.http = new HttpClient({
      baseUrl: session.homeserver,
      accessToken: session.accessToken,
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    });
    this.userId = session.userId;
    this.store = new ClientStore(session.userId);
    this.inviteRules = new InviteRules(this);
    this.timeoutMs = opts.syncTimeoutMs ?? 30_000;
    this.refillPages = opts.refillPages ?? 10;
    this.filter = JSON.stringify({ room: { timeline: { limit: opts.timelineLimit ?? 20 } } });
  }

  on<K extends keyof ClientEvents>(ev: K, fn: (e: ClientEvents[K]) => void): () => void {
    return this.events.on(ev, fn);
  }

  // -------------------------------------------------------------------------------------------
  // Sync

  /** Starts the sync loop; resolves after the first (initial) sync. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.syncOnce();
    } catch (err) {
      this.running = false;
      throw err;
    }
    void this.loop();
  }

  stop(): void {
    this.running = false;
    this.abort?.abort();
    this.wakeSyncWaiters();
  }

  get isRunning(): boolean {
    return this.running;
  }

  private async loop(): Promise<void> {
    let backoff = 500;
    while (this.running) {
      try {
        await this.syncOnce(this.timeoutMs);
        backoff = 500;
        this.restarting = false;
      } catch (error) {
        if (!this.running) return;
        if (this.restarting) {
          this.restarting = false;
          continue;
        }
        this.events.emit('error', { error });
        if (error instanceof MatrixError && error.errcode === ErrCode.UNKNOWN_TOKEN) {
          // The session is gone (logged out, or soft-logged-out): retrying cannot help.
          this.running = false;
          this.wakeSyncWaiters();
          return;
        }
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
  }

  /** One /sync (initial, or incremental with `timeoutMs` of long-poll), applied to the store.
   *  Concurrent callers share the request in flight. */
  syncOnce(timeoutMs = 0): Promise<void> {
    this.syncing ??= this.doSync(timeoutMs).finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  /** Starts over: a /sync without `since` whose rooms replace every room held (the spec's fallback
   *  after un-ignoring). Resolves once it has been applied. */
  async freshSync(): Promise<void> {
    this.freshWanted = true;
    if (this.syncing) {
      // A long-poll of the running loop is cut short; a sync someone else awaits is let finish.
      if (this.running) {
        this.restarting = true;
        this.abort?.abort();
      }
      await this.syncing.catch(() => undefined);
    }
    // The loop may have started the fresh sync already; otherwise start it.
    if (this.freshWanted) await this.syncOnce();
    else await this.syncing;
  }

  private async doSync(timeoutMs: number): Promise<void> {
    this.abort = new AbortController();
    const fresh = this.freshWanted;
    this.freshWanted = false;
    const since = fresh ? undefined : this.since;
    try {
      const wait = since === undefined ? 0 : timeoutMs;
      const res = await this.http.request(api.sync, {
        query: { filter: this.filter, timeout: wait, ...(since !== undefined ? { since } : {}) },
        signal: this.abort.signal,
        // The long-poll may hold the answer back for `wait`; the time limit counts from then.
        ...(this.http.timeoutMs > 0 ? { timeoutMs: this.http.timeoutMs + wait } : {}),
      });
      this.apply(res, since === undefined, fresh);
    } catch (err) {
      if (fresh) this.freshWanted = true; // not done yet: the next sync tries again
      throw err;
    }
  }

  private wakeSyncWaiters(): void {
    for (const wake of this.syncWaiters.splice(0)) wake();
  }

  private apply(res: SyncResponse, initial: boolean, reset: boolean): void {
    const before = new Set(this.ignoredUsers());
    const shownInvites = this.store.invites().map((i) => i.roomId);
    const changed = this.store.applySync(res, { reset });
    this.since = res.next_batch;
    if (changed.listsChanged) {
      const after = new Set(this.ignoredUsers());
      const added = [...after].filter((u) => !before.has(u));
      const removed = [...before].filter((u) => !after.has(u));
      if (added.length > 0 || removed.length > 0) this.events.emit('ignoredUsersChanged', { added, removed });
      // "discard silently any matching pending invite currently displayed" (MSC3840)
      const discarded = shownInvites.filter((r) => this.store.inviteHidden(r));
      if (discarded.length > 0) this.events.emit('invitesDiscarded', { roomIds: discarded });
      if (changed.unhidden.length > 0 && !initial) {
        const run = () => this.refillAfterUnignore(changed.unhidden);
        this.refilling = this.refilling.then(run, run);
      }
    }
    // A new view changes what every joined room shows.
    const rooms = changed.listsChanged ? new Set([...changed.rooms, ...this.store.rooms().map((r) => r.roomId)]) : changed.rooms;
    for (const roomId of rooms) this.events.emit('room', { roomId });
    this.events.emit('sync', { initial });
    this.wakeSyncWaiters();
  }

  // -------------------------------------------------------------------------------------------
  // Rooms

  async createRoom(body: BodyOf<typeof api.createRoom> = {}): Promise<string> {
    return (await this.http.request(api.createRoom, { body })).room_id;
  }

  async invite(roomId: string, userId: string): Promise<void> {
    await this.http.request(api.inviteUser, { params: { roomId }, body: { user_id: userId } });
  }

  async join(roomIdOrAlias: string): Promise<string> {
    return (await this.http.request(api.joinRoom, { params: { roomIdOrAlias }, body: {} })).room_id;
  }

  /** Leaves a room, or declines an invite. */
  async leave(roomId: string): Promise<void> {
    await this.http.request(api.leaveRoom, { params: { roomId }, body: {} });
  }

  sendText(roomId: string, body: string): Promise<string> {
    return this.sendEvent(roomId, 'm.room.message', { msgtype: 'm.text', body });
  }

  async sendEvent(roomId: string, type: string, content: object): Promise<string> {
    const txnId = `hush${Date.now()}.${++this.txn}`;
    return (await this.http.request(api.sendMessage, { params: { roomId, eventType: type, txnId }, body: content as Record<string, unknown> })).event_id;
  }

  /** Reads older events into the store; returns how many were new (0 at the start of the room). */
  async paginateBack(roomId: string, limit = PAGE): Promise<number> {
    const from = this.store.prevBatch(roomId);
    if (from === null) return 0;
    const res = await this.http.request(api.getRoomEvents, { params: { roomId }, query: { dir: 'b', limit, ...(from !== undefined ? { from } : {}) } });
    const withRoom = (evs: readonly object[] | undefined) => (evs ?? []).map((e) => ({ ...e, room_id: roomId }) as ClientEvent);
    const added = this.store.applyPage(roomId, withRoom(res.chunk), withRoom(res.state), res.chunk.length === 0 ? undefined : res.end);
    this.events.emit('room', { roomId });
    return added;
  }

  /** A public read receipt (`m.read`) at an event: the room's unread counts drop to what follows it. */
  /** Reports a user to the server's administrators (spec `reportUser`). */
  async reportUser(userId: string, reason: string): Promise<void> {
    await this.http.request(api.reportUser, { params: { userId }, body: { reason } });
  }

  async markRead(roomId: string, eventId: string): Promise<void> {
    await this.http.request(api.postReceipt, { params: { roomId, receiptType: 'm.read', eventId }, body: {} });
  }

  /** One event by id; SenderIgnoredError (MSC4406) when its sender is ignored. */
  async fetchEvent(roomId: string, eventId: string): Promise<ClientEvent> {
    return (await this.http.request(api.getOneRoomEvent, { params: { roomId, eventId } })) as ClientEvent;
  }

  pendingInvites(): PendingInvite[] {
    return this.store.invites();
  }

  /** What the server advertises in /versions, as the switches a UI shows settings by: Invite
   *  permission (spec v1.18 or MSC4380), MSC4494's `deny_public`, MSC4155's globs. */
  async serverFeatures(): Promise<ServerFeatures> {
    const v = await this.http.request(api.getVersions);
    const flags = v.unstable_features ?? {};
    return {
      versions: v.versions,
      invitePermission: v.versions.includes('v1.18') || flags['org.matrix.msc4380'] === true || flags['org.matrix.msc4380.stable'] === true,
      denyPublic: flags['uk.timedout.msc4494'] === true,
      inviteGlobs: flags['org.matrix.msc4155'] === true,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Ignoring users

  ignoredUsers(): string[] {
    const content = this.store.accountDataContent(IGNORED_USER_LIST);
    return [...(lenient(content === undefined ? undefined : JSON.stringify(content), parseIgnoredUserList) ?? [])];
  }

  /** Whether everything `userId` sends is hidden: listed in m.ignored_user_list, on a server
   *  ignored through MSC3840, or matched by a rule of a policy room used for ignoring (MSC4365) —
   *  the same verdict the store (and the server) applies. */
  isIgnored(userId: string): boolean {
    return hidesUser(this.store.ignoreView(), userId);
  }

  ignoreUser(userId: string): Promise<void> {
    this.checkIgnorable([userId]);
    return this.updateIgnored((set) => set.add(userId));
  }

  unignoreUser(userId: string): Promise<void> {
    return this.updateIgnored((set) => set.delete(userId));
  }

  /** Adds several users in one read-modify-write (one request, one /sync echo). */
  ignoreUsers(userIds: readonly string[]): Promise<void> {
    this.checkIgnorable(userIds);
    return this.updateIgnored((set) => {
      for (const u of userIds) set.add(u);
    });
  }

  /** Removes several users in one read-modify-write. */
  unignoreUsers(userIds: readonly string[]): Promise<void> {
    return this.updateIgnored((set) => {
      for (const u of userIds) set.delete(u);
    });
  }

  setIgnoredUsers(list: readonly string[]): Promise<void> {
    this.checkIgnorable(list);
    return this.updateIgnored((set) => {
      set.clear();
      for (const u of list) set.add(u);
    });
  }

  private checkIgnorable(ids: readonly string[]): void {
    for (const id of ids) {
      if (!isUserId(id)) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Not a user ID: ${JSON.stringify(id.slice(0, 80))}`);
      if (id === this.userId) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'You cannot ignore yourself');
    }
  }

  /** Resolves once the change came back through /sync and, when users were un-ignored, their
   *  rooms have been refilled. */
  private async updateIgnored(change: (set: Set<string>) => void): Promise<void> {
    await this.updateAccountData(IGNORED_USER_LIST, (content) => {
      const users = new Set(Object.keys((content['ignored_users'] as Record<string, unknown> | undefined) ?? {}));
      const old = (content['ignored_users'] as Record<string, unknown> | undefined) ?? {};
      change(users);
      return { ...content, ignored_users: Object.fromEntries([...users].map((u) => [u, old[u] ?? {}])) };
    });
    await this.refilling;
  }

  /** Read-modify-write of one global account-data type, serialised with every other such write of
   *  this client, reading the newest content from the server first. Resolves once /sync has brought
   *  the type back. Matrix has no compare-and-set for account data, so another device may write in
   *  between: when the content /sync brings no longer holds this change, it is made again (`change`
   *  must be idempotent: adding or removing entries is). */
  updateAccountData(type: string, change: (content: Record<string, unknown>) => Record<string, unknown>): Promise<void> {
    const run = async () => {
      for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
        let current: Record<string, unknown> = {};
        try {
          current = (await this.http.request(api.getAccountData, { params: { userId: this.userId, type } })) as Record<string, unknown>;
        } catch (err) {
          if (!(err instanceof MatrixError) || err.errcode !== ErrCode.NOT_FOUND) throw err;
        }
        const next = change(current);
        const seen = this.store.deliveriesOf(type);
        await this.http.request(api.setAccountData, { params: { userId: this.userId, type }, body: next });
        await this.untilDelivered(type, seen, JSON.stringify(next));
        const now = this.store.accountDataContent(type) ?? {};
        if (JSON.stringify(change(now)) === JSON.stringify(now)) return;
      }
      throw new MatrixError(409, 'M_UNKNOWN', `Another device kept changing ${type}; the change was not kept`);
    };
    const done = this.writes.then(run, run);
    this.writes = done.catch(() => undefined);
    return done;
  }

  /** Waits until /sync brought `type` again after a write (or the store already holds `json`): the
   *  running loop's syncs, or syncs of its own when the loop is not running. */
  private async untilDelivered(type: string, seenBefore: number, json: string): Promise<void> {
    const arrived = () => this.store.deliveriesOf(type) > seenBefore || JSON.stringify(this.store.accountDataContent(type) ?? null) === json;
    for (let own = 0; !arrived(); ) {
      if (this.running) await new Promise<void>((wake) => this.syncWaiters.push(wake));
      else if (own++ < 5) await this.syncOnce(own === 1 ? 0 : 1000);
      else return;
    }
  }

  /** After un-ignoring: the rooms where a member is shown again are refilled through /messages;
   *  where a gap cannot be filled, the client starts over with a fresh sync, as the spec's client
   *  behaviour describes. Failures are reported as `error` events. */
  private async refillAfterUnignore(rooms: readonly string[]): Promise<void> {
    let fresh = false;
    for (const roomId of rooms) {
      try {
        if (await refillRoom(this.http, this.store, roomId, { pageSize: PAGE, maxPages: this.refillPages })) this.events.emit('room', { roomId });
        else fresh = true;
      } catch (error) {
        this.events.emit('error', { error });
      }
    }
    if (fresh) await this.freshSync().catch((error: unknown) => this.events.emit('error', { error }));
  }
}
