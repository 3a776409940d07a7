// Descriptor for the events around one event (spec file event_context.yaml).

import { endpoint, responds } from '../endpoint.ts';
import type { ContextResponse } from '../responses.ts';

const V3 = '/_matrix/client/v3';

export const getEventContext = endpoint({
  operationId: 'getEventContext',
  method: 'GET',
  path: `${V3}/rooms/{roomId}/context/{eventId}`,
  auth: 'required',
  query: {
    // Spec default 10; larger values are clamped to 1000 by the query parser.
    limit: { kind: 'int', min: 0, max: 1000 },
    filter: { kind: 'string', maxLength: 16384 },
  },
  response: responds<ContextResponse>(),
});
