// PUT /_matrix/federation/v1/send_knock/{roomId}/{eventId} (knocks.yaml, sendKnock): the knock
// accepted through the auth rules, stored, forwarded; answered with the room's stripped state.

import { federation as spec, parseRoomId } from '@hush/protocol';
import { defineFederationRoute, type FederationRouteDef } from '../../federation/routes.ts';
import type { FederatedMembership } from '../../federation/outbound/membership.ts';

const STRIPPED = new Set(['m.room.create', 'm.room.join_rules', 'm.room.name', 'm.room.avatar', 'm.room.canonical_alias', 'm.room.encryption', 'm.room.topic']);

export function routes(m: FederatedMembership): FederationRouteDef[] {
  return [
    defineFederationRoute(spec.sendKnock, { signed: true }, async ({ params, origin, body }) => {
      const { stateBefore } = await m.acceptMembership('knock', origin ?? '', parseRoomId(params.roomId), params.eventId, body);
      const knock_room_state = stateBefore
        .filter((e) => STRIPPED.has(e.type) && e.state_key === '')
        .map((e) => ({ type: e.type, state_key: e.state_key ?? '', sender: e.sender, content: e.content }));
      return { knock_room_state };
    }),
  ];
}
