// GET /rooms/{roomId}/hierarchy (spec "Spaces", v1.2): the space tree walked depth first through
// `m.space.child` state, showing only rooms the requester may preview and the policy shows them
// (rooms their ignore lists name, on an ignored server or made by someone ignored are left out with
// their subtrees, and `children_state` does not name them; decision 0039). A room we do not hold —
// the root included — is described by its servers' federation hierarchy (`via`, then the server in
// its id; at most MAX_REMOTE_LOOKUPS per walk within REMOTE_BUDGET_MS, answers cached by
// federation/outbound/directory.ts),
// the children of that answer spliced in without asking again. Tokens hold the number of rooms
// already served and the walk's parameters: the walk is repeated (it is bounded, and the cached
// answers keep it the same) and continues past them.

import { ErrCode, MatrixError, forbidden, type api } from '@hush/protocol';
import type { Db, Tx } from '../../storage/db.ts';
import type { Requester } from '../requester.ts';
import { parsePdu } from '../events/format.ts';
import type { IgnoreViews } from '../../policy/ignore-lists.ts';
import type { PolicyView } from '../../policy/ignore.ts';
import { showsRoom, shownPreview } from '../../policy/shown.ts';
import { stateStore } from '../../storage/state.store.ts';
import {
  currentStateOfType,
  heldHere,
  loadPreviewState,
  previewAccess,
  previewOf,
  remotePreviewAccess,
  REMOTE_BUDGET_MS,
  roomSummary,
  serversFor,
  type HierarchyEntry,
  type PreviewState,
  type RemoteHierarchy,
} from './preview.ts';

export interface HierarchyQuery {
  suggested_only?: boolean;
  limit?: number;
  max_depth?: number;
  from?: string;
}

/** How many rooms one walk looks at, at most (the rest of a larger tree is not served). */
const MAX_ROOMS = 1000;
/** Rooms one walk asks other servers about, at most. */
const MAX_REMOTE_LOOKUPS = 10;

interface Child {
  roomId: string;
  order: string | undefined;
  ts: number;
  suggested: boolean;
  via: string[];
}

/** Valid children (a non-empty `via`; `suggested_only` narrows the walk, not children_state), ordered as "Ordering of children within a space" says:
 *  by a valid `order`, rooms with one first; then by the event's timestamp; then by room id. */
function childrenOf(states: readonly api.StrippedChildState[]): Child[] {
  const out: Child[] = [];
  for (const st of states) {
    const c = st.content;
    const via = c['via'];
    if (!Array.isArray(via) || via.length === 0) continue;
    const o = c['order'];
    const order = typeof o === 'string' && o.length <= 50 && /^[\x20-\x7E]*$/.test(o) ? o : undefined;
    const servers = via.filter((v): v is string => typeof v === 'string').slice(0, 10);
    out.push({ roomId: st.state_key, order, ts: st.origin_server_ts, suggested: c['suggested'] === true, via: servers });
  }
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return out.sort((a, b) => {
    if (a.order !== undefined && b.order !== undefined && a.order !== b.order) return cmp(a.order, b.order);
    if ((a.order === undefined) !== (b.order === undefined)) return a.order === undefined ? 1 : -1;
    return a.ts - b.ts || cmp(a.roomId, b.roomId);
  });
}

/** A banned user is shown nothing of the room ("The user has been banned from the room": 403). */
async function mayWalk(tx: Tx, s: PreviewState, userId: string): Promise<{ may: boolean; joined: boolean }> {
  const access = await previewAccess(tx, s, userId);
  return { may: access.may && access.membership !== 'ban', joined: access.membership === 'join' };
}

function token(offset: number, maxDepth: number, suggestedOnly: boolean): string {
  return `sh_${offset}_${maxDepth}_${suggestedOnly ? 1 : 0}`;
}

