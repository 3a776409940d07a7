// GET /_matrix/federation/v1/make_leave/{roomId}/{userId} (leaving.yaml, makeLeave): a leave
// template for a user of the requesting server (one invited, joined or knocking).

import { federation as spec, parseRoomId } from '@hush/protocol';
import { defineFederationRoute, type FederationRouteDef } from '../../federation/routes.ts';
import type { FederatedMembership } from '../../federation/outbound/membership.ts';

export function routes(m: FederatedMembership): FederationRouteDef[] {
  return [defineFederationRoute(spec.makeLeave, { signed: true }, ({ params, origin }) => m.makeTemplate('leave', origin ?? '', parseRoomId(params.roomId), params.userId, undefined))];
}
