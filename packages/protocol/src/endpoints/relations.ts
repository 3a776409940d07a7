// Descriptors for event relations (spec file relations.yaml; served under /_matrix/client/v1).

import { endpoint, responds } from '../endpoint.ts';
import type { RelationsResponse } from '../responses.ts';

const V1 = '/_matrix/client/v1';

const relationsQuery = {
  from: { kind: 'string', maxLength: 1024 },
  to: { kind: 'string', maxLength: 1024 },
  // No spec default or maximum; larger values are clamped to 1000 by the query parser.
  limit: { kind: 'int', min: 0, max: 1000 },
  /** Spec default `b`. */
  dir: { kind: 'enum', values: ['b', 'f'] },
  recurse: { kind: 'bool' },
} as const;

export const getRelatingEvents = endpoint({
  operationId: 'getRelatingEvents',
  method: 'GET',
  path: `${V1}/rooms/{roomId}/relations/{eventId}`,
  auth: 'required',
  query: relationsQuery,
  response: responds<RelationsResponse>(),
});

export const getRelatingEventsWithRelType = endpoint({
  operationId: 'getRelatingEventsWithRelType',
  method: 'GET',
  path: `${V1}/rooms/{roomId}/relations/{eventId}/{relType}`,
  auth: 'required',
  query: relationsQuery,
  response: responds<RelationsResponse>(),
});

export const getRelatingEventsWithRelTypeAndEventType = endpoint({
  operationId: 'getRelatingEventsWithRelTypeAndEventType',
  method: 'GET',
  path: `${V1}/rooms/{roomId}/relations/{eventId}/{relType}/{eventType}`,
  auth: 'required',
  query: relationsQuery,
  response: responds<RelationsResponse>(),
});
