// Presence (spec "Presence"): a user's state — online, unavailable, offline — and status message,
// set with PUT /presence or by syncing (`set_presence`), shown to users who share a room with them
// and never to anyone who ignores them. A change takes a position in the shared stream and wakes
// the syncs of everyone sharing a room. Idle: online users with no activity (a send, a receipt,
// typing, an explicit PUT) for IDLE_MS become unavailable; users with no sync for OFFLINE_MS
// after their last one ended become offline. With `presence off` nothing is stored or sent.

import { forbidden, isUserId, MatrixError, ErrCode, type JsonObject, type PresenceEvent, type PresenceResponse, type PresenceState, type UserId } from '@hush/protocol';
import type { Db, Tx } from '../storage/db.ts';
import { presenceStore, type PresenceRow } from '../storage/presence.store.ts';
import { stateStore } from '../storage/state.store.ts';
import { streamStore } from '../storage/stream.store.ts';
import { accountsStore } from '../storage/accounts.store.ts';
import type { Notifier } from '../notifier/notifier.ts';
import type { Requester } from './requester.ts';
import type { IgnoreViews } from '../policy/ignore-lists.ts';
import type { OutboundHooks } from './outbound-hooks.ts';
import { showsUser } from '../policy/shown.ts';

export const IDLE_MS = 5 * 60_000;
export const OFFLINE_MS = 30_000;
const SWEEP_MS = 10_000;

/** What this process knows of a user it serves: when they last acted and how their syncs stand. */
interface Local {
  lastActive: number;
  syncing: number;
  lastSyncEnd: number;
  /** The state as last read or written here. */
  state?: PresenceState;
}

export class PresenceService {
  private readonly local = new Map<string, Local>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    private readonly notifier: Notifier,
    /** The app's loaded ignore views (someone ignored is reported offline). */
    private readonly ignoreViews: IgnoreViews,
    /** The app's outbound federation hooks (`presence`: a local user's presence changed). */
    private readonly outbound: OutboundHooks,
    readonly enabled: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  private localOf(userId: string): Local {
    let l = this.local.get(userId);
    if (!l) this.local.set(userId, (l = { lastActive: 0, syncing: 0, lastSyncEnd: this.now() }));
    if (!this.timer && this.enabled) {
      this.timer = setInterval(() => void this.sweep().catch(() => undefined), SWEEP_MS);
      this.timer.unref();
    }
    return l;
  }

  /** PUT /presence/{userId}/status: only one's own; counts as activity. */
  async set(r: Requester, userId: string, presence: PresenceState, statusMsg: string | null | undefined): Promise<void> {
    if (userId !== r.userId) throw forbidden("Cannot set another user's presence");
    if (!this.enabled) return;
    this.localOf(userId).lastActive = this.now();
    await this.write(userId, presence, statusMsg === undefined ? 'keep' : statusMsg);
  }

  /** An m.presence EDU entry (federation/inbound): a remote user's presence, stored as sent. */
  async setRemote(userId: string, presence: PresenceState, statusMsg: string | null, lastActiveAgo: number): Promise<void> {
    if (!this.enabled) return;
    const lastActive = this.now() - Math.min(Math.max(lastActiveAgo, 0), 365 * 86_400_000);
    const { pos, rooms } = await this.db.transaction().execute(async (tx) => {
      const p = await streamStore.next(tx);
      await presenceStore.put(tx, { user_id: userId, presence, status_msg: statusMsg, last_active_ts: lastActive, stream_ordering: p });
      const joined = (await stateStore.membershipsOfUser(tx, userId)).filter((m) => m.membership === 'join').map((m) => m.room_id);
      return { pos: p, rooms: joined };
    });
    this.notifier.notify({ stream: pos }, { rooms, users: [userId] });
  }

  /** GET /presence/{userId}/status: oneself, or someone sharing a room. Someone the requester
   *  ignores is reported offline, with nothing else (decision 0023's no-trace rule). */
  async get(r: Requester, userId: string): Promise<PresenceResponse> {
    if (!isUserId(userId)) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Invalid user ID');
    return this.db.transaction().execute(async (tx) => {
      if (userId !== r.userId) {
        // A user of another server has no account here: sharing a room is what makes them known.
        if (!(await stateStore.shareRoom(tx, r.userId, userId))) {
          if ((await accountsStore.getUser(tx, userId)) === undefined) throw new MatrixError(404, ErrCode.NOT_FOUND, 'Unknown user');
          throw forbidden('You do not share a room with this user');
        }
        if (!showsUser(await this.ignoreViews.load(tx, r.userId), userId)) return { presence: 'offline' };
      }
      const row = this.enabled ? await presenceStore.get(tx, userId) : undefined;
      return row ? this.stateOf(row) : { presence: 'offline' };
    });
  }

