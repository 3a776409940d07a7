// POST /createRoom (spec: create_room.yaml).

import { api } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';
import { createRoom, type CreateRoomInput } from '../../services/rooms/create.ts';

export function routes(s: Services): RouteDef[] {
  return [defineRoute(api.createRoom, async ({ requester, body }) => ({ room_id: await createRoom(s.rooms, requester, body as CreateRoomInput) }))];
}
