// Descriptor for /sync (spec file sync.yaml).

import { endpoint, responds } from '../endpoint.ts';
import type { SyncResponse } from '../responses.ts';

const V3 = '/_matrix/client/v3';

export const sync = endpoint({
  operationId: 'sync',
  method: 'GET',
  path: `${V3}/sync`,
  auth: 'required',
  query: {
    /** A filter id, or a whole Filter as inline JSON (kept as text; the handler decides which). */
    filter: { kind: 'string', maxLength: 16384 },
    since: { kind: 'string', maxLength: 1024 },
    full_state: { kind: 'bool' },
    set_presence: { kind: 'enum', values: ['offline', 'online', 'unavailable'] },
    /** Milliseconds. */
    timeout: { kind: 'int', min: 0, max: 2 ** 31 - 1 },
    use_state_after: { kind: 'bool' },
  },
  response: responds<SyncResponse>(),
});
