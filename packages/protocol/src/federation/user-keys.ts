// Server-server API descriptors for end-to-end keys (spec v1.11: user_keys.yaml, user_devices.yaml):
// another server asks for our users' device and cross-signing keys, claims their one-time keys and
// lists a user's devices. Every one is signed (X-Matrix).

import { Type } from '@sinclair/typebox';
import { endpoint, responds } from '../endpoint.ts';

export interface FederationKeysQueryResponse {
  device_keys: Record<string, Record<string, unknown>>;
  master_keys?: Record<string, unknown>;
  self_signing_keys?: Record<string, unknown>;
}

export interface FederationKeysClaimResponse {
  one_time_keys: Record<string, Record<string, Record<string, unknown>>>;
}

export interface FederationUserDevicesResponse {
  user_id: string;
  stream_id: number;
  devices: { device_id: string; keys: unknown; device_display_name?: string }[];
  master_key?: unknown;
  self_signing_key?: unknown;
}

/** Users per request and devices per user: bounded like the client API's key endpoints. */
const MAX_USERS = 1000;
const MAX_DEVICES = 1000;

export const userKeysQuery = endpoint({
  operationId: 'userKeysQuery',
  method: 'POST',
  path: '/_matrix/federation/v1/user/keys/query',
  auth: 'none',
  body: Type.Object({
    device_keys: Type.Record(Type.String({ maxLength: 255 }), Type.Array(Type.String({ maxLength: 255 }), { maxItems: MAX_DEVICES }), { maxProperties: MAX_USERS }),
  }),
  response: responds<FederationKeysQueryResponse>(),
});

export const userKeysClaim = endpoint({
  operationId: 'userKeysClaim',
  method: 'POST',
  path: '/_matrix/federation/v1/user/keys/claim',
  auth: 'none',
  body: Type.Object({
    one_time_keys: Type.Record(Type.String({ maxLength: 255 }), Type.Record(Type.String({ maxLength: 255 }), Type.String({ maxLength: 255 }), { maxProperties: MAX_DEVICES }), { maxProperties: MAX_USERS }),
  }),
  response: responds<FederationKeysClaimResponse>(),
});

export const getUserDevices = endpoint({
  operationId: 'getUserDevices',
  method: 'GET',
  path: '/_matrix/federation/v1/user/devices/{userId}',
  auth: 'none',
  response: responds<FederationUserDevicesResponse>(),
});

export const USER_KEYS_SIGNED_OPERATIONS = ['userKeysQuery', 'userKeysClaim', 'getUserDevices'] as const;
