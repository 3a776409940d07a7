// The remote look-ups other servers make (query.yaml queryRoomDirectory, public_rooms.yaml,
// space_hierarchy.yaml, event_by_timestamp): thin signed handlers over federation/inbound/lookups.ts
// (decision 0033).

import { federation as spec, parseRoomAlias, parseRoomId } from '@hush/protocol';
import { defineFederationRoute, type FederationRouteDef } from '../../federation/routes.ts';
import { FederationLookups } from '../../federation/inbound/lookups.ts';
import { ServerAccess } from '../../federation/inbound/access.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): FederationRouteDef[] {
  const db = s.database.db;
  const lookups = new FederationLookups(db, new ServerAccess(db), s.config.serverName, s.publicRooms);
  return [
    defineFederationRoute(spec.queryRoomDirectory, { signed: true }, ({ query, origin }) => lookups.directory(origin as string, parseRoomAlias(query.room_alias))),
    defineFederationRoute(spec.getPublicRoomsFederation, { signed: true }, ({ query, origin }) =>
      lookups.publicRooms(origin as string, {
        ...(query.limit !== undefined ? { limit: query.limit } : {}),
        ...(query.since !== undefined ? { since: query.since } : {}),
        ...(query.third_party_instance_id !== undefined && query.include_all_networks !== true ? { thirdPartyInstanceId: query.third_party_instance_id } : {}),
      }),
    ),
    defineFederationRoute(spec.queryPublicRoomsFederation, { signed: true }, ({ body, origin }) =>
      lookups.publicRooms(origin as string, {
        ...(body?.limit !== undefined ? { limit: body.limit } : {}),
        ...(body?.since !== undefined ? { since: body.since } : {}),
        ...(body?.filter?.generic_search_term !== undefined ? { searchTerm: body.filter.generic_search_term } : {}),
        ...(body?.filter?.room_types !== undefined ? { roomTypes: body.filter.room_types } : {}),
        ...(body?.third_party_instance_id !== undefined && body.include_all_networks !== true ? { thirdPartyInstanceId: body.third_party_instance_id } : {}),
      }),
    ),
    defineFederationRoute(spec.getSpaceHierarchyFederation, { signed: true }, ({ params, query, origin }) =>
      lookups.hierarchy(origin as string, parseRoomId(params.roomId), query.suggested_only === true),
    ),
    defineFederationRoute(spec.getEventByTimestampFederation, { signed: true }, ({ params, query, origin }) =>
      lookups.eventByTimestamp(origin as string, parseRoomId(params.roomId), query.ts, query.dir),
    ),
  ];
}
