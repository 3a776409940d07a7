// Reporting events, rooms and users to the server's administrators (spec: report_content.yaml).

import { api, parseEventId, parseRoomId, parseUserId } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [
    defineRoute(api.reportEvent, async ({ requester, params, body }) => {
      await s.reports.reportEvent(requester, parseRoomId(params.roomId), parseEventId(params.eventId), body.reason, body.score);
      return {};
    }),
    defineRoute(api.reportRoom, async ({ requester, params, body }) => {
      await s.reports.reportRoom(requester, parseRoomId(params.roomId), body.reason);
      return {};
    }),
    defineRoute(api.reportUser, async ({ requester, params, body }) => {
      await s.reports.reportUser(requester, parseUserId(params.userId), body.reason);
      return {};
    }),
  ];
}
