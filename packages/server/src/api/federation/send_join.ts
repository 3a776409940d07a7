// PUT /_matrix/federation/v1|v2/send_join/{roomId}/{eventId} (joins.yaml, sendJoinV1/V2): the
// joining server's signed join, accepted through the auth rules against current state, stored and
// forwarded to the room's other servers; answered with the state before it and its auth chain
// (v1 wraps the answer as [200, {...}]).

import { federation as spec, parseRoomId } from '@hush/protocol';
import { defineFederationRoute, type FederationRouteDef } from '../../federation/routes.ts';
import type { FederatedMembership } from '../../federation/outbound/membership.ts';

export function routes(m: FederatedMembership, serverName: string): FederationRouteDef[] {
  const answer = async (origin: string | undefined, roomId: string, eventId: string, body: unknown) => {
    const { pdu, stateBefore, authChain } = await m.acceptMembership('join', origin ?? '', parseRoomId(roomId), eventId, body);
    return { origin: serverName, state: stateBefore, auth_chain: authChain, event: pdu as unknown as Record<string, unknown>, members_omitted: false };
  };
  return [
    defineFederationRoute(spec.sendJoinV1, { signed: true }, async ({ params, origin, body }) => [200, await answer(origin, params.roomId, params.eventId, body)] as [number, spec.SendJoinResponseV2]),
    defineFederationRoute(spec.sendJoinV2, { signed: true }, ({ params, origin, body }) => answer(origin, params.roomId, params.eventId, body)),
  ];
}
