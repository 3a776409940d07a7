// Knocking (spec "Knocking on rooms", v1.1): the user's own m.room.member event with membership
// `knock`, allowed by the room version's auth rules when the join rule is `knock` (or
// `knock_restricted`). Acceptance (an invite) and refusal (a leave) are ordinary membership changes.

import type { JsonObject } from '@hush/protocol';
import type { Requester } from '../requester.ts';
import type { RoomService } from './rooms.ts';

export async function knock(rooms: RoomService, r: Requester, roomIdOrAlias: string, reason?: string, via: readonly string[] = []): Promise<string> {
  const roomId = await rooms.resolveRoom(roomIdOrAlias);
  const content: JsonObject = { membership: 'knock', ...(await rooms.profileContent(r.userId)) };
  if (reason !== undefined) content['reason'] = reason;
  // A room resident on other servers: make_knock/send_knock through one of them.
  if (rooms.remote && (await rooms.remote.isRemote(roomId))) {
    await rooms.remote.knock(r.userId, roomId, via, content);
    return roomId;
  }
  await rooms.writer.write(roomId, (rt) => rt.persist({ type: 'm.room.member', stateKey: r.userId, sender: r.userId, content }));
  return roomId;
}
