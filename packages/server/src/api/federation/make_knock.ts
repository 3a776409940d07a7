// GET /_matrix/federation/v1/make_knock/{roomId}/{userId} (knocks.yaml, makeKnock): a knock
// template, when the room's version knows knocking and is among `ver`, and its rules allow it.

import { federation as spec, parseRoomId } from '@hush/protocol';
import { defineFederationRoute, type FederationRouteDef } from '../../federation/routes.ts';
import type { FederatedMembership } from '../../federation/outbound/membership.ts';
import { versionsOf } from './make_join.ts';

export function routes(m: FederatedMembership): FederationRouteDef[] {
  return [
    defineFederationRoute(spec.makeKnock, { signed: true }, ({ params, origin, req }) =>
      m.makeTemplate('knock', origin ?? '', parseRoomId(params.roomId), params.userId, versionsOf(req.query)),
    ),
  ];
}
