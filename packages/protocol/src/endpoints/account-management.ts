// Descriptors for changing the password, deactivating the account and deleting devices (spec files
// password_management.yaml, account_deactivation.yaml, device_management.yaml). Each uses
// user-interactive authentication: `auth` carries the stage the client completes.

import { Type } from '@sinclair/typebox';
import { endpoint, responds } from '../endpoint.ts';

const V3 = '/_matrix/client/v3';
const Str = (max: number) => Type.String({ maxLength: max });

/** Authentication Data (definitions/auth_data.yaml) with the fields of the `m.login.password` stage. */
export const UiaAuthData = Type.Object(
  {
    type: Type.Optional(Str(255)),
    session: Type.Optional(Str(255)),
    identifier: Type.Optional(Type.Object({ type: Str(255), user: Type.Optional(Str(255)) }, { additionalProperties: true })),
    /** The deprecated way to name the user, before `identifier`. */
    user: Type.Optional(Str(255)),
    password: Type.Optional(Str(1024)),
  },
  { additionalProperties: true },
);

export const changePassword = endpoint({
  operationId: 'changePassword',
  method: 'POST',
  path: `${V3}/account/password`,
  // "An access token should be submitted … if the client has an active session": without one, the
  // password stage's identifier names the account.
  auth: 'optional',
  rateLimit: 'login',
  body: Type.Object({
    new_password: Str(1024),
    logout_devices: Type.Optional(Type.Boolean()),
    auth: Type.Optional(UiaAuthData),
  }),
  response: responds<Record<string, never>>(),
});

export const deactivateAccount = endpoint({
  operationId: 'deactivateAccount',
  method: 'POST',
  path: `${V3}/account/deactivate`,
  auth: 'optional',
  optionalBody: true,
  rateLimit: 'login',
  body: Type.Object({
    auth: Type.Optional(UiaAuthData),
    id_server: Type.Optional(Str(255)),
    erase: Type.Optional(Type.Boolean()),
  }),
  response: responds<{ id_server_unbind_result: 'success' | 'no-support' }>(),
});

export const deleteDevice = endpoint({
  operationId: 'deleteDevice',
  method: 'DELETE',
  path: `${V3}/devices/{deviceId}`,
  auth: 'required',
  optionalBody: true,
  rateLimit: 'login',
  body: Type.Object({ auth: Type.Optional(UiaAuthData) }),
  response: responds<Record<string, never>>(),
});

export const deleteDevices = endpoint({
  operationId: 'deleteDevices',
  method: 'POST',
  path: `${V3}/delete_devices`,
  auth: 'required',
  rateLimit: 'login',
  body: Type.Object({
    devices: Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { maxItems: 1000 }),
    auth: Type.Optional(UiaAuthData),
  }),
  response: responds<Record<string, never>>(),
});
