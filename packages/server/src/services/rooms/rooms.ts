// Room writes a client asks for: membership changes, messages, state and redactions. Each is one
// event authorised by the room version's auth rules (persist.ts) inside one RoomWriter transaction.

import {
  ErrCode,
  MatrixError,
  badJson,
  canonicalJson,
  forbidden,
  isEventId,
  isRoomAlias,
  isRoomId,
  notFound,
  serverNameOf,
  type EventId,
  type JsonObject,
  type RoomId,
  type ServerName,
  type UserId,
} from '@hush/protocol';
import type { Db } from '../../storage/db.ts';
import { accountsStore } from '../../storage/accounts.store.ts';
import { eventsStore, type EventRow } from '../../storage/events.store.ts';
import { roomsStore } from '../../storage/rooms.store.ts';
import { stateStore } from '../../storage/state.store.ts';
import { markRedacted } from '../../storage/redactions.ts';
import type { Requester } from '../requester.ts';
import { parsePdu } from '../events/format.ts';
import { powerLevelsFrom, userLevel } from './power-levels.ts';
import type { IgnoreViews } from '../../policy/ignore-lists.ts';
import { inviteBlockRule, rejectsInviteFrom, type IgnoreView } from '../../policy/ignore.ts';
import type { RoomTx, RoomWriter } from './writer.ts';
import { checkNewAliases } from './canonical-alias.ts';
import { InviteRejections } from './invite-rejections.ts';

/** Equal as canonical JSON; content that has none (a float, say) equals nothing. */
function sameJson(a: JsonObject, b: JsonObject): boolean {
  try {
    return canonicalJson(a) === canonicalJson(b);
  } catch {
    return false;
  }
}

export interface MembershipOptions {
  reason?: string;
  isDirect?: boolean;
}

/** Membership changes through another server (federation/outbound/membership.ts), when
 *  federation is on: a room we are not in, a user of another server. */
export interface RemoteMembership {
  isRemote(roomId: string): Promise<boolean>;
  resolveAlias(alias: string): Promise<{ roomId: string; servers: string[] }>;
  join(userId: string, roomId: string, via: readonly string[], content: JsonObject): Promise<void>;
  leave(userId: string, roomId: string, reason?: string, opts?: { localIfUnreachable?: boolean }): Promise<void>;
  knock(userId: string, roomId: string, via: readonly string[], content: JsonObject): Promise<void>;
  invite(roomId: string, sender: string, target: string, content: JsonObject): Promise<void>;
}

export class RoomService {
  /** Set by the app when federation is on. */
  remote: RemoteMembership | null = null;
  /** Rejections of remote invites still to be made, kept in the database (started with federation). */
  readonly rejections: InviteRejections;

  constructor(
    readonly db: Db,
    readonly writer: RoomWriter,
    readonly serverName: ServerName,
    /** `ignored-user-invites`: hide invites from ignored users (kept), or reject them for the user. */
    /** The app's loaded ignore views (invite permission, invite rejection). */
    private readonly ignoreViews: IgnoreViews,
    private readonly ignoredUserInvites: 'hide' | 'reject' = 'hide',
  ) {
    this.rejections = new InviteRejections(db, {
      stillRejected: async (userId, roomId, sender) =>
        rejectsInviteFrom(await ignoreViews.load(db, userId), sender, ignoredUserInvites === 'reject') &&
        (await stateStore.membership(db, roomId, userId))?.membership === 'invite',
      leave: (userId, roomId) => this.leaveInvite(userId, roomId),
    });
  }

  /** Display name and avatar for a local user's member event. */
  async profileContent(userId: string): Promise<JsonObject> {
    const user = await accountsStore.getUser(this.db, userId);
    const c: JsonObject = {};
    if (user?.displayname) c['displayname'] = user.displayname;
    if (user?.avatar_url) c['avatar_url'] = user.avatar_url;
    return c;
  }

  async resolveRoom(roomIdOrAlias: string): Promise<string> {
    if (isRoomId(roomIdOrAlias)) return roomIdOrAlias;
    if (isRoomAlias(roomIdOrAlias)) {
      const found = await roomsStore.getAlias(this.db, roomIdOrAlias);
      if (!found) throw notFound('Room alias not found');
      return found.roomId;
    }
    throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Not a room ID or alias');
  }

