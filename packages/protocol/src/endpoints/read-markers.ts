// Descriptor for read markers (spec file read_markers.yaml).

import { Type } from '@sinclair/typebox';
import { endpoint, responds } from '../endpoint.ts';

const V3 = '/_matrix/client/v3';

const EventIdStr = Type.String({ maxLength: 255 });

export const setReadMarker = endpoint({
  operationId: 'setReadMarker',
  method: 'POST',
  path: `${V3}/rooms/{roomId}/read_markers`,
  auth: 'required',
  optionalBody: true,
  body: Type.Object({
    'm.fully_read': Type.Optional(EventIdStr),
    'm.read': Type.Optional(EventIdStr),
    'm.read.private': Type.Optional(EventIdStr),
  }),
  response: responds<Record<string, never>>(),
});
