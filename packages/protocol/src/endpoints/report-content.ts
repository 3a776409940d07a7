// Descriptors for reporting content to the server's administrators (spec file report_content.yaml).

import { Type } from '@sinclair/typebox';
import { endpoint, responds } from '../endpoint.ts';

const V3 = '/_matrix/client/v3';
/** Reasons are free text; a few kilobytes are plenty for an administrator to read. */
const Reason = Type.String({ maxLength: 4096 });

export const reportEvent = endpoint({
  operationId: 'reportEvent',
  method: 'POST',
  path: `${V3}/rooms/{roomId}/report/{eventId}`,
  auth: 'required',
  // `score` (-100 … 0) was removed in v1.18; still read from clients of earlier versions.
  body: Type.Object({ reason: Type.Optional(Reason), score: Type.Optional(Type.Integer({ minimum: -100, maximum: 0 })) }),
  optionalBody: true,
  response: responds<Record<string, never>>(),
});

export const reportRoom = endpoint({
  operationId: 'reportRoom',
  method: 'POST',
  path: `${V3}/rooms/{roomId}/report`,
  auth: 'required',
  body: Type.Object({ reason: Reason }),
  response: responds<Record<string, never>>(),
});

export const reportUser = endpoint({
  operationId: 'reportUser',
  method: 'POST',
  path: `${V3}/users/{userId}/report`,
  auth: 'required',
  body: Type.Object({ reason: Reason }),
  response: responds<Record<string, never>>(),
});
