// Descriptors for room tags (spec file tags.yaml).

import { Type } from '@sinclair/typebox';
import { endpoint, responds } from '../endpoint.ts';
import type { TagsResponse } from '../responses.ts';

const V3 = '/_matrix/client/v3';

export const getRoomTags = endpoint({
  operationId: 'getRoomTags',
  method: 'GET',
  path: `${V3}/user/{userId}/rooms/{roomId}/tags`,
  auth: 'required',
  response: responds<TagsResponse>(),
});

export const setRoomTag = endpoint({
  operationId: 'setRoomTag',
  method: 'PUT',
  path: `${V3}/user/{userId}/rooms/{roomId}/tags/{tag}`,
  auth: 'required',
  // The spec describes `order` as a number in [0,1] but does not ask servers to reject others.
  body: Type.Object({ order: Type.Optional(Type.Number()) }),
  response: responds<Record<string, never>>(),
});

export const deleteRoomTag = endpoint({
  operationId: 'deleteRoomTag',
  method: 'DELETE',
  path: `${V3}/user/{userId}/rooms/{roomId}/tags/{tag}`,
  auth: 'required',
  optionalBody: true,
  response: responds<Record<string, never>>(),
});
