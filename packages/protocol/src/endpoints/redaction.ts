// Descriptor for redactions (spec file redaction.yaml).

import { Type } from '@sinclair/typebox';
import { endpoint, responds } from '../endpoint.ts';

const V3 = '/_matrix/client/v3';

export const redactEvent = endpoint({
  operationId: 'redactEvent',
  method: 'PUT',
  path: `${V3}/rooms/{roomId}/redact/{eventId}/{txnId}`,
  auth: 'required',
  optionalBody: true,
  body: Type.Object({ reason: Type.Optional(Type.String({ maxLength: 2048 })) }),
  response: responds<{ event_id: string }>(),
});
