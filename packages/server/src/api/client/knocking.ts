// POST /_matrix/client/v3/knock/{roomIdOrAlias} (spec: knocking.yaml).

import { api } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';
import { knock } from '../../services/rooms/knock.ts';

export function routes(s: Services): RouteDef[] {
  return [defineRoute(api.knockRoom, async ({ requester, params, body }) => ({ room_id: await knock(s.rooms, requester, params.roomIdOrAlias, body.reason) }))];
}