function parseToken(from: string, maxDepth: number, suggestedOnly: boolean): number {
  const m = /^sh_([0-9]{1,6})_([0-9]{1,3})_([01])$/.exec(from);
  if (!m) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Unknown pagination token');
  if (Number(m[2]) !== maxDepth || (m[3] === '1') !== suggestedOnly) {
    throw new MatrixError(400, ErrCode.INVALID_PARAM, 'suggested_only and max_depth cannot change on paginated requests');
  }
  return Number(m[1]);
}

/** The sender of a room's create event, when we hold it. */
async function creatorOf(tx: Tx, roomId: string): Promise<string | undefined> {
  const [create] = await currentStateOfType(tx, roomId, 'm.room.create');
  return create ? parsePdu(create).sender : undefined;
}

/** One walk's state: the viewer's policy view, the entries other servers' answers brought, and how
 *  many look-ups it has left. */
interface Walk {
  r: Requester;
  view: PolicyView;
  suggestedOnly: boolean;
  learned: Map<string, HierarchyEntry>;
  lookups: number;
  /** No other server is asked after this time (ms). */
  deadline: number;
}

export class SpaceHierarchyService {
  /** Set by outbound federation: rooms we do not hold are asked of other servers. */
  remote: RemoteHierarchy | null = null;

  constructor(
    private readonly db: Db,
    private readonly serverName: string,
    /** The app's loaded ignore views. */
    private readonly ignoreViews: IgnoreViews,
  ) {}

  /** GET /room_summary: see preview.ts (roomSummary); `via` names servers for a room we do not hold. */
  summary(roomId: string, userId: string | undefined, via: readonly string[]) {
    return roomSummary(this.db, roomId, userId, { ignoreViews: this.ignoreViews, serverName: this.serverName, remote: this.remote, via });
  }

  async hierarchy(r: Requester, roomId: string, q: HierarchyQuery): Promise<api.SpaceHierarchyResponse> {
    const limit = q.limit ?? 50;
    const maxDepth = q.max_depth ?? 10;
    const suggestedOnly = q.suggested_only ?? false;
    const offset = q.from === undefined ? 0 : parseToken(q.from, maxDepth, suggestedOnly);
    const view = await this.db.transaction().execute((tx) => this.ignoreViews.load(tx, r.userId));
    const walk: Walk = { r, view, suggestedOnly, learned: new Map(), lookups: 0, deadline: Date.now() + REMOTE_BUDGET_MS };
    // "The room does not exist" is a 403 like a room the user may not see (or ignores): nothing is revealed.
    const root = await this.entry(walk, roomId, serversFor(roomId, []), maxDepth > 0);
    if (!root) throw forbidden('You are not allowed to view this room');
    const rooms: api.SpaceHierarchyResponse['rooms'] = [];
    let served = 0;
    const seen = new Set<string>();
    const stack: { roomId: string; depth: number; via: string[] }[] = [{ roomId, depth: 0, via: [] }];
    while (stack.length > 0 && seen.size < MAX_ROOMS) {
      const next = stack.pop() as { roomId: string; depth: number; via: string[] };
      if (seen.has(next.roomId)) continue;
      seen.add(next.roomId);
      const entry = next.depth === 0 ? root : await this.entry(walk, next.roomId, serversFor(next.roomId, next.via), next.depth < maxDepth);
      if (!entry) continue;
      if (served >= offset) {
        if (rooms.length === limit) return { rooms, next_batch: token(served, maxDepth, suggestedOnly) };
        rooms.push(entry.room);
      }
      served++;
      if (next.depth < maxDepth) {
        const walkable = entry.children.filter((c) => !seen.has(c.roomId) && (c.suggested || !suggestedOnly));
        for (const c of walkable.reverse()) stack.push({ roomId: c.roomId, depth: next.depth + 1, via: c.via });
      }
    }
    return { rooms };
  }

