// GET /_matrix/client/v1/rooms/{roomId}/threads (spec: threads_list.yaml).

import { api, parseRoomId } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';
import { ThreadsService } from '../../services/rooms/threads.ts';

export function routes(s: Services): RouteDef[] {
  const threads = new ThreadsService(s.database.db, s.caches);
  return [defineRoute(api.getThreadRoots, ({ requester, params, query }) => threads.threadRoots(requester, parseRoomId(params.roomId), query))];
}
