// Descriptors for client config / account data, global and per room (spec file account-data.yaml).

import { Type } from '@sinclair/typebox';
import { endpoint, responds } from '../endpoint.ts';
import type { JsonObject } from '../events.ts';

const V3 = '/_matrix/client/v3';

/** The body is the account data content: any JSON object. */
const Content = Type.Record(Type.String(), Type.Unknown());

export const setAccountData = endpoint({
  operationId: 'setAccountData',
  method: 'PUT',
  path: `${V3}/user/{userId}/account_data/{type}`,
  auth: 'required',
  body: Content,
  response: responds<Record<string, never>>(),
});

export const getAccountData = endpoint({
  operationId: 'getAccountData',
  method: 'GET',
  path: `${V3}/user/{userId}/account_data/{type}`,
  auth: 'required',
  response: responds<JsonObject>(),
});

export const setAccountDataPerRoom = endpoint({
  operationId: 'setAccountDataPerRoom',
  method: 'PUT',
  path: `${V3}/user/{userId}/rooms/{roomId}/account_data/{type}`,
  auth: 'required',
  body: Content,
  response: responds<Record<string, never>>(),
});

export const getAccountDataPerRoom = endpoint({
  operationId: 'getAccountDataPerRoom',
  method: 'GET',
  path: `${V3}/user/{userId}/rooms/{roomId}/account_data/{type}`,
  auth: 'required',
  response: responds<JsonObject>(),
});
