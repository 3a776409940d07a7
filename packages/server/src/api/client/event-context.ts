// GET /rooms/{roomId}/context/{eventId} (spec: event_context.yaml).

import { api, parseEventId, parseRoomId } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [
    defineRoute(api.getEventContext, ({ requester, params, query }) =>
      s.reads.context(requester, parseRoomId(params.roomId), parseEventId(params.eventId), query.limit ?? 10, query.filter),
    ),
  ];
}
