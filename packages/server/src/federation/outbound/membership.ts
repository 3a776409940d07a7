// Membership over federation, both directions (decision 0031). Outbound: our user joins, leaves,
// knocks on a room resident elsewhere (make_* then send_* through a resident server; the send_join
// answer's state and auth chain checked — signatures, hashes, auth rules — and stored), invites a
// user of another server (their server signs the invite first; a refusal, M_INVITE_BLOCKED
// included, reaches the inviting client). Inbound: templates for make_join/make_leave/make_knock,
// send_join/send_leave/send_knock accepted through the auth rules against current state and then
// forwarded to the room's other servers, invites of our users checked, signed and stored.

import { ErrCode, MatrixError, forbidden, isRoomId, notFound, serverNameOf, type EventId, type JsonObject, type Pdu, type UserId } from '@hush/protocol';
import type { Db, Tx } from '../../storage/db.ts';
import { accountsStore } from '../../storage/accounts.store.ts';
import { eventsStore } from '../../storage/events.store.ts';
import { roomsStore } from '../../storage/rooms.store.ts';
import { stateStore } from '../../storage/state.store.ts';
import { parsePdu } from '../../services/events/format.ts';
import { signEvent } from '../../services/events/crypto.ts';
import { checkAuth } from '../../services/rooms/auth-rules.ts';
import { creatorOf, referencedIds, requireRoomVersion, roomVersion, ROOM_VERSIONS, type RoomVersion } from '../../services/rooms/versions/index.ts';
import type { RoomWriter } from '../../services/rooms/writer.ts';
import type { IgnoreViews } from '../../policy/ignore-lists.ts';
import { inviteBlockRule } from '../../policy/ignore.ts';
import type { Federation } from '../index.ts';
import { FederationHttpError } from '../transport/http-client.ts';
import type { OutboundQueue } from './queue.ts';
import { authAgainstAuthEvents, buildTemplate, checkPdu, currentAuthState, formatProblem, signTemplate, signedBySender, storeEvent, type CheckedPdu } from './room-events.ts';

/** Bounds on a send_join answer. */
const MAX_STATE = 50_000;
const MAX_AUTH_CHAIN = 50_000;
const SUPPORTED = ROOM_VERSIONS.map((v) => v.id);

const incompatible = (v: string) => new MatrixError(400, 'M_INCOMPATIBLE_ROOM_VERSION', `Room version ${v} is not supported here`, { room_version: v });
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const enc = encodeURIComponent;

type Membership = 'join' | 'leave' | 'knock';

export class FederatedMembership {
  constructor(
    private readonly db: Db,
    private readonly f: Federation,
    private readonly writer: RoomWriter,
    private readonly queue: OutboundQueue,
    /** The app's loaded ignore views (an invite from another server is checked against them). */
    private readonly ignoreViews: IgnoreViews,
    /** Told of each invite stored by receiveInvite (the room service rejects it, through the inviting
     *  server when we are not in the room, if the invitee's lists say so; issue 23). */
    private readonly inviteStored: (userId: string, roomId: string, sender: string) => void = () => undefined,
  ) {}

  private get serverName(): string {
    return this.f.serverName;
  }

  // ---------------------------------------------------------------------------------------------
  // Client side

  /** True when a membership change of our user must go through another server: we do not know
   *  the room, or none of our users is joined to it. */
  async isRemote(roomId: string): Promise<boolean> {
    const room = await roomsStore.getRoom(this.db, roomId);
    if (!room) return true;
    const joined = await stateStore.members(this.db, roomId, 'join');
    return !joined.some((m) => serverNameOf(m.user_id as UserId) === this.serverName);
  }

  /** Servers worth asking about `roomId`: `via`, the inviter's, the room id's, known members'. */
  async candidates(roomId: string, userId: string, via: readonly string[]): Promise<string[]> {
    const out = new Set<string>(via);
    const m = await stateStore.membership(this.db, roomId, userId);
    if (m && m.sender !== userId) out.add(serverNameOf(m.sender as UserId));
    const idServer = roomId.includes(':') ? roomId.slice(roomId.indexOf(':') + 1) : '';
    if (idServer) out.add(idServer);
    for (const j of await stateStore.members(this.db, roomId, 'join')) out.add(serverNameOf(j.user_id as UserId));
    out.delete(this.serverName);
    return [...out].slice(0, 10);
  }

