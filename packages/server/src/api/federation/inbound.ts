// The receiving side's federation routes (transactions.yaml, events.yaml, backfill.yaml,
// event_auth.yaml): thin handlers over federation/inbound (decision 0030). All signed.

import { federation as spec, invalidParam, isEventId, parseEventId, parseRoomId } from '@hush/protocol';
import { defineFederationRoute, type FederationRouteDef } from '../../federation/routes.ts';
import type { Federation } from '../../federation/index.ts';
import { inboundFor } from '../../federation/inbound/index.ts';
import type { Services } from '../../services/index.ts';

export function routes(f: Federation, s: Services): FederationRouteDef[] {
  const inbound = () => inboundFor(f, s);
  return [
    defineFederationRoute(spec.sendTransaction, { signed: true }, ({ params, body, origin }) =>
      inbound().transactions.receive(origin as string, params.txnId, body),
    ),
    defineFederationRoute(spec.getEvent, { signed: true }, ({ params, origin }) => inbound().reads.event(origin as string, parseEventId(params.eventId))),
    defineFederationRoute(spec.getRoomState, { signed: true }, ({ params, query, origin }) =>
      inbound().reads.state(origin as string, parseRoomId(params.roomId), parseEventId(query.event_id)),
    ),
    defineFederationRoute(spec.getRoomStateIds, { signed: true }, ({ params, query, origin }) =>
      inbound().reads.stateIds(origin as string, parseRoomId(params.roomId), parseEventId(query.event_id)),
    ),
    defineFederationRoute(spec.getEventAuth, { signed: true }, ({ params, origin }) =>
      inbound().reads.eventAuth(origin as string, parseRoomId(params.roomId), parseEventId(params.eventId)),
    ),
    defineFederationRoute(spec.backfillRoom, { signed: true }, ({ params, query, origin, req }) => {
      const raw = (req.query as Record<string, unknown>)['v'];
      const v = (Array.isArray(raw) ? raw : [raw]).filter((x): x is string => typeof x === 'string');
      if (v.length === 0 || v.length > 20 || !v.every(isEventId)) throw invalidParam('v: 1 to 20 event IDs');
      return inbound().reads.backfill(origin as string, parseRoomId(params.roomId), v, query.limit);
    }),
    defineFederationRoute(spec.getMissingPreviousEvents, { signed: true }, ({ params, body, origin }) =>
      inbound().reads.missingEvents(origin as string, parseRoomId(params.roomId), body),
    ),
  ];
}
