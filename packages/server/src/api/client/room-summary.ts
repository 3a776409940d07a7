// GET /_matrix/client/v1/room_summary/{roomIdOrAlias} (spec: room_summary.yaml, v1.15): a room's
// summary for anyone who may preview it; 404 M_NOT_FOUND otherwise, exactly as for a room that
// does not exist, so a private room is never revealed. A room we do not hold is asked of `via`, the
// servers its alias's server names and the server in its id (decision 0039).

import { api } from '@hush/protocol';
import { defineRoute, queryValues, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [
    defineRoute(api.getRoomSummary, async ({ requester, params, req }) => {
      const { roomId, servers } = await s.rooms.locateRoom(params.roomIdOrAlias);
      return s.spaces.summary(roomId, requester?.userId, [...queryValues(req, 'via', 255), ...servers]);
    }),
  ];
}