  /** A remote alias: asked of the alias's server (/query/directory). */
  async resolveAlias(alias: string): Promise<{ roomId: string; servers: string[] }> {
    const server = alias.slice(alias.indexOf(':') + 1);
    let res;
    try {
      res = await this.f.signedRequest(server, 'GET', `/_matrix/federation/v1/query/directory?room_alias=${enc(alias)}`);
    } catch (err) {
      throw notFound(`Room alias not found: ${server} could not be reached (${String((err as Error).message).slice(0, 200)})`);
    }
    const body = res.json;
    if (res.status !== 200 || !isObject(body) || typeof body['room_id'] !== 'string' || !isRoomId(body['room_id'])) throw notFound('Room alias not found');
    const servers = Array.isArray(body['servers']) ? body['servers'].filter((s): s is string => typeof s === 'string' && s.length <= 255).slice(0, 10) : [];
    return { roomId: body['room_id'], servers: [server, ...servers] };
  }

  /** make_* from the first candidate that answers with a usable template. */
  private async makeMembership(kind: Membership, roomId: string, userId: string, servers: readonly string[]): Promise<{ server: string; template: Record<string, unknown>; rv: RoomVersion }> {
    const ver = kind === 'leave' ? '' : `?${SUPPORTED.map((v) => `ver=${v}`).join('&')}`;
    let lastError: MatrixError = new MatrixError(404, ErrCode.NOT_FOUND, 'No server to ask about this room');
    for (const server of servers) {
      let res;
      try {
        res = await this.f.signedRequest(server, 'GET', `/_matrix/federation/v1/make_${kind}/${enc(roomId)}/${enc(userId)}${ver}`);
      } catch (err) {
        lastError = new MatrixError(502, ErrCode.UNKNOWN, `${server} could not be reached: ${String((err as Error).message).slice(0, 200)}`);
        continue;
      }
      const body = res.json;
      if (res.status !== 200 || !isObject(body) || !isObject(body['event'])) {
        const errcode = isObject(body) && typeof body['errcode'] === 'string' ? body['errcode'].slice(0, 64) : ErrCode.UNKNOWN;
        const error = isObject(body) && typeof body['error'] === 'string' ? body['error'].slice(0, 300) : `${server} answered ${res.status}`;
        lastError = new MatrixError(res.status >= 400 && res.status < 500 ? res.status : 502, errcode, error);
        if (res.status === 403 || errcode === 'M_INCOMPATIBLE_ROOM_VERSION') throw lastError;
        continue;
      }
      const rvId = typeof body['room_version'] === 'string' ? body['room_version'] : '1';
      const rv = roomVersion(rvId);
      if (!rv) throw incompatible(rvId);
      const t = body['event'];
      const membership = isObject(t['content']) ? t['content']['membership'] : undefined;
      if (t['type'] !== 'm.room.member' || t['state_key'] !== userId || t['sender'] !== userId || t['room_id'] !== roomId || membership !== kind) {
        lastError = new MatrixError(502, ErrCode.UNKNOWN, `${server} answered make_${kind} with a wrong template`);
        continue;
      }
      return { server, template: t, rv };
    }
    throw lastError;
  }

  /** PUT send_* v2, or v1 (which answers [200, body]) when v2 is not known there. */
  private async sendMembership(kind: Membership, server: string, roomId: string, eventId: string, pdu: Pdu): Promise<unknown> {
    const path = (v: number) => `/_matrix/federation/v${v}/send_${kind}/${enc(roomId)}/${enc(eventId)}`;
    if (kind !== 'knock') {
      const res = await this.f.signedRequest(server, 'PUT', path(2), pdu);
      if (res.status === 200) return res.json;
      const unknown = res.status === 404 && (!isObject(res.json) || res.json['errcode'] === 'M_UNRECOGNIZED' || res.json['errcode'] === undefined);
      if (!unknown) throw refusal(server, res);
    }
    const res = await this.f.signedRequest(server, 'PUT', path(1), pdu);
    if (res.status !== 200) throw refusal(server, res);
    if (kind === 'knock') return res.json;
    return Array.isArray(res.json) && res.json.length === 2 ? res.json[1] : res.json;
  }

