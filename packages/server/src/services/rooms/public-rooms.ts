// The published room directory (spec "Published room directory", list_public_rooms.yaml): which
// rooms are listed, who may list or withdraw one, and the pages of GET/POST /publicRooms. A listed
// room is described as a room preview is (preview.ts); the page token is an offset (`o<n>`).

import { ErrCode, MatrixError, forbidden, invalidParam, notFound, type PublicRoomsChunk, type PublicRoomsResponse, type ServerName, type RoomId } from '@hush/protocol';
import type { Db } from '../../storage/db.ts';
import { roomsStore } from '../../storage/rooms.store.ts';
import { stateStore } from '../../storage/state.store.ts';
import type { Requester } from '../requester.ts';
import { canSend } from './power-levels.ts';
import { loadPreviewState, previewOf } from './preview.ts';
import type { RoomService } from './rooms.ts';

export interface PublicRoomsQuery {
  limit?: number;
  since?: string;
  server?: string;
  searchTerm?: string;
  /** `null` stands for rooms without a type. */
  roomTypes?: (string | null)[];
  thirdPartyInstanceId?: string;
}

const MAX_LIMIT = 500;

export class PublicRoomsService {
  /** Another server's directory (federation/outbound/directory.ts), set by the app when federation is on. */
  remote: ((server: string, q: PublicRoomsQuery) => Promise<PublicRoomsResponse>) | null = null;

  constructor(
    private readonly db: Db,
    private readonly rooms: Pick<RoomService, 'powerLevels'>,
    private readonly serverName: ServerName,
  ) {}

  async visibility(roomId: RoomId): Promise<{ visibility: 'public' | 'private' }> {
    const room = await roomsStore.getRoom(this.db, roomId);
    if (!room) throw notFound('Room not found');
    return { visibility: room.is_public ? 'public' : 'private' };
  }

  /** Listing or withdrawing a room takes a member who may change its canonical alias ("Servers may
   *  choose to implement additional access control checks here"). */
  async setVisibility(r: Requester, roomId: RoomId, visibility: 'public' | 'private'): Promise<void> {
    if (!(await roomsStore.getRoom(this.db, roomId))) throw notFound('Room not found');
    if ((await stateStore.membership(this.db, roomId, r.userId))?.membership !== 'join') throw forbidden('You are not in this room');
    if (!canSend(await this.rooms.powerLevels(roomId), r.userId, 'm.room.canonical_alias', true)) {
      throw forbidden('Your power level is too low to change whether the room is listed');
    }
    await roomsStore.setPublic(this.db, roomId, visibility === 'public');
  }

  async list(q: PublicRoomsQuery): Promise<PublicRoomsResponse> {
    if (q.server !== undefined && q.server !== this.serverName) {
      if (this.remote) return this.remote(q.server, q);
      throw notFound('This server does not federate: only its own directory can be listed');
    }
    let offset = 0;
    if (q.since !== undefined) {
      const m = /^o([0-9]{1,9})$/.exec(q.since);
      if (!m) throw invalidParam('Unknown pagination token');
      offset = Number(m[1]);
    }
    if (q.limit !== undefined && !Number.isSafeInteger(q.limit)) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'limit must be an integer');
    const limit = Math.min(q.limit ?? MAX_LIMIT, MAX_LIMIT);
    // Hush bridges no third-party networks: their directories are empty.
    if (q.thirdPartyInstanceId !== undefined) return { chunk: [], total_room_count_estimate: 0 };
    const term = q.searchTerm?.toLowerCase();
    const all = await this.db.transaction().execute(async (tx) => {
      const out: PublicRoomsChunk[] = [];
      for (const roomId of await roomsStore.publicRoomIds(tx)) {
        const state = await loadPreviewState(tx, roomId);
        if (!state) continue;
        const p = await previewOf(tx, state);
        const chunk: PublicRoomsChunk = { room_id: p.room_id, num_joined_members: p.num_joined_members, world_readable: p.world_readable, guest_can_join: p.guest_can_join };
        for (const key of ['name', 'topic', 'avatar_url', 'canonical_alias', 'join_rule', 'room_type'] as const) if (p[key] !== undefined) chunk[key] = p[key];
        out.push(chunk);
      }
      return out;
    });
    const matching = all
      .filter((c) => term === undefined || [c.name, c.topic, c.canonical_alias].some((v) => v?.toLowerCase().includes(term)))
      .filter((c) => q.roomTypes === undefined || q.roomTypes.length === 0 || q.roomTypes.includes(c.room_type ?? null))
      .sort((a, b) => b.num_joined_members - a.num_joined_members || (a.room_id < b.room_id ? -1 : 1));
    const res: PublicRoomsResponse = { chunk: matching.slice(offset, offset + limit), total_room_count_estimate: matching.length };
    if (offset + limit < matching.length) res.next_batch = `o${offset + limit}`;
    if (offset > 0) res.prev_batch = `o${Math.max(0, offset - limit)}`;
    return res;
  }
}