  /** A room id or alias → the room and servers likely to hold it: an alias of another server is
   *  asked of that server when federation is on (the room summary of a room we may not hold). */
  async locateRoom(roomIdOrAlias: string): Promise<{ roomId: string; servers: string[] }> {
    if (this.remote && isRoomAlias(roomIdOrAlias) && serverNameOf(roomIdOrAlias as unknown as UserId) !== this.serverName) {
      return this.remote.resolveAlias(roomIdOrAlias);
    }
    return { roomId: await this.resolveRoom(roomIdOrAlias), servers: [] };
  }

  async ensureLocalUser(userId: UserId): Promise<void> {
    if (serverNameOf(userId) !== this.serverName) throw forbidden('This server does not federate; only local users can be invited');
    if (!(await accountsStore.userExists(this.db, userId))) throw notFound('Unknown user');
  }

  private member(rt: RoomTx, sender: string, target: string, content: JsonObject): Promise<EventRow> {
    return rt.persist({ type: 'm.room.member', stateKey: target, sender, content });
  }

  async invite(r: Requester, roomId: RoomId, target: UserId, opts: MembershipOptions = {}): Promise<void> {
    if (this.remote && serverNameOf(target) !== this.serverName) {
      const content: JsonObject = { membership: 'invite' };
      if (opts.reason !== undefined) content['reason'] = opts.reason;
      if (opts.isDirect) content['is_direct'] = true;
      return this.remote.invite(roomId, r.userId, target, content);
    }
    await this.ensureLocalUser(target);
    const profile = await this.profileContent(target);
    await this.writer.write(roomId, (rt) => this.inviteIn(rt, r.userId, target, profile, opts));
  }

  /** The invite event itself (also used by createRoom inside its transaction). */
  async inviteIn(rt: RoomTx, sender: string, target: string, profile: JsonObject, opts: MembershipOptions): Promise<EventRow> {
    const view = await this.checkInvitePermission(rt, target, sender);
    const current = await stateStore.membership(rt.tx, rt.room.room_id, target);
    if (current?.membership === 'join') throw forbidden(`${target} is already in the room`);
    if (current?.membership === 'ban') throw forbidden(`${target} is banned from the room`);
    const content: JsonObject = { membership: 'invite', ...profile };
    if (opts.reason !== undefined) content['reason'] = opts.reason;
    if (opts.isDirect) content['is_direct'] = true;
    const invite = await this.member(rt, sender, target, content);
    // "The server may optionally reject the invite on behalf of the client" (and MSC4294 requires it).
    if (rejectsInviteFrom(view, sender, this.ignoredUserInvites === 'reject')) {
      await this.member(rt, target, target, { membership: 'leave' });
    }
    return invite;
  }

  /** Invite permission (and MSC4155, MSC4494): 403 M_INVITE_BLOCKED when the invitee refuses
   *  invites from the inviter. Returns the invitee's view. */
  private async checkInvitePermission(rt: RoomTx, target: string, inviter: string): Promise<IgnoreView> {
    const view = await this.ignoreViews.load(rt.tx, target);
    if ((await inviteBlockRule(view, inviter, () => stateStore.sharesNonPublicRoom(rt.tx, inviter, target))) !== null) {
      throw new MatrixError(403, ErrCode.INVITE_BLOCKED, `${target} does not accept invites`);
    }
    return view;
  }

  /** Rejects every pending invite the user's lists now reject (MSC4294's list; with
   *  `ignored-user-invites reject`, ignored users too). Called after the user's ignore lists change. */
  async rejectIgnoredInvites(userId: string): Promise<void> {
    const view = await this.ignoreViews.load(this.db, userId);
    const rejectIgnored = this.ignoredUserInvites === 'reject';
    if (view.rejectedInviters.size === 0 && !(rejectIgnored && view.ignoredUsers.size > 0)) return;
    const pending = (await stateStore.membershipsOfUser(this.db, userId)).filter((m) => m.membership === 'invite' && rejectsInviteFrom(view, m.sender, rejectIgnored));
    for (const m of pending) {
      // An invite to a room resident on another server is rejected through it (make_leave/send_leave),
      // so the inviter sees the decline; a local leave event would never leave this server.
      if (this.remote && (await this.remote.isRemote(m.room_id))) {
        // Unreachable or refusing now: tried again later, across restarts too (decision 0039).
        await this.remote.leave(userId, m.room_id, undefined, { localIfUnreachable: false }).catch(() => this.rejections.schedule(userId, m.room_id, m.sender, 1000).catch(() => undefined));
        continue;
      }
      await this.writer.write(m.room_id, async (rt) => {
        const now = await stateStore.membership(rt.tx, m.room_id, userId);
        if (now?.membership === 'invite') await this.member(rt, userId, userId, { membership: 'leave' });
      });
    }
  }

