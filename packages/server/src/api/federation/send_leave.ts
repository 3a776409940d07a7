// PUT /_matrix/federation/v1|v2/send_leave/{roomId}/{eventId} (leaving.yaml, sendLeaveV1/V2): the
// leaving server's signed leave, accepted through the auth rules, stored and forwarded; v1 answers
// [200, {}], v2 {}.

import { federation as spec, parseRoomId } from '@hush/protocol';
import { defineFederationRoute, type FederationRouteDef } from '../../federation/routes.ts';
import type { FederatedMembership } from '../../federation/outbound/membership.ts';

export function routes(m: FederatedMembership): FederationRouteDef[] {
  return [
    defineFederationRoute(spec.sendLeaveV1, { signed: true }, async ({ params, origin, body }) => {
      await m.acceptMembership('leave', origin ?? '', parseRoomId(params.roomId), params.eventId, body);
      return [200, {}] as [number, Record<string, never>];
    }),
    defineFederationRoute(spec.sendLeaveV2, { signed: true }, async ({ params, origin, body }) => {
      await m.acceptMembership('leave', origin ?? '', parseRoomId(params.roomId), params.eventId, body);
      return {};
    }),
  ];
}
