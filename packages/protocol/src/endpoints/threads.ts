// Descriptor for listing a room's threads (spec file threads_list.yaml, added in v1.4).

import { endpoint, responds } from '../endpoint.ts';
import type { ClientEvent } from '../events.ts';

export const getThreadRoots = endpoint({
  operationId: 'getThreadRoots',
  method: 'GET',
  path: '/_matrix/client/v1/rooms/{roomId}/threads',
  auth: 'required',
  query: {
    include: { kind: 'enum', values: ['all', 'participated'] },
    /** "Must be an integer greater than zero"; larger values are clamped to 100. */
    limit: { kind: 'int', min: 1, max: 100 },
    from: { kind: 'string', maxLength: 1024 },
  },
  response: responds<{ chunk: ClientEvent[]; next_batch?: string }>(),
});