  /** An invite from another server was stored for `userId` (federation/outbound/membership.ts):
   *  rejected when the user's lists reject it, as a local one is (MSC4294, `ignored-user-invites
   *  reject`) — through the inviting server when we are not in the room. That server stores the
   *  invite only after our answer, so the leave is tried just after it, and again while refused or
   *  unreachable, from a table that survives restarts (InviteRejections, decision 0039). */
  rejectArrivedInvite(userId: string, roomId: string, sender: string): void {
    void (async () => {
      if (!rejectsInviteFrom(await this.ignoreViews.load(this.db, userId), sender, this.ignoredUserInvites === 'reject')) return;
      await this.rejections.schedule(userId, roomId, sender);
    })().catch(() => undefined);
  }

  /** The user's leave of a room they are invited to: through another server when we are not in the
   *  room, else an ordinary leave of ours (sent to the room's servers by the queue). */
  private async leaveInvite(userId: string, roomId: string): Promise<void> {
    const remote = this.remote;
    if (!remote) throw new Error('federation is off');
    if (await remote.isRemote(roomId)) return remote.leave(userId, roomId, undefined, { localIfUnreachable: false });
    await this.writer.write(roomId, async (rt) => {
      if ((await stateStore.membership(rt.tx, roomId, userId))?.membership === 'invite') await this.member(rt, userId, userId, { membership: 'leave' });
    });
  }

  async join(r: Requester, roomIdOrAlias: string, reason?: string, via: readonly string[] = []): Promise<string> {
    let roomId: string;
    let servers = via;
    if (this.remote && isRoomAlias(roomIdOrAlias) && serverNameOf(roomIdOrAlias as unknown as UserId) !== this.serverName) {
      const found = await this.remote.resolveAlias(roomIdOrAlias);
      roomId = found.roomId;
      servers = [...via, ...found.servers];
    } else roomId = await this.resolveRoom(roomIdOrAlias);
    const content: JsonObject = { membership: 'join', ...(await this.profileContent(r.userId)) };
    if (reason !== undefined) content['reason'] = reason;
    if (this.remote && (await this.remote.isRemote(roomId))) {
      if ((await stateStore.membership(this.db, roomId, r.userId))?.membership !== 'join') await this.remote.join(r.userId, roomId, servers, content);
      return roomId;
    }
    await this.writer.write(roomId, async (rt) => {
      // Already joined: nothing to change, so no new member event (checked under the room lock).
      if ((await stateStore.membership(rt.tx, roomId, r.userId))?.membership === 'join') return;
      await this.member(rt, r.userId, r.userId, content);
    });
    return roomId;
  }

  async leave(r: Requester, roomId: RoomId, reason?: string): Promise<void> {
    if (this.remote && (await this.remote.isRemote(roomId))) {
      const current = await stateStore.membership(this.db, roomId, r.userId);
      if (current && current.membership !== 'leave' && current.membership !== 'ban') return this.remote.leave(r.userId, roomId, reason);
    }
    await this.writer.write(roomId, async (rt) => {
      const current = await stateStore.membership(rt.tx, roomId, r.userId);
      if (!current || current.membership === 'leave') throw forbidden('You are not in this room');
      const content: JsonObject = { membership: 'leave' };
      if (reason !== undefined) content['reason'] = reason;
      await this.member(rt, r.userId, r.userId, content);
    });
  }

  /** Leaves every room the user is in, invited to or knocking on (account deactivation): ordinary
   *  leave events the other members see. A room whose rules refuse the leave is skipped. */
  async leaveAll(userId: UserId): Promise<void> {
    const present = (m: { membership: string } | undefined) => m !== undefined && ['join', 'invite', 'knock'].includes(m.membership);
    for (const m of (await stateStore.membershipsOfUser(this.db, userId)).filter(present)) {
      await this.writer
        .write(m.room_id, async (rt) => {
          if (present(await stateStore.membership(rt.tx, m.room_id, userId))) await this.member(rt, userId, userId, { membership: 'leave' });
        })
        .catch((err: unknown) => {
          if (!(err instanceof MatrixError)) throw err;
        });
    }
  }