  /** Our user joins a room resident on other servers. */
  async join(userId: string, roomId: string, via: readonly string[], content: JsonObject): Promise<void> {
    const { server, template, rv } = await this.makeMembership('join', roomId, userId, await this.candidates(roomId, userId, via));
    const { pdu, eventId } = signTemplate({ ...template, content: { ...(template['content'] as JsonObject), ...content, membership: 'join' } }, rv, this.serverName, this.f.ourKeys.signing);
    const answer = await this.sendMembership('join', server, roomId, eventId, pdu).catch((err: unknown) => {
      throw err instanceof MatrixError ? err : new MatrixError(502, ErrCode.UNKNOWN, `${server}: ${String((err as Error).message).slice(0, 200)}`);
    });
    if (!isObject(answer) || !Array.isArray(answer['state']) || !Array.isArray(answer['auth_chain'])) throw new MatrixError(502, ErrCode.UNKNOWN, `${server} answered send_join without state`);
    if (answer['state'].length > MAX_STATE || answer['auth_chain'].length > MAX_AUTH_CHAIN) throw new MatrixError(502, ErrCode.UNKNOWN, `${server} answered send_join with too much state`);
    // The resident server may have co-signed our event (restricted joins): keep its version when
    // it is still our event.
    let ours = pdu;
    if (isObject(answer['event'])) {
      const back = await checkPdu(this.f.keyRing, answer['event'], rv);
      if (back && back.eventId === eventId) ours = back.pdu;
    }
    const checked = await this.checkRoomState(answer['state'], answer['auth_chain'], rv, roomId);
    await this.storeJoinedRoom(roomId, rv, checked, { pdu: ours, eventId });
  }

  /** Checks every event of a send_join answer; only events that pass are kept, in depth order. */
  private async checkRoomState(state: unknown[], authChain: unknown[], rv: RoomVersion, roomId: string): Promise<{ state: CheckedPdu[]; create: Pdu }> {
    const known = new Map<string, Pdu>();
    const all: CheckedPdu[] = [];
    const stateIds = new Set<string>();
    for (const [list, isState] of [[authChain, false], [state, true]] as const) {
      for (const raw of list) {
        const c = await checkPdu(this.f.keyRing, raw, rv);
        if (!c || c.pdu.room_id !== roomId) continue;
        if (isState) {
          if (c.pdu.state_key === undefined) continue;
          stateIds.add(c.eventId);
        }
        if (!known.has(c.eventId)) all.push(c);
        known.set(c.eventId, c.pdu);
      }
    }
    all.sort((a, b) => a.pdu.depth - b.pdu.depth);
    const passed = new Map<string, Pdu>();
    for (const c of all) {
      if (authAgainstAuthEvents(c.pdu, c.eventId, passed, rv)) passed.set(c.eventId, c.pdu);
    }
    const kept = all.filter((c) => stateIds.has(c.eventId) && passed.has(c.eventId));
    const create = kept.find((c) => c.pdu.type === 'm.room.create' && c.pdu.state_key === '');
    if (!create) throw new MatrixError(502, ErrCode.UNKNOWN, 'The room state has no valid create event');
    const declared = create.pdu.content['room_version'] ?? '1';
    if (declared !== rv.id) throw new MatrixError(502, ErrCode.UNKNOWN, 'The room version of make_join disagrees with the create event');
    return { state: kept, create: create.pdu };
  }

