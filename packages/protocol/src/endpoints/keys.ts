// Descriptors for end-to-end encryption keys (spec files keys.yaml and cross_signing.yaml): device
// and one-time keys, key queries and claims, key changes between sync tokens, cross-signing keys
// and signatures. Key objects are kept as the client sent them (they are signed JSON); the service
// checks their shape and signatures, so bodies here only bound their size.

import { Type } from '@sinclair/typebox';
import { endpoint, responds } from '../endpoint.ts';
import { UiaAuthData } from './account-management.ts';

const V3 = '/_matrix/client/v3';
const Str = (max: number) => Type.String({ maxLength: max });
const AnyObject = Type.Record(Type.String(), Type.Unknown());
/** A signed JSON object as the client sent it (device keys, a cross-signing key). */
const SignedObject = Type.Record(Type.String(), Type.Unknown(), { maxProperties: 64 });
/** `algorithm:key_id` → a key (a string for unsigned keys, an object for signed ones). */
const KeyMap = (max: number) => Type.Record(Type.String({ maxLength: 255 }), Type.Union([Str(1024), AnyObject]), { maxProperties: max });

export const uploadKeys = endpoint({
  operationId: 'uploadKeys',
  method: 'POST',
  path: `${V3}/keys/upload`,
  auth: 'required',
  optionalBody: true,
  body: Type.Object({
    device_keys: Type.Optional(SignedObject),
    one_time_keys: Type.Optional(KeyMap(200)),
    fallback_keys: Type.Optional(KeyMap(20)),
  }),
  response: responds<{ one_time_key_counts: Record<string, number> }>(),
});

export const queryKeys = endpoint({
  operationId: 'queryKeys',
  method: 'POST',
  path: `${V3}/keys/query`,
  auth: 'required',
  body: Type.Object({
    timeout: Type.Optional(Type.Integer()),
    /** user id → device ids (empty: every device). */
    device_keys: Type.Record(Type.String({ maxLength: 255 }), Type.Array(Str(255), { maxItems: 1000 }), { maxProperties: 5000 }),
    /** Deprecated and ignored. */
    token: Type.Optional(Str(1024)),
  }),
  response: responds<{
    failures: Record<string, object>;
    device_keys: Record<string, Record<string, object>>;
    master_keys?: Record<string, object>;
    self_signing_keys?: Record<string, object>;
    user_signing_keys?: Record<string, object>;
  }>(),
});

export const claimKeys = endpoint({
  operationId: 'claimKeys',
  method: 'POST',
  path: `${V3}/keys/claim`,
  auth: 'required',
  body: Type.Object({
    timeout: Type.Optional(Type.Integer()),
    /** user id → device id → algorithm. */
    one_time_keys: Type.Record(Type.String({ maxLength: 255 }), Type.Record(Str(255), Str(255), { maxProperties: 1000 }), { maxProperties: 5000 }),
  }),
  response: responds<{ failures: Record<string, object>; one_time_keys: Record<string, Record<string, Record<string, unknown>>> }>(),
});

export const getKeysChanges = endpoint({
  operationId: 'getKeysChanges',
  method: 'GET',
  path: `${V3}/keys/changes`,
  auth: 'required',
  query: {
    from: { kind: 'string', required: true, maxLength: 1024 },
    to: { kind: 'string', required: true, maxLength: 1024 },
  },
  response: responds<{ changed: string[]; left: string[] }>(),
});

export const uploadCrossSigningKeys = endpoint({
  operationId: 'uploadCrossSigningKeys',
  method: 'POST',
  path: `${V3}/keys/device_signing/upload`,
  auth: 'required',
  optionalBody: true,
  rateLimit: 'login',
  body: Type.Object({
    master_key: Type.Optional(SignedObject),
    self_signing_key: Type.Optional(SignedObject),
    user_signing_key: Type.Optional(SignedObject),
    auth: Type.Optional(UiaAuthData),
  }),
  response: responds<Record<string, never>>(),
});

export const uploadCrossSigningSignatures = endpoint({
  operationId: 'uploadCrossSigningSignatures',
  method: 'POST',
  path: `${V3}/keys/signatures/upload`,
  auth: 'required',
  optionalBody: true,
  /** user id → key id (a device id, or a master key's public key) → the signed object. */
  body: Type.Record(Type.String({ maxLength: 255 }), Type.Record(Str(255), SignedObject, { maxProperties: 1000 }), { maxProperties: 1000 }),
  response: responds<{ failures: Record<string, Record<string, { errcode: string; error: string }>> }>(),
});
