// Mutual rooms (spec v1.19 "Mutual rooms", MSC2666): the rooms the requester and another user are
// both joined to — rooms the requester can see the member list of anyway. Pages of PAGE_SIZE by
// room id; `next_batch` is the last room id of the page (opaque to clients).

import { invalidParam, isRoomId, type MutualRoomsResponse, type UserId } from '@hush/protocol';
import type { Db } from '../storage/db.ts';
import { mutualRoomsStore } from '../storage/mutual-rooms.store.ts';
import type { Requester } from './requester.ts';

export const MUTUAL_ROOMS_PAGE = 100;

export class MutualRoomsService {
  constructor(private readonly db: Db) {}

  /** `userId` parsed by the handler (a malformed one is 400 there, as the spec asks). */
  async list(r: Requester, userId: UserId, from: string | undefined): Promise<MutualRoomsResponse> {
    // The sender's own user id: 400; a user who does not exist shares nothing.
    if (userId === r.userId) throw invalidParam('user_id is your own user id');
    if (from !== undefined && !isRoomId(from)) throw invalidParam('from is not a token of this endpoint');
    return this.db.transaction().execute(async (tx) => {
      const rows = await mutualRoomsStore.page(tx, r.userId, userId, from, MUTUAL_ROOMS_PAGE + 1);
      const joined = rows.slice(0, MUTUAL_ROOMS_PAGE);
      const out: MutualRoomsResponse = { joined, count: await mutualRoomsStore.count(tx, r.userId, userId) };
      if (rows.length > MUTUAL_ROOMS_PAGE) out.next_batch = joined[joined.length - 1]!;
      return out;
    });
  }
}
