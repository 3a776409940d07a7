// PUT /_matrix/federation/v1|v2/invite/{roomId}/{eventId} (invites-v1.yaml, invites-v2.yaml): an
// invite of one of our users by a user of the requesting server — checked (signature, hash, the
// target is ours, the room version known), refused with 403 M_INVITE_BLOCKED when the user blocks
// invites from the inviter, signed by us and stored as the user's invite. v1 carries rooms v1-v2
// events (the version is then read as "1") and answers [200, {event}].

import { federation as spec, parseRoomId } from '@hush/protocol';
import { defineFederationRoute, type FederationRouteDef } from '../../federation/routes.ts';
import type { FederatedMembership } from '../../federation/outbound/membership.ts';

export function routes(m: FederatedMembership): FederationRouteDef[] {
  return [
    defineFederationRoute(spec.sendInviteV1, { signed: true }, async ({ params, origin, body }) => {
      const event = await m.receiveInvite(origin ?? '', parseRoomId(params.roomId), params.eventId, body, '1');
      return [200, { event: event as unknown as Record<string, unknown> }] as [number, { event: Record<string, unknown> }];
    }),
    defineFederationRoute(spec.sendInviteV2, { signed: true }, async ({ params, origin, body }) => {
      const event = await m.receiveInvite(origin ?? '', parseRoomId(params.roomId), params.eventId, body.event, body.room_version);
      return { event: event as unknown as Record<string, unknown> };
    }),
  ];
}
