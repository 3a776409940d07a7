// Server-side key backup (spec: key_backup.yaml): backup versions, and room keys by room and session.

import { api, notFound } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  const b = s.keyBackup;
  return [
    defineRoute(api.postRoomKeysVersion, ({ requester, body }) => b.createVersion(requester, body.algorithm, body.auth_data)),
    defineRoute(api.getRoomKeysVersionCurrent, ({ requester }) => b.getVersion(requester)),
    defineRoute(api.getRoomKeysVersion, ({ requester, params }) => b.getVersion(requester, params.version)),
    defineRoute(api.putRoomKeysVersion, async ({ requester, params, body }) => {
      await b.updateVersion(requester, params.version, body);
      return {};
    }),
    defineRoute(api.deleteRoomKeysVersion, async ({ requester, params }) => {
      await b.deleteVersion(requester, params.version);
      return {};
    }),
    defineRoute(api.putRoomKeys, ({ requester, query, body }) => b.putKeys(requester, query.version, body.rooms)),
    defineRoute(api.getRoomKeys, ({ requester, query }) => b.getKeys(requester, query.version)),
    defineRoute(api.deleteRoomKeys, ({ requester, query }) => b.deleteKeys(requester, query.version)),
    defineRoute(api.putRoomKeysByRoomId, ({ requester, params, query, body }) => b.putKeys(requester, query.version, { [params.roomId]: body })),
    defineRoute(api.getRoomKeysByRoomId, async ({ requester, params, query }) => {
      const { rooms } = await b.getKeys(requester, query.version, params.roomId);
      return rooms[params.roomId] ?? { sessions: {} };
    }),
    defineRoute(api.deleteRoomKeysByRoomId, ({ requester, params, query }) => b.deleteKeys(requester, query.version, params.roomId)),
    defineRoute(api.putRoomKeyBySessionId, ({ requester, params, query, body }) =>
      b.putKeys(requester, query.version, { [params.roomId]: { sessions: { [params.sessionId]: body } } }),
    ),
    defineRoute(api.getRoomKeyBySessionId, async ({ requester, params, query }) => {
      const { rooms } = await b.getKeys(requester, query.version, params.roomId, params.sessionId);
      const key = rooms[params.roomId]?.sessions[params.sessionId];
      if (!key) throw notFound('No backed-up key for this session');
      return key;
    }),
    defineRoute(api.deleteRoomKeyBySessionId, ({ requester, params, query }) => b.deleteKeys(requester, query.version, params.roomId, params.sessionId)),
  ];
}
