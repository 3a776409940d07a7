// The look-ups other servers make of us (decision 0033): one of our aliases (/query/directory), our
// published room directory (/publicRooms), a space's tree (/hierarchy) and a room's event nearest a
// time (/timestamp_to_event). Each honours the room's server ACL (access.ts); the directory and the
// tree show only rooms a server may preview (public or knockable join rule, world_readable history,
// or a user of that server joined), the time look-up needs a member of the server (like the other
// reads) and returns only an event the server may see. Every walk is bounded.

import { forbidden, notFound, serverNameOf, type JsonObject, type PublicRoomsResponse, type UserId, type federation } from '@hush/protocol';
import type { Db, Tx } from '../../storage/db.ts';
import { roomsStore } from '../../storage/rooms.store.ts';
import { stateStore } from '../../storage/state.store.ts';
import { timestampsStore, type TimePoint } from '../../storage/timestamps.store.ts';
import { parsePdu } from '../../services/events/format.ts';
import { currentStateOfType, loadPreviewState, previewOf, type PreviewState } from '../../services/rooms/preview.ts';
import type { PublicRoomsQuery } from '../../services/rooms/public-rooms.ts';
import { aclAllows, type ServerAccess } from './access.ts';

/** Servers named in a directory answer, at most. */
const MAX_SERVERS = 20;
/** Children of one space shown, at most. */
const MAX_CHILDREN = 200;
/** Rows looked at by a time look-up, at most. */
const MAX_TIME_ROWS = 10_000;

function serverOf(userId: string): string | undefined {
  try {
    return serverNameOf(userId as UserId);
  } catch {
    return undefined;
  }
}

export interface PublicRoomsLister {
  list(q: PublicRoomsQuery): Promise<PublicRoomsResponse>;
}

export class FederationLookups {
  constructor(
    private readonly db: Db,
    private readonly access: ServerAccess,
    private readonly serverName: string,
    private readonly directoryLister: PublicRoomsLister,
  ) {}

  /** Our alias → the room and the servers likely to hold it (ours first, then members' servers). */
  async directory(origin: string, alias: string): Promise<federation.RoomDirectoryResponse> {
    if (serverOf(alias) !== this.serverName) throw notFound('That alias is not of this server');
    const found = await roomsStore.getAlias(this.db, alias);
    if (!found) throw notFound('Room alias not found');
    await this.access.checkAcl(found.roomId, origin);
    const servers = new Set<string>([this.serverName]);
    for (const m of await stateStore.members(this.db, found.roomId, 'join')) {
      const s = serverOf(m.user_id);
      if (s !== undefined) servers.add(s);
      if (servers.size >= MAX_SERVERS) break;
    }
    return { room_id: found.roomId, servers: [...servers] };
  }

  /** Our published rooms, less those whose ACL denies the asking server. */
  async publicRooms(origin: string, q: PublicRoomsQuery): Promise<PublicRoomsResponse> {
    const page = await this.directoryLister.list({ ...q, server: this.serverName });
    const denied = new Set<string>();
    await this.db.transaction().execute(async (tx) => {
      for (const c of page.chunk) if (!(await this.aclAllowsIn(tx, c.room_id, origin))) denied.add(c.room_id);
    });
    return denied.size === 0 ? page : { ...page, chunk: page.chunk.filter((c) => !denied.has(c.room_id)) };
  }

  private async aclAllowsIn(tx: Tx, roomId: string, origin: string): Promise<boolean> {
    const [acl] = await currentStateOfType(tx, roomId, 'm.room.server_acl');
    return !acl || acl.state_key !== '' || aclAllows(parsePdu(acl).content as JsonObject, origin);
  }

  /** May `origin` preview the room: its ACL allows it, and the room is public, knockable,
   *  world_readable or has a joined user of `origin`. */
  private async mayPreview(tx: Tx, s: PreviewState, origin: string): Promise<boolean> {
    if (!(await this.aclAllowsIn(tx, s.roomId, origin))) return false;
    const rule = s.content.get('m.room.join_rules')?.['join_rule'];
    if (rule === 'public' || rule === 'knock' || rule === 'knock_restricted') return true;
    if (s.content.get('m.room.history_visibility')?.['history_visibility'] === 'world_readable') return true;
    return (await stateStore.members(tx, s.roomId, 'join')).some((m) => serverOf(m.user_id) === origin);
  }

  private async entry(tx: Tx, s: PreviewState): Promise<{ room: federation.HierarchyRoom; children: { roomId: string; suggested: boolean }[] }> {
    const room = await previewOf(tx, s);
    const rows = room.room_type === 'm.space' ? await currentStateOfType(tx, s.roomId, 'm.space.child') : [];
    const children: { roomId: string; suggested: boolean }[] = [];
    const children_state: federation.HierarchyRoom['children_state'] = [];
    for (const row of rows.slice(0, MAX_CHILDREN)) {
      const pdu = parsePdu(row);
      const via = pdu.content['via'];
      if (row.state_key === null || !Array.isArray(via) || via.length === 0) continue;
      children.push({ roomId: row.state_key, suggested: pdu.content['suggested'] === true });
      children_state.push({ type: pdu.type, state_key: row.state_key, sender: pdu.sender, content: pdu.content, origin_server_ts: pdu.origin_server_ts });
    }
    return { room: { ...room, children_state }, children };
  }

  /** The room and its direct children the server may preview; the others named as inaccessible. */
  async hierarchy(origin: string, roomId: string, suggestedOnly: boolean): Promise<federation.FederationHierarchyResponse> {
    return this.db.transaction().execute(async (tx) => {
      const root = await loadPreviewState(tx, roomId);
      if (!root) throw notFound('Unknown room');
      if (!(await this.mayPreview(tx, root, origin))) throw forbidden('This server may not preview the room');
      const { room, children } = await this.entry(tx, root);
      const out: federation.FederationHierarchyResponse = { room, children: [], inaccessible_children: [] };
      for (const c of children) {
        if (suggestedOnly && !c.suggested) continue;
        const s = await loadPreviewState(tx, c.roomId);
        if (!s) continue; // not known here: the asking server may find it elsewhere
        if (await this.mayPreview(tx, s, origin)) out.children.push((await this.entry(tx, s)).room);
        else out.inaccessible_children.push(c.roomId);
      }
      return out;
    });
  }

  /** The event nearest `ts` in direction `dir` that `origin` may see. */
  async eventByTimestamp(origin: string, roomId: string, ts: number, dir: 'f' | 'b'): Promise<{ event_id: string; origin_server_ts: number }> {
    if (!(await roomsStore.getRoom(this.db, roomId))) throw notFound('Unknown room');
    await this.access.checkRoomRead(roomId, origin);
    let from: TimePoint = dir === 'f' ? { ts, ordering: -1 } : { ts, ordering: Number.MAX_SAFE_INTEGER };
    for (let read = 0; read < MAX_TIME_ROWS; read += 100) {
      const rows = await this.db.transaction().execute((tx) => timestampsStore.around(tx, roomId, from, dir, 100));
      for (const row of rows) {
        if (await this.access.canSee(row.event_id, origin)) return { event_id: row.event_id, origin_server_ts: row.origin_server_ts };
        from = { ts: row.origin_server_ts, ordering: row.stream_ordering };
      }
      if (rows.length < 100) break;
    }
    throw notFound(`No event from ${ts} in that direction this server may see`);
  }
}