  /** Kick (leave), ban and unban (leave from ban) of another user. */
  async moderate(r: Requester, roomId: RoomId, target: UserId, action: 'kick' | 'ban' | 'unban', reason?: string): Promise<void> {
    await this.writer.write(roomId, async (rt) => {
      const current = await stateStore.membership(rt.tx, roomId, target);
      if (action === 'kick' && (!current || current.membership === 'leave' || current.membership === 'ban')) {
        throw forbidden(`${target} is not in the room`);
      }
      if (action === 'unban' && current?.membership !== 'ban') throw forbidden(`${target} is not banned`);
      const content: JsonObject = { membership: action === 'ban' ? 'ban' : 'leave' };
      if (reason !== undefined) content['reason'] = reason;
      await this.member(rt, r.userId, target, content);
    });
  }

  /** A profile change is mirrored into the user's member event in every joined room. */
  async updateProfile(userId: UserId, profile: { displayname: string | null; avatar_url: string | null }): Promise<void> {
    const joined = (await stateStore.membershipsOfUser(this.db, userId)).filter((m) => m.membership === 'join');
    for (const m of joined) {
      const content: JsonObject = { membership: 'join' };
      if (profile.displayname !== null) content['displayname'] = profile.displayname;
      if (profile.avatar_url !== null) content['avatar_url'] = profile.avatar_url;
      // A room whose rules refuse the update keeps the old member event; other faults propagate.
      await this.writer.write(m.room_id, (rt) => this.member(rt, userId, userId, content)).catch((err: unknown) => {
        if (!(err instanceof MatrixError)) throw err;
      });
    }
  }

  async resolveAlias(alias: string): Promise<{ room_id: string; servers: string[] }> {
    // Another server's alias: asked of that server (/query/directory) when federation is on.
    if (this.remote && serverNameOf(alias as unknown as UserId) !== this.serverName) {
      const remote = await this.remote.resolveAlias(alias);
      return { room_id: remote.roomId, servers: [...new Set(remote.servers)] };
    }
    const found = await roomsStore.getAlias(this.db, alias);
    if (!found) throw notFound('Room alias not found');
    return { room_id: found.roomId, servers: [this.serverName] };
  }

  async setAlias(r: Requester, alias: string, roomId: RoomId): Promise<void> {
    if (serverNameOf(alias as UserId) !== this.serverName) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Alias must be on this server');
    const m = await stateStore.membership(this.db, roomId, r.userId);
    if (m?.membership !== 'join') throw forbidden('You must be in the room to give it an alias');
    if (!(await roomsStore.insertAlias(this.db, alias, roomId, r.userId))) throw new MatrixError(409, ErrCode.UNKNOWN, 'Room alias already exists');
  }

  async deleteAlias(r: Requester, alias: string): Promise<void> {
    const found = await roomsStore.getAlias(this.db, alias);
    if (!found) throw notFound('Room alias not found');
    if (found.creator !== r.userId) {
      const levels = await this.powerLevels(found.roomId);
      if (userLevel(levels, r.userId) < 50) throw forbidden('Only the creator of an alias or a room moderator may delete it');
    }
    await roomsStore.deleteAlias(this.db, alias);
  }

  async localAliases(r: Requester, roomId: RoomId): Promise<string[]> {
    const m = await stateStore.membership(this.db, roomId, r.userId);
    if (m?.membership !== 'join') throw forbidden('You are not in this room');
    return roomsStore.aliasesOf(this.db, roomId);
  }

  /** The room's current power levels (spec defaults when it has none). */
  async powerLevels(roomId: string, tx: Db | RoomTx['tx'] = this.db) {
    const plId = await stateStore.currentStateEventId(tx, roomId, 'm.room.power_levels', '');
    const createId = await stateStore.currentStateEventId(tx, roomId, 'm.room.create', '');
    const [pl, create] = await Promise.all([plId ? eventsStore.byId(tx, plId) : undefined, createId ? eventsStore.byId(tx, createId) : undefined]);
    return powerLevelsFrom(pl ? parsePdu(pl).content : undefined, create ? parsePdu(create) : undefined);
  }

  async forget(r: Requester, roomId: RoomId): Promise<void> {
    const current = await stateStore.membership(this.db, roomId, r.userId);
    if (!current) throw notFound('You have never been in this room');
    if (current.membership === 'join' || current.membership === 'invite' || current.membership === 'knock') {
      throw new MatrixError(400, ErrCode.UNKNOWN, 'Leave the room before forgetting it');
    }
    await stateStore.forget(this.db, roomId, r.userId);
  }

