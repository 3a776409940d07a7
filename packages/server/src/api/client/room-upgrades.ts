// POST /_matrix/client/v3/rooms/{roomId}/upgrade (spec: room_upgrades.yaml).

import { api, parseRoomId } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';
import { upgradeRoom } from '../../services/rooms/upgrade.ts';

export function routes(s: Services): RouteDef[] {
  return [
    defineRoute(api.upgradeRoom, async ({ requester, params, body }) => ({
      replacement_room: await upgradeRoom(s.rooms, requester, parseRoomId(params.roomId), body.new_version),
    })),
  ];
}
