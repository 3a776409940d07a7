// GET /_matrix/client/v1/rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]] (spec: relations.yaml).

import { api, parseEventId, parseRoomId } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [
    defineRoute(api.getRelatingEvents, ({ requester, params, query }) =>
      s.relations.relations(requester, parseRoomId(params.roomId), parseEventId(params.eventId), undefined, undefined, query),
    ),
    defineRoute(api.getRelatingEventsWithRelType, ({ requester, params, query }) =>
      s.relations.relations(requester, parseRoomId(params.roomId), parseEventId(params.eventId), params.relType, undefined, query),
    ),
    defineRoute(api.getRelatingEventsWithRelTypeAndEventType, ({ requester, params, query }) =>
      s.relations.relations(requester, parseRoomId(params.roomId), parseEventId(params.eventId), params.relType, params.eventType, query),
    ),
  ];
}
