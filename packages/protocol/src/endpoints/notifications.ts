// Descriptor for listing notifications (spec file notifications.yaml).

import { endpoint, responds } from '../endpoint.ts';
import type { NotificationsResponse } from '../responses.ts';

const V3 = '/_matrix/client/v3';

export const getNotifications = endpoint({
  operationId: 'getNotifications',
  method: 'GET',
  path: `${V3}/notifications`,
  auth: 'required',
  query: {
    from: { kind: 'string', maxLength: 1024 },
    // No spec default or maximum; larger values are clamped to 1000 by the query parser.
    limit: { kind: 'int', min: 0, max: 1000 },
    /** `highlight` is the only value the spec describes. */
    only: { kind: 'string', maxLength: 255 },
  },
  response: responds<NotificationsResponse>(),
});
