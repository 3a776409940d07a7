// GET /rooms/{roomId}/hierarchy (spec "Spaces", v1.2): the space tree walked depth first through
// `m.space.child` state, showing only rooms the requester may preview. Hush does not federate, so
// children on other servers are left out. Tokens hold the number of rooms already served and the
// walk's parameters: the walk is repeated (it is bounded) and continues past them.

import { ErrCode, MatrixError, forbidden, type api } from '@hush/protocol';
import type { Db, Tx } from '../../storage/db.ts';
import type { EventRow } from '../../storage/events.store.ts';
import type { Requester } from '../requester.ts';
import { parsePdu } from '../events/format.ts';
import { currentStateOfType, loadPreviewState, previewAccess, previewOf, type PreviewState } from './preview.ts';

export interface HierarchyQuery {
  suggested_only?: boolean;
  limit?: number;
  max_depth?: number;
  from?: string;
}

/** How many rooms one walk looks at, at most (the rest of a larger tree is not served). */
const MAX_ROOMS = 1000;

interface Child {
  roomId: string;
  order: string | undefined;
  ts: number;
  row: EventRow;
}

/** Valid children (a non-empty `via`; `suggested_only` narrows the walk, not children_state), ordered as "Ordering of children within a space" says:
 *  by a valid `order`, rooms with one first; then by the event's timestamp; then by room id. */
function childrenOf(rows: readonly EventRow[]): (Child & { suggested: boolean })[] {
  const out: (Child & { suggested: boolean })[] = [];
  for (const row of rows) {
    const c = parsePdu(row).content;
    const via = c['via'];
    if (!Array.isArray(via) || via.length === 0 || row.state_key === null) continue;
    const o = c['order'];
    const order = typeof o === 'string' && o.length <= 50 && /^[\x20-\x7E]*$/.test(o) ? o : undefined;
    out.push({ roomId: row.state_key, order, ts: row.origin_server_ts, row, suggested: c['suggested'] === true });
  }
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return out.sort((a, b) => {
    if (a.order !== undefined && b.order !== undefined && a.order !== b.order) return cmp(a.order, b.order);
    if ((a.order === undefined) !== (b.order === undefined)) return a.order === undefined ? 1 : -1;
    return a.ts - b.ts || cmp(a.roomId, b.roomId);
  });
}

/** A banned user is shown nothing of the room ("The user has been banned from the room": 403). */
async function mayWalk(tx: Tx, s: PreviewState, userId: string): Promise<boolean> {
  const access = await previewAccess(tx, s, userId);
  return access.may && access.membership !== 'ban';
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

export class SpaceHierarchyService {
  constructor(private readonly db: Db) {}

  async hierarchy(r: Requester, roomId: string, q: HierarchyQuery): Promise<api.SpaceHierarchyResponse> {
    const limit = q.limit ?? 50;
    const maxDepth = q.max_depth ?? 10;
    const suggestedOnly = q.suggested_only ?? false;
    const offset = q.from === undefined ? 0 : parseToken(q.from, maxDepth, suggestedOnly);
    return this.db.transaction().execute(async (tx) => {
      const root = await loadPreviewState(tx, roomId);
      // "The room does not exist" is a 403 like a room the user may not see: nothing is revealed.
      if (!root || !(await mayWalk(tx, root, r.userId))) throw forbidden('You are not allowed to view this room');
      const rooms: api.SpaceHierarchyResponse['rooms'] = [];
      let served = 0;
      const seen = new Set<string>();
      const stack: { roomId: string; depth: number }[] = [{ roomId, depth: 0 }];
      while (stack.length > 0 && seen.size < MAX_ROOMS) {
        const next = stack.pop() as { roomId: string; depth: number };
        if (seen.has(next.roomId)) continue;
        seen.add(next.roomId);
        const entry = await this.entry(tx, r, next.roomId);
        if (!entry) continue;
        if (served >= offset) {
          if (rooms.length === limit) return { rooms, next_batch: token(served, maxDepth, suggestedOnly) };
          rooms.push(entry.room);
        }
        served++;
        if (next.depth < maxDepth) {
          const walk = entry.children.filter((c) => !seen.has(c.roomId) && (c.suggested || !suggestedOnly));
          for (const c of walk.reverse()) stack.push({ roomId: c.roomId, depth: next.depth + 1 });
        }
      }
      return { rooms };
    });
  }

  /** One room of the tree with its children, or undefined when the requester may not preview it. */
  private async entry(tx: Tx, r: Requester, roomId: string) {
    const state = await loadPreviewState(tx, roomId);
    if (!state || !(await mayWalk(tx, state, r.userId))) return undefined;
    const room = await previewOf(tx, state);
    const children = room.room_type === 'm.space' ? childrenOf(await currentStateOfType(tx, roomId, 'm.space.child')) : [];
    const children_state = children.map((c) => {
      const pdu = parsePdu(c.row);
      return { type: pdu.type, state_key: c.roomId, sender: pdu.sender, content: pdu.content, origin_server_ts: pdu.origin_server_ts };
    });
    return { room: { ...room, children_state }, children };
  }
}
