// Server-server API descriptors (spec v1.11: keys_server.yaml, keys_query.yaml, version.yaml,
// query.yaml), shared by the server's federation routes and its outbound client. `auth` is 'none'
// for every one: the client-server token does not apply. `signed` says whether the request carries
// an `Authorization: X-Matrix` header ("Request Authentication").

import { Type } from '@sinclair/typebox';
import { endpoint, responds } from '../endpoint.ts';

/** keys.yaml: a server's published keys, self-signed (and notary-signed in query answers). */
export interface ServerKeys {
  server_name: string;
  verify_keys: Record<string, { key: string }>;
  old_verify_keys?: Record<string, { key: string; expired_ts: number }>;
  signatures: Record<string, Record<string, string>>;
  valid_until_ts: number;
}

export interface KeysQueryResponse {
  server_keys: ServerKeys[];
}

export interface FederationVersionResponse {
  server: { name: string; version: string };
}

export type FederationProfileResponse = Record<string, unknown>;

/** Descriptors whose requests carry an X-Matrix signature. */
export const SIGNED_OPERATIONS: ReadonlySet<string> = new Set(['queryProfile']);

export const getServerKey = endpoint({
  operationId: 'getServerKey',
  method: 'GET',
  path: '/_matrix/key/v2/server',
  auth: 'none',
  response: responds<ServerKeys>(),
});

export const perspectivesKeyQuery = endpoint({
  operationId: 'perspectivesKeyQuery',
  method: 'GET',
  path: '/_matrix/key/v2/query/{serverName}',
  auth: 'none',
  query: { minimum_valid_until_ts: { kind: 'int', min: 0, max: Number.MAX_SAFE_INTEGER } },
  response: responds<KeysQueryResponse>(),
});

const QueryCriteria = Type.Object({ minimum_valid_until_ts: Type.Optional(Type.Integer({ minimum: 0 })) });

export const bulkPerspectivesKeyQuery = endpoint({
  operationId: 'bulkPerspectivesKeyQuery',
  method: 'POST',
  path: '/_matrix/key/v2/query',
  auth: 'none',
  body: Type.Object({
    server_keys: Type.Record(Type.String({ maxLength: 255 }), Type.Record(Type.String({ maxLength: 255 }), QueryCriteria), { maxProperties: 100 }),
  }),
  response: responds<KeysQueryResponse>(),
});

export const getVersion = endpoint({
  operationId: 'getVersion',
  method: 'GET',
  path: '/_matrix/federation/v1/version',
  auth: 'none',
  response: responds<FederationVersionResponse>(),
});

export const queryProfile = endpoint({
  operationId: 'queryProfile',
  method: 'GET',
  path: '/_matrix/federation/v1/query/profile',
  auth: 'none',
  query: { user_id: { kind: 'string', required: true, maxLength: 255 }, field: { kind: 'string', maxLength: 255 } },
  response: responds<FederationProfileResponse>(),
});
export * from './inbound.ts';
export * from './membership.ts';
export * from './user-keys.ts';
export * from './directory.ts';
export * from './media.ts';