  /** One room of the tree with its children, or undefined when the requester may not preview it,
   *  their lists ignore it, or nobody describes it. `wantChildren`: its children will be walked. */
  private async entry(w: Walk, roomId: string, via: readonly string[], wantChildren: boolean, useRemote = this.remote !== null): Promise<{ room: HierarchyEntry; children: Child[] } | undefined> {
    const local = await this.db.transaction().execute(async (tx) => {
      const state = await loadPreviewState(tx, roomId);
      if (!(await heldHere(tx, state, this.serverName, useRemote)) || !state) return { held: false as const };
      const access = await mayWalk(tx, state, w.r.userId);
      if (!access.may) return { held: true as const };
      const preview = shownPreview(w.view, await previewOf(tx, state), { creator: state.creator, joined: access.joined });
      if (!preview) return { held: true as const };
      const children_state: api.StrippedChildState[] = [];
      if (preview.room_type === 'm.space') {
        for (const row of await currentStateOfType(tx, roomId, 'm.space.child')) {
          const pdu = parsePdu(row);
          const via = pdu.content['via'];
          // A child without a non-empty `via` is no child ("Spaces": such events are ignored).
          if (row.state_key === null || !Array.isArray(via) || via.length === 0) continue;
          children_state.push({ type: pdu.type, state_key: row.state_key, sender: pdu.sender, content: pdu.content, origin_server_ts: pdu.origin_server_ts });
        }
      }
      return { held: true as const, room: { ...preview, children_state: await this.shownChildren(tx, w.view, children_state) } };
    });
    if (local.held && local.room) return { room: local.room, children: childrenOf(local.room.children_state) };
    if (local.held || !useRemote) return undefined;
    const described = await this.remoteEntry(w, roomId, via, wantChildren);
    // Nobody else describes a room whose copy we hold while no user of ours is in it: our copy.
    if (!described) return (await this.heldCopy(roomId)) ? this.entry(w, roomId, via, wantChildren, false) : undefined;
    return described;
  }

  private heldCopy(roomId: string): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => heldHere(tx, await loadPreviewState(tx, roomId), this.serverName, false));
  }

  /** A room another server describes (or one its earlier answer listed as a child, when its own
   *  children are not needed or it is no space), judged for the requester and by the policy. */
  private async remoteEntry(w: Walk, roomId: string, via: readonly string[], wantChildren: boolean): Promise<{ room: HierarchyEntry; children: Child[] } | undefined> {
    if (!this.remote) return undefined;
    let room = w.learned.get(roomId);
    if (!room || (wantChildren && room.room_type === 'm.space')) {
      if (w.lookups >= MAX_REMOTE_LOOKUPS || Date.now() >= w.deadline) return undefined;
      w.lookups++;
      const answer = await this.remote.space(roomId, via, w.suggestedOnly, w.deadline);
      if (!answer) return undefined;
      room = answer.room;
      for (const c of answer.children) if (!w.learned.has(c.room_id)) w.learned.set(c.room_id, c);
    }
    const described = room;
    return this.db.transaction().execute(async (tx) => {
      const access = await remotePreviewAccess(tx, described, w.r.userId);
      if (!access.may || access.membership === 'ban') return undefined;
      const preview = shownPreview(w.view, described, { joined: access.membership === 'join' });
      if (!preview) return undefined;
      const children_state = preview.room_type === 'm.space' ? await this.shownChildren(tx, w.view, preview.children_state) : [];
      return { room: { ...preview, children_state }, children: childrenOf(children_state) };
    });
  }

  /** `children_state` less the children the policy hides: by their id (a listed room, an ignored
   *  server) and, for rooms we hold, by their creator. A room the viewer is joined to stays. */
  private async shownChildren(tx: Tx, view: PolicyView, states: readonly api.StrippedChildState[]): Promise<api.StrippedChildState[]> {
    const out: api.StrippedChildState[] = [];
    for (const st of states) {
      if ((await stateStore.membership(tx, st.state_key, view.userId))?.membership === 'join' || showsRoom(view, st.state_key, { creator: await creatorOf(tx, st.state_key) })) out.push(st);
    }
    return out;
  }
}
