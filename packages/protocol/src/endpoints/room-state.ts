// Descriptors for sending state events (spec file room_state.yaml).

import { Type } from '@sinclair/typebox';
import { endpoint, responds } from '../endpoint.ts';

const V3 = '/_matrix/client/v3';

/** The body is the event content: any JSON object. */
const Content = Type.Record(Type.String(), Type.Unknown());

export const setRoomStateWithKey = endpoint({
  operationId: 'setRoomStateWithKey',
  method: 'PUT',
  path: `${V3}/rooms/{roomId}/state/{eventType}/{stateKey}`,
  auth: 'required',
  body: Content,
  response: responds<{ event_id: string }>(),
});

/**
 * The same operation with an empty state key: the spec lets the trailing `/` after `{eventType}`
 * be omitted when the state key is empty, so `/state/{eventType}` is served here.
 */
export const setRoomStateWithKeyEmpty = endpoint({
  operationId: 'setRoomStateWithKey',
  method: 'PUT',
  path: `${V3}/rooms/{roomId}/state/{eventType}`,
  auth: 'required',
  body: Content,
  response: responds<{ event_id: string }>(),
});