  /** Stores the room, its state and our join; the writer's hooks wake our users' /sync. */
  private async storeJoinedRoom(roomId: string, rv: RoomVersion, checked: { state: CheckedPdu[]; create: Pdu }, join: CheckedPdu): Promise<void> {
    const body = async (rt: Parameters<Parameters<RoomWriter['write']>[1]>[0]) => {
      for (const c of checked.state) {
        const row = await storeEvent(rt.tx, rt.room, c.pdu, c.eventId, { extremity: 'none' });
        if (row) await rt.adopt(row, c.pdu);
      }
      // Our join, checked against the state it joins.
      const { state } = await currentAuthState(rt.tx, roomId, 'm.room.member', join.pdu.state_key, join.pdu.sender, join.pdu.content, rv);
      const verdict = checkAuth({ ...join.pdu, event_id: join.eventId }, state, { roomVersion: rv });
      if (!verdict.ok) throw forbidden(`The room's state does not allow this join: ${verdict.reason}`);
      const row = await storeEvent(rt.tx, rt.room, join.pdu, join.eventId, { extremity: 'only' });
      if (row) await rt.adopt(row, join.pdu);
    };
    if (await roomsStore.getRoom(this.db, roomId)) {
      await this.writer.write(roomId, body);
    } else {
      const creator = creatorOf(checked.create, rv) ?? checked.create.sender;
      await this.writer
        .create({ room_id: roomId, room_version: rv.id, creator, created_ts: checked.create.origin_server_ts, head_event_id: null, head_depth: 0, is_public: 0 }, body)
        .catch(async (err: unknown) => {
          // Created meanwhile (an invite arrived): store into it.
          if (await roomsStore.getRoom(this.db, roomId)) return this.writer.write(roomId, body);
          throw err;
        });
    }
  }

  /** Our user leaves (or rejects an invite to, or retracts a knock on) a room resident elsewhere.
   *  When no server takes the leave, it is recorded here all the same (the invite is gone for us). */
  /** `localIfUnreachable: false`: no server takes the leave → throw, rather than keep a leave of our
   *  own (an invite rejection is retried instead, decision 0039). */
  async leave(userId: string, roomId: string, reason?: string, opts: { localIfUnreachable?: boolean } = {}): Promise<void> {
    const current = await stateStore.membership(this.db, roomId, userId);
    if (!current || current.membership === 'leave') throw forbidden('You are not in this room');
    let stored: CheckedPdu;
    try {
      const { server, template, rv } = await this.makeMembership('leave', roomId, userId, await this.candidates(roomId, userId, []));
      const content: JsonObject = { membership: 'leave', ...(reason !== undefined ? { reason } : {}) };
      stored = signTemplate({ ...template, content }, rv, this.serverName, this.f.ourKeys.signing);
      await this.sendMembership('leave', server, roomId, stored.eventId, stored.pdu);
    } catch (err) {
      if ((err instanceof MatrixError && err.status === 403) || opts.localIfUnreachable === false) throw err;
      // Unreachable: a leave of our own, after the invite, kept locally.
      const room = await roomsStore.getRoom(this.db, roomId);
      if (!room) throw err;
      stored = await this.db.transaction().execute(async (tx) => {
        const t = await buildTemplate(tx, room, { type: 'm.room.member', stateKey: userId, sender: userId, content: { membership: 'leave' } }, this.serverName);
        return signTemplate(t as unknown as Record<string, unknown>, requireRoomVersion(room.room_version), this.serverName, this.f.ourKeys.signing);
      });
    }
    await this.writer.write(roomId, async (rt) => {
      const row = await storeEvent(rt.tx, rt.room, stored.pdu, stored.eventId);
      if (row) await rt.adopt(row, stored.pdu);
    });
  }

  /** Our user knocks on a room resident elsewhere. */
  async knock(userId: string, roomId: string, via: readonly string[], content: JsonObject): Promise<void> {
    const { server, template, rv } = await this.makeMembership('knock', roomId, userId, await this.candidates(roomId, userId, via));
    const c = signTemplate({ ...template, content: { ...content, membership: 'knock' } }, rv, this.serverName, this.f.ourKeys.signing);
    await this.sendMembership('knock', server, roomId, c.eventId, c.pdu);
    await this.storeOutsider(roomId, rv, c, undefined);
  }

