// Descriptor for sending message events (spec file room_send.yaml).

import { Type } from '@sinclair/typebox';
import { endpoint, responds } from '../endpoint.ts';

const V3 = '/_matrix/client/v3';

export const sendMessage = endpoint({
  operationId: 'sendMessage',
  method: 'PUT',
  path: `${V3}/rooms/{roomId}/send/{eventType}/{txnId}`,
  auth: 'required',
  /** The body is the event content: any JSON object. */
  body: Type.Record(Type.String(), Type.Unknown()),
  response: responds<{ event_id: string }>(),
});
