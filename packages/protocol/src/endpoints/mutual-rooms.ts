// Descriptor for the rooms two users share (spec file mutual_rooms.yaml, v1.19, MSC2666).

import { endpoint, responds } from '../endpoint.ts';

const V1 = '/_matrix/client/v1';

export interface MutualRoomsResponse {
  joined: string[];
  count: number;
  next_batch?: string;
}

export const getMutualRooms = endpoint({
  operationId: 'getMutualRooms',
  method: 'GET',
  path: `${V1}/mutual_rooms`,
  auth: 'required',
  query: { user_id: { kind: 'string', required: true, maxLength: 255 }, from: { kind: 'string', maxLength: 255 } },
  response: responds<MutualRoomsResponse>(),
});