  /** Our user invites a user of another server: that server signs first; then the invite is ours. */
  async invite(roomId: string, sender: string, target: string, content: JsonObject): Promise<void> {
    const room = await roomsStore.getRoom(this.db, roomId);
    if (!room) throw notFound('Unknown room');
    const rv = requireRoomVersion(room.room_version);
    const { c, strippedState } = await this.db.transaction().execute(async (tx) => {
      const current = await stateStore.membership(tx, roomId, target);
      if (current?.membership === 'join') throw forbidden(`${target} is already in the room`);
      if (current?.membership === 'ban') throw forbidden(`${target} is banned from the room`);
      const t = await buildTemplate(tx, room, { type: 'm.room.member', stateKey: target, sender, content }, this.serverName);
      const { state } = await currentAuthState(tx, roomId, 'm.room.member', target, sender, content, rv);
      const signed = signTemplate(t as unknown as Record<string, unknown>, rv, this.serverName, this.f.ourKeys.signing);
      const verdict = checkAuth({ ...signed.pdu, event_id: signed.eventId }, state, { roomVersion: rv });
      if (!verdict.ok) throw forbidden(verdict.reason);
      return { c: signed, strippedState: await this.strippedState(tx, roomId) };
    });
    const server = serverNameOf(target as UserId);
    let res;
    try {
      res = rv.id === '1' || rv.id === '2'
        ? await this.f.signedRequest(server, 'PUT', `/_matrix/federation/v1/invite/${enc(roomId)}/${enc(c.eventId)}`, c.pdu)
        : await this.f.signedRequest(server, 'PUT', `/_matrix/federation/v2/invite/${enc(roomId)}/${enc(c.eventId)}`, { room_version: rv.id, event: c.pdu, invite_room_state: strippedState });
    } catch (err) {
      throw new MatrixError(502, ErrCode.UNKNOWN, `${server} could not be reached: ${String((err as Error).message).slice(0, 200)}`);
    }
    if (res.status !== 200) throw refusal(server, res);
    const body = Array.isArray(res.json) && res.json.length === 2 ? res.json[1] : res.json;
    const back = isObject(body) && isObject(body['event']) ? await checkPdu(this.f.keyRing, body['event'], rv) : undefined;
    if (!back || back.eventId !== c.eventId || !(await signedBySender(this.f.keyRing, back.pdu, rv, server))) {
      throw new MatrixError(502, ErrCode.UNKNOWN, `${server} did not sign the invite`);
    }
    await this.writer.write(roomId, async (rt) => {
      const { state } = await currentAuthState(rt.tx, roomId, 'm.room.member', target, sender, content, rv);
      const verdict = checkAuth({ ...back.pdu, event_id: back.eventId }, state, { roomVersion: rv });
      if (!verdict.ok) throw forbidden(verdict.reason);
      const row = await storeEvent(rt.tx, rt.room, back.pdu, back.eventId);
      if (row) await rt.adopt(row, back.pdu);
    });
  }

  private async strippedState(tx: Tx, roomId: string): Promise<unknown[]> {
    const keys = ['m.room.create', 'm.room.join_rules', 'm.room.name', 'm.room.avatar', 'm.room.canonical_alias', 'm.room.encryption', 'm.room.topic'].map((t) => [t, ''] as const);
    const refs = await stateStore.currentStateRefs(tx, roomId, keys);
    return (await eventsStore.byIds(tx, refs.map((r) => r.eventId))).map((row) => {
      const p = parsePdu(row);
      return { type: p.type, state_key: p.state_key ?? '', sender: p.sender, content: p.content };
    });
  }

  /** A room we are not in: the room row (when new) and one membership event of our user. */
  private async storeOutsider(roomId: string, rv: RoomVersion, c: CheckedPdu, creator: string | undefined): Promise<void> {
    const body = async (rt: Parameters<Parameters<RoomWriter['write']>[1]>[0]) => {
      const row = await storeEvent(rt.tx, rt.room, c.pdu, c.eventId, { extremity: 'none' });
      if (row) await rt.adopt(row, c.pdu);
    };
    if (await roomsStore.getRoom(this.db, roomId)) return this.writer.write(roomId, body);
    await this.writer.create({ room_id: roomId, room_version: rv.id, creator: creator ?? c.pdu.sender, created_ts: c.pdu.origin_server_ts, head_event_id: null, head_depth: 0, is_public: 0 }, body);
  }

  // ---------------------------------------------------------------------------------------------
  // Server side

