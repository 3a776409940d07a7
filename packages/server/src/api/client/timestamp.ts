// GET /_matrix/client/v1/rooms/{roomId}/timestamp_to_event (spec: room_event_by_timestamp.yaml).

import { api, parseRoomId } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [defineRoute(api.getEventByTimestamp, ({ requester, params, query }) => s.timestamps.eventByTimestamp(requester, parseRoomId(params.roomId), query.ts, query.dir))];
}