  /** Activity that is not a presence change (a send, a receipt, typing): an idle (unavailable)
   *  user who syncs here is online again. Costs nothing for users this process does not serve. */
  async active(userId: UserId): Promise<void> {
    const l = this.enabled ? this.local.get(userId) : undefined;
    if (!l) return;
    l.lastActive = this.now();
    if (l.state === 'unavailable') await this.write(userId, 'online', 'keep');
  }

  /** A /sync begins: `set_presence` (default online) applies; the returned function ends it. */
  async syncing(userId: UserId, setPresence: PresenceState | undefined): Promise<() => void> {
    if (!this.enabled) return () => undefined;
    const l = this.localOf(userId);
    l.syncing++;
    const want = setPresence ?? 'online';
    if (want !== 'offline') {
      const row = await presenceStore.get(this.db, userId);
      l.state = (row?.presence as PresenceState | undefined) ?? 'offline';
      // Syncing brings an offline user online; an idle (unavailable) one stays so until they act.
      if (want === 'online' && (row === undefined || row.presence === 'offline')) {
        if (l.lastActive === 0) l.lastActive = this.now();
        await this.write(userId, 'online', 'keep');
      } else if (want === 'unavailable' && row?.presence !== 'unavailable') {
        await this.write(userId, 'unavailable', 'keep');
      }
    }
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      l.syncing--;
      l.lastSyncEnd = this.now();
    };
  }

  /** Idle and gone: online → unavailable after IDLE_MS without activity; anyone no longer syncing
   *  here for OFFLINE_MS → offline. Only users this process serves. */
  async sweep(): Promise<void> {
    const now = this.now();
    for (const [userId, l] of this.local) {
      const gone = l.syncing === 0 && now - l.lastSyncEnd > OFFLINE_MS;
      const row = await presenceStore.get(this.db, userId);
      if (gone) {
        this.local.delete(userId);
        if (row && row.presence !== 'offline') await this.write(userId, 'offline', 'keep');
      } else if (row?.presence === 'online' && now - Math.max(l.lastActive, row.last_active_ts) > IDLE_MS) {
        await this.write(userId, 'unavailable', 'keep');
      }
    }
    if (this.local.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private async write(userId: string, presence: PresenceState, statusMsg: string | null | 'keep'): Promise<void> {
    const { pos, rooms } = await this.db.transaction().execute(async (tx) => {
      const old = await presenceStore.get(tx, userId);
      const status = statusMsg === 'keep' ? (old?.status_msg ?? null) : statusMsg;
      const lastActive = Math.max(this.local.get(userId)?.lastActive ?? 0, old?.last_active_ts ?? 0) || this.now();
      if (old && old.presence === presence && old.status_msg === status && old.last_active_ts === lastActive) return { pos: 0, rooms: [] };
      const p = await streamStore.next(tx);
      await presenceStore.put(tx, { user_id: userId, presence, status_msg: status, last_active_ts: lastActive, stream_ordering: p });
      const joined = (await stateStore.membershipsOfUser(tx, userId)).filter((m) => m.membership === 'join').map((m) => m.room_id);
      return { pos: p, rooms: joined };
    });
    const l = this.local.get(userId);
    if (l) l.state = presence;
    if (pos > 0) this.notifier.notify({ stream: pos }, { rooms, users: [userId] });
    if (pos > 0 && this.outbound.presence && rooms.length > 0) {
      const row = await presenceStore.get(this.db, userId);
      if (row) this.outbound.presence(this.present(row), rooms);
    }
  }

  /** A row as `GET /presence` answers it. */
  private stateOf(row: PresenceRow): PresenceResponse {
    const lastActive = Math.max(this.local.get(row.user_id)?.lastActive ?? 0, row.last_active_ts);
    const out: PresenceResponse = {
      presence: row.presence as PresenceState,
      last_active_ago: Math.max(0, this.now() - lastActive),
      currently_active: row.presence === 'online' && this.now() - lastActive < IDLE_MS,
    };
    if (row.status_msg !== null) out.status_msg = row.status_msg;
    return out;
  }

  /** The `m.presence` event of a row, as /sync carries it. */
  present(row: PresenceRow): PresenceEvent {
    const { presence, last_active_ago, currently_active, status_msg } = this.stateOf(row);
    const content: JsonObject = { presence };
    if (last_active_ago !== undefined) content['last_active_ago'] = last_active_ago;
    if (currently_active !== undefined) content['currently_active'] = currently_active;
    if (status_msg !== undefined && status_msg !== null) content['status_msg'] = status_msg;
    return { type: 'm.presence', sender: row.user_id, content };
  }

  /** Presence changes after `after` up to `upTo` of users who share a room with the requester (the
   *  requester included), as events; what of them the requester may see is the policy's call. */
  async changes(tx: Tx, r: Requester, after: number, upTo: number): Promise<PresenceEvent[]> {
    if (!this.enabled) return [];
    return (await presenceStore.changedForViewer(tx, r.userId, after, upTo)).map((row) => this.present(row));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
