// Receipts and read markers (spec: receipts.yaml, read_markers.yaml).

import { api, parseEventId, parseRoomId } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [
    defineRoute(api.postReceipt, async ({ requester, params, body }) => {
      await s.receipts.postReceipt(requester, parseRoomId(params.roomId), params.receiptType, parseEventId(params.eventId), body.thread_id);
      await s.presence.active(requester.userId);
      return {};
    }),
    defineRoute(api.setReadMarker, async ({ requester, params, body }) => {
      await s.receipts.setReadMarkers(requester, parseRoomId(params.roomId), {
        fullyRead: body['m.fully_read'],
        read: body['m.read'],
        readPrivate: body['m.read.private'],
      });
      return {};
    }),
  ];
}
