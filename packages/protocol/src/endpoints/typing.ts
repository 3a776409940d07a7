// Descriptor for typing notifications (spec file typing.yaml).

import { Type } from '@sinclair/typebox';
import { endpoint, responds } from '../endpoint.ts';

const V3 = '/_matrix/client/v3';

export const setTyping = endpoint({
  operationId: 'setTyping',
  method: 'PUT',
  path: `${V3}/rooms/{roomId}/typing/{userId}`,
  auth: 'required',
  body: Type.Object({
    typing: Type.Boolean(),
    /** Milliseconds. */
    timeout: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 })),
  }),
  response: responds<Record<string, never>>(),
});