  /** make_join / make_leave / make_knock: a template for `userId` of `origin`. */
  async makeTemplate(kind: Membership, origin: string, roomId: string, userId: string, versions: readonly string[] | undefined): Promise<{ room_version: string; event: Record<string, unknown> }> {
    if (!userId.startsWith('@') || serverNameOf(userId as UserId) !== origin) throw forbidden(`${userId} is not a user of ${origin}`);
    const room = await roomsStore.getRoom(this.db, roomId);
    if (!room || (await this.isRemote(roomId))) throw notFound('This server is not in that room');
    if (versions !== undefined && !versions.includes(room.room_version)) throw incompatible(room.room_version);
    const rv = requireRoomVersion(room.room_version);
    if (kind === 'knock' && !rv.knock) throw incompatible(room.room_version);
    return this.db.transaction().execute(async (tx) => {
      const content: JsonObject = { membership: kind };
      const t = await buildTemplate(tx, room, { type: 'm.room.member', stateKey: userId, sender: userId, content }, origin);
      const { state } = await currentAuthState(tx, roomId, 'm.room.member', userId, userId, content, rv);
      // Would the event be allowed? (Signatures are the joining server's to add.)
      const probe = { ...t, hashes: { sha256: '' }, signatures: { [origin]: {} }, event_id: '$probe' } as unknown as Pdu & { event_id: string };
      const verdict = checkAuth(probe, state, { roomVersion: rv, isSignedBy: () => true });
      if (!verdict.ok) throw forbidden(`You may not ${kind} this room: ${verdict.reason}`);
      return { room_version: rv.id, event: t as unknown as Record<string, unknown> };
    });
  }

