// Descriptor for paginating room history (spec file message_pagination.yaml).

import { endpoint, responds } from '../endpoint.ts';
import type { MessagesResponse } from '../responses.ts';

const V3 = '/_matrix/client/v3';

export const getRoomEvents = endpoint({
  operationId: 'getRoomEvents',
  method: 'GET',
  path: `${V3}/rooms/{roomId}/messages`,
  auth: 'required',
  query: {
    from: { kind: 'string', maxLength: 1024 },
    to: { kind: 'string', maxLength: 1024 },
    dir: { kind: 'enum', required: true, values: ['b', 'f'] },
    // Spec default 10; larger values are clamped to 1000 by the query parser.
    limit: { kind: 'int', min: 0, max: 1000 },
    filter: { kind: 'string', maxLength: 16384 },
  },
  response: responds<MessagesResponse>(),
});
