// Descriptor for receipts (spec file receipts.yaml).

import { Type } from '@sinclair/typebox';
import { endpoint, responds } from '../endpoint.ts';

const V3 = '/_matrix/client/v3';

/** The `{receiptType}` path parameter's values per the spec; path parameters are checked by the handler. */
export const RECEIPT_TYPES = ['m.read', 'm.read.private', 'm.fully_read'] as const;

export const postReceipt = endpoint({
  operationId: 'postReceipt',
  method: 'POST',
  path: `${V3}/rooms/{roomId}/receipt/{receiptType}/{eventId}`,
  auth: 'required',
  optionalBody: true,
  body: Type.Object({ thread_id: Type.Optional(Type.String({ maxLength: 255 })) }),
  response: responds<Record<string, never>>(),
});