  async send(r: Requester, roomId: RoomId, type: string, txnId: string, content: JsonObject): Promise<string> {
    // A redaction sent as an event is applied as PUT /redact applies one, in every room version
    // (spec v1.18, MSC4169): its target named by content.redacts.
    if (type === 'm.room.redaction') {
      const target = content['redacts'];
      if (!isEventId(target)) throw badJson('An m.room.redaction event needs content.redacts: the id of the event to redact');
      return this.redactWith(r, roomId, target, txnId, content);
    }
    return this.writer.write(roomId, async (rt) => {
      // A retry of an earlier request (checked under the room lock, so racing retries agree).
      const earlier = await eventsStore.findTxn(rt.tx, r.userId, r.deviceId, txnId);
      if (earlier) return earlier;
      return (await rt.persist({ type, sender: r.userId, content, txn: { deviceId: r.deviceId, txnId } })).event_id;
    });
  }

  async setState(r: Requester, roomId: RoomId, type: string, stateKey: string, content: JsonObject): Promise<string> {
    if (type === 'm.room.member' && content['membership'] === 'invite' && stateKey !== r.userId) {
      await this.ensureLocalUser(stateKey as UserId);
    }
    return this.writer.write(roomId, async (rt) => {
      // Compared under the room lock, so racing identical writes make one event.
      const current = await this.currentState(rt, type, stateKey);
      if (current && (await this.unchanged(rt, r.userId, current, content))) return current.row.event_id;
      if (type === 'm.room.canonical_alias') await checkNewAliases(rt.tx, roomId, content, current?.content);
      if (type === 'm.room.member' && content['membership'] === 'invite') await this.checkInvitePermission(rt, stateKey, r.userId);
      return (await rt.persist({ type, stateKey, sender: r.userId, content })).event_id;
    });
  }

  /** The current (not redacted) event of `type` and `stateKey`, with its content. */
  private async currentState(rt: RoomTx, type: string, stateKey: string): Promise<{ row: EventRow; content: JsonObject } | undefined> {
    const id = await stateStore.currentStateEventId(rt.tx, rt.room.room_id, type, stateKey);
    const row = id ? await eventsStore.byId(rt.tx, id) : undefined;
    if (!row || row.redacted_by !== null) return undefined;
    return { row, content: parsePdu(row).content };
  }

  /** True when a joined member sends again the content of the current event they sent: nothing
   *  would change, so no event is made (no stream position, no wake-up) and that event answers. */
  private async unchanged(rt: RoomTx, sender: string, current: { row: EventRow; content: JsonObject }, content: JsonObject): Promise<boolean> {
    if (current.row.sender !== sender || !sameJson(current.content, content)) return false;
    return (await stateStore.membership(rt.tx, rt.room.room_id, sender))?.membership === 'join';
  }

  async redact(r: Requester, roomId: RoomId, eventId: EventId, txnId: string, reason?: string): Promise<string> {
    return this.redactWith(r, roomId, eventId, txnId, reason !== undefined ? { reason } : {});
  }

  /** A redaction of `eventId` whose content is `extra` (a reason, other keys a client sent) with
   *  `redacts`: checked, stored and applied to its target. */
  private async redactWith(r: Requester, roomId: RoomId, eventId: EventId, txnId: string, extra: JsonObject): Promise<string> {
    return this.writer.write(roomId, async (rt) => {
      // A retry of an earlier request, checked under the room lock like send's, so racing retries
      // (on two processes too) agree on one redaction.
      const earlier = await eventsStore.findTxn(rt.tx, r.userId, r.deviceId, txnId);
      if (earlier) return earlier;
      const target = await eventsStore.byId(rt.tx, eventId);
      if (!target || target.room_id !== roomId) throw notFound('Event not found');
      if (target.sender !== r.userId) {
        const levels = await this.powerLevels(roomId, rt.tx);
        if (userLevel(levels, r.userId) < levels.redact) throw forbidden('You may not redact events of other users');
      }
      const content: JsonObject = { ...extra, redacts: eventId };
      const row = await rt.persist({ type: 'm.room.redaction', sender: r.userId, content, txn: { deviceId: r.deviceId, txnId } });
      await markRedacted(rt.tx, target, row.event_id);
      return row.event_id;
    });
  }
}