  /** send_join / send_leave / send_knock: the event checked, authorised against current state,
   *  stored, forwarded to the room's other servers. Returns the stored event and the state before it. */
  async acceptMembership(kind: Membership, origin: string, roomId: string, eventId: string, raw: unknown): Promise<{ pdu: Pdu; stateBefore: Pdu[]; authChain: Pdu[] }> {
    const room = await roomsStore.getRoom(this.db, roomId);
    if (!room || (await this.isRemote(roomId))) throw notFound('This server is not in that room');
    const rv = requireRoomVersion(room.room_version);
    const problem = formatProblem(raw, rv);
    if (problem !== undefined) throw new MatrixError(400, ErrCode.BAD_JSON, `Bad event: ${problem}`);
    const ev = raw as Record<string, unknown>;
    const content = ev['content'] as Record<string, unknown>;
    if (ev['type'] !== 'm.room.member' || content['membership'] !== kind || ev['state_key'] !== ev['sender'] || ev['room_id'] !== roomId) {
      throw new MatrixError(400, ErrCode.BAD_JSON, `Not a ${kind} event of its sender in this room`);
    }
    if (serverNameOf(ev['sender'] as UserId) !== origin) throw forbidden('The event is not from a user of the requesting server');
    const checked = await checkPdu(this.f.keyRing, raw, rv);
    if (!checked) throw forbidden('The event is not validly signed by its server');
    if (checked.eventId !== eventId) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'The event id does not match the event');
    const { pdu } = checked;
    return this.writer.write(roomId, async (rt) => {
      const stateRefs = await stateStore.currentState(rt.tx, roomId);
      const stateBefore = (await eventsStore.byIds(rt.tx, stateRefs.map((r) => r.eventId))).map(parsePdu);
      const already = await eventsStore.byId(rt.tx, eventId);
      if (!already) {
        const { state } = await currentAuthState(rt.tx, roomId, 'm.room.member', pdu.state_key, pdu.sender, pdu.content, rv);
        const verdict = checkAuth({ ...pdu, event_id: eventId }, state, { roomVersion: rv, isSignedBy: (_e, s) => s === origin });
        if (!verdict.ok) throw forbidden(`The ${kind} is not allowed: ${verdict.reason}`);
        this.queue.forward(eventId);
        const row = await storeEvent(rt.tx, rt.room, pdu, eventId as EventId);
        if (row) await rt.adopt(row, pdu);
      }
      return { pdu, stateBefore, authChain: kind === 'join' ? await this.authChain(rt.tx, stateBefore) : [] };
    });
  }

  /** The auth chain of `events` (every auth event, transitively), bounded. */
  private async authChain(tx: Tx, events: readonly Pdu[]): Promise<Pdu[]> {
    const seen = new Map<string, Pdu>();
    let frontier = [...new Set(events.flatMap((e) => referencedIds(e.auth_events)))];
    for (let round = 0; round < 1000 && frontier.length > 0 && seen.size < MAX_AUTH_CHAIN; round++) {
      const rows = await eventsStore.byIds(tx, frontier.filter((id) => !seen.has(id)).slice(0, 1000));
      const next: string[] = [];
      for (const row of rows) {
        const p = parsePdu(row);
        seen.set(row.event_id, p);
        for (const id of referencedIds(p.auth_events)) if (!seen.has(id)) next.push(id);
      }
      frontier = [...new Set(next)];
    }
    return [...seen.values()];
  }

  /** An invite of one of our users from another server: checked, refused when the user blocks
   *  invites from the inviter (403 M_INVITE_BLOCKED), signed by us, stored as an invite. */

  async receiveInvite(origin: string, roomId: string, eventId: string, raw: unknown, rvId: string): Promise<Pdu> {
    const rv = roomVersion(rvId);
    if (!rv) throw incompatible(rvId);
    const problem = formatProblem(raw, rv);
    if (problem !== undefined) throw new MatrixError(400, ErrCode.BAD_JSON, `Bad event: ${problem}`);
    const ev = raw as Record<string, unknown>;
    const target = ev['state_key'];
    if (ev['type'] !== 'm.room.member' || (ev['content'] as Record<string, unknown>)['membership'] !== 'invite' || typeof target !== 'string' || ev['room_id'] !== roomId) {
      throw new MatrixError(400, ErrCode.BAD_JSON, 'Not an invite event for this room');
    }
    if (!target.startsWith('@') || serverNameOf(target as UserId) !== this.serverName) throw forbidden(`${target} is not a user of this server`);
    if (serverNameOf(ev['sender'] as UserId) !== origin) throw forbidden('The invite is not from a user of the requesting server');
    const user = await accountsStore.getUser(this.db, target);
    if (!user || user.deactivated) throw notFound(`Unknown user ${target}`);
    const checked = await checkPdu(this.f.keyRing, raw, rv);
    if (!checked) throw forbidden('The invite is not validly signed by its server');
    if (checked.eventId !== eventId) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'The event id does not match the event');
    const view = await this.ignoreViews.load(this.db, target);
    const sender = ev['sender'] as string;
    if ((await inviteBlockRule(view, sender, () => stateStore.sharesNonPublicRoom(this.db, sender, target))) !== null) {
      throw new MatrixError(403, ErrCode.INVITE_BLOCKED, `${target} does not accept invites`);
    }
    const signed = signEvent(checked.pdu, this.serverName, this.f.ourKeys.signing.keyId, this.f.ourKeys.signing.privateKey, rv.id) as Pdu;
    const room = await roomsStore.getRoom(this.db, roomId);
    if (room && !(await this.isRemote(roomId))) {
      // We are in the room: the inviter's server sends us the invite in a transaction as well.
      await this.writer.write(roomId, async (rt) => {
        const { state } = await currentAuthState(rt.tx, roomId, 'm.room.member', target, sender, checked.pdu.content, rv);
        if (!checkAuth({ ...signed, event_id: eventId }, state, { roomVersion: rv }).ok) throw forbidden('The invite is not allowed in this room');
        const row = await storeEvent(rt.tx, rt.room, signed, eventId as EventId);
        if (row) await rt.adopt(row, signed);
      });
      this.inviteStored(target, roomId, sender);
      return signed;
    }
    await this.storeOutsider(roomId, rv, { pdu: signed, eventId: eventId as EventId }, undefined);
    this.inviteStored(target, roomId, sender);
    return signed;
  }
}

function refusal(server: string, res: { status: number; json: unknown }): MatrixError {
  const body = res.json;
  const errcode = isObject(body) && typeof body['errcode'] === 'string' ? body['errcode'].slice(0, 64) : ErrCode.UNKNOWN;
  const error = isObject(body) && typeof body['error'] === 'string' ? body['error'].slice(0, 300) : `${server} answered ${res.status}`;
  const status = res.status >= 400 && res.status < 500 ? res.status : 502;
  return new MatrixError(status, errcode, error);
}

export { FederationHttpError };
