// Descriptor for send-to-device messaging (spec file to_device.yaml).

import { Type } from '@sinclair/typebox';
import { endpoint, responds } from '../endpoint.ts';

const V3 = '/_matrix/client/v3';

const Content = Type.Record(Type.String(), Type.Unknown());

export const sendToDevice = endpoint({
  operationId: 'sendToDevice',
  method: 'PUT',
  path: `${V3}/sendToDevice/{eventType}/{txnId}`,
  auth: 'required',
  body: Type.Object({
    /** user id → device id (or `*`) → message content. */
    messages: Type.Record(Type.String({ maxLength: 255 }), Type.Record(Type.String({ maxLength: 255 }), Content)),
  }),
  response: responds<Record<string, never>>(),
});
