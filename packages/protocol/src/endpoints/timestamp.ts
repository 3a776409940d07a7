// Descriptor for finding the event closest to a timestamp (spec file room_event_by_timestamp.yaml, v1.6).

import { endpoint, responds } from '../endpoint.ts';

export const getEventByTimestamp = endpoint({
  operationId: 'getEventByTimestamp',
  method: 'GET',
  path: '/_matrix/client/v1/rooms/{roomId}/timestamp_to_event',
  auth: 'required',
  query: {
    ts: { kind: 'int', required: true, min: 0, max: Number.MAX_SAFE_INTEGER },
    dir: { kind: 'enum', required: true, values: ['f', 'b'] },
  },
  response: responds<{ event_id: string; origin_server_ts: number }>(),
});
