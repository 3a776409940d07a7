// POST /_matrix/client/v3/knock/{roomIdOrAlias} (spec: knocking.yaml).

import { api } from '@hush/protocol';
import { defineRoute, queryValues, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';
import { knock } from '../../services/rooms/knock.ts';

export function routes(s: Services): RouteDef[] {
  return [
    defineRoute(api.knockRoom, async ({ requester, params, body, req }) => ({
      // `via` since v1.12; `server_name` (removed in v1.14) still read for older clients.
      room_id: await knock(s.rooms, requester, params.roomIdOrAlias, body.reason, [...queryValues(req, 'via', 255), ...queryValues(req, 'server_name', 255)]),
    })),
  ];
}
