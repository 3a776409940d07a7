// Descriptor for the user directory (spec file users.yaml).

import { Type } from '@sinclair/typebox';
import { endpoint, responds } from '../endpoint.ts';
import type { UserDirectoryResponse } from '../responses.ts';

const V3 = '/_matrix/client/v3';

export const searchUserDirectory = endpoint({
  operationId: 'searchUserDirectory',
  method: 'POST',
  path: `${V3}/user_directory/search`,
  auth: 'required',
  body: Type.Object({
    search_term: Type.String({ maxLength: 1024 }),
    /** Spec default 10; servers clamp larger values. */
    limit: Type.Optional(Type.Integer({ minimum: 0 })),
  }),
  response: responds<UserDirectoryResponse>(),
});
