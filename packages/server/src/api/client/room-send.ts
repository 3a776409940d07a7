// PUT /rooms/{roomId}/send/{eventType}/{txnId} (spec: room_send.yaml), idempotent per device and
// transaction id; and PUT /rooms/{roomId}/redact/{eventId}/{txnId} (spec: redaction.yaml).

import { api, parseEventId, parseRoomId, type JsonObject } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [
    defineRoute(api.sendMessage, async ({ requester, params, body }) => {
      const eventId = await s.rooms.send(requester, parseRoomId(params.roomId), params.eventType, params.txnId, body as JsonObject);
      await s.presence.active(requester.userId);
      return { event_id: eventId };
    }),
    defineRoute(api.redactEvent, async ({ requester, params, body }) => ({
      event_id: await s.rooms.redact(requester, parseRoomId(params.roomId), parseEventId(params.eventId), params.txnId, body.reason),
    })),
  ];
}
