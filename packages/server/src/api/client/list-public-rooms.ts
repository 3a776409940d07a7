// The published room directory (spec: list_public_rooms.yaml): a room's visibility in it, and
// GET/POST /publicRooms.

import { api, parseRoomId } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [
    defineRoute(api.getRoomVisibilityOnDirectory, ({ params }) => s.publicRooms.visibility(parseRoomId(params.roomId))),
    defineRoute(api.setRoomVisibilityOnDirectory, async ({ requester, params, body }) => {
      // "Defaults to public."
      await s.publicRooms.setVisibility(requester, parseRoomId(params.roomId), body.visibility ?? 'public');
      return {};
    }),
    defineRoute(api.getPublicRooms, ({ query }) => s.publicRooms.list({ limit: query.limit, since: query.since, server: query.server })),
    defineRoute(api.queryPublicRooms, ({ query, body }) =>
      s.publicRooms.list({
        limit: body.limit,
        since: body.since,
        server: query.server,
        searchTerm: body.filter?.generic_search_term,
        roomTypes: body.filter?.room_types,
        thirdPartyInstanceId: body.third_party_instance_id,
      }),
    ),
  ];
}
