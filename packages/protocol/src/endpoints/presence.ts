// Descriptors for presence (spec file presence.yaml).

import { Type } from '@sinclair/typebox';
import { endpoint, responds } from '../endpoint.ts';
import type { PresenceResponse } from '../responses.ts';

const V3 = '/_matrix/client/v3';

export const setPresence = endpoint({
  operationId: 'setPresence',
  method: 'PUT',
  path: `${V3}/presence/{userId}/status`,
  auth: 'required',
  body: Type.Object({
    presence: Type.Union([Type.Literal('online'), Type.Literal('offline'), Type.Literal('unavailable')]),
    status_msg: Type.Optional(Type.String({ maxLength: 2048 })),
  }),
  response: responds<Record<string, never>>(),
});

export const getPresence = endpoint({
  operationId: 'getPresence',
  method: 'GET',
  path: `${V3}/presence/{userId}/status`,
  auth: 'required',
  response: responds<PresenceResponse>(),
});
