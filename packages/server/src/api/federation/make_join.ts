// GET /_matrix/federation/v1/make_join/{roomId}/{userId} (joins.yaml, makeJoin): a join template
// for a user of the requesting server, when the room's rules would let them join and its version
// is among the `ver` values they support (400 M_INCOMPATIBLE_ROOM_VERSION otherwise).

import { federation as spec, parseRoomId } from '@hush/protocol';
import { defineFederationRoute, type FederationRouteDef } from '../../federation/routes.ts';
import type { FederatedMembership } from '../../federation/outbound/membership.ts';

/** Every `ver` of the query (a repeated parameter); absent: only version 1, as the spec says. */
export function versionsOf(query: unknown): string[] {
  const v = (query as Record<string, unknown>)['ver'];
  const list = Array.isArray(v) ? v : v === undefined ? ['1'] : [v];
  return list.filter((x): x is string => typeof x === 'string' && x.length <= 64).slice(0, 64);
}

export function routes(m: FederatedMembership): FederationRouteDef[] {
  return [
    defineFederationRoute(spec.makeJoin, { signed: true }, ({ params, origin, req }) =>
      m.makeTemplate('join', origin ?? '', parseRoomId(params.roomId), params.userId, versionsOf(req.query)),
    ),
  ];
}
