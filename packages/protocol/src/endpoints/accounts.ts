// Descriptors for the account operations: versions, login, registration, logout, whoami,
// capabilities, profile and devices (spec files versions, login, registration, logout, whoami,
// capabilities, profile, device_management).

import { Type } from '@sinclair/typebox';
import { endpoint, responds } from '../endpoint.ts';

const V3 = '/_matrix/client/v3';

const Str = (max = 4096) => Type.String({ maxLength: max });
const AuthDict = Type.Object({ type: Type.Optional(Str(255)), session: Type.Optional(Str(255)) }, { additionalProperties: true });

export interface LoginResponse {
  user_id: string;
  access_token: string;
  device_id: string;
  home_server?: string;
  expires_in_ms?: number;
}

export const getVersions = endpoint({
  operationId: 'getVersions',
  method: 'GET',
  path: '/_matrix/client/versions',
  auth: 'optional',
  response: responds<{ versions: string[]; unstable_features: Record<string, boolean> }>(),
});

export const getLoginFlows = endpoint({
  operationId: 'getLoginFlows',
  method: 'GET',
  path: `${V3}/login`,
  auth: 'none',
  response: responds<{ flows: { type: string }[] }>(),
});

export const login = endpoint({
  operationId: 'login',
  method: 'POST',
  path: `${V3}/login`,
  auth: 'none',
  rateLimit: 'login',
  body: Type.Object({
    type: Str(255),
    identifier: Type.Optional(Type.Object({ type: Str(255), user: Type.Optional(Str(255)) }, { additionalProperties: true })),
    user: Type.Optional(Str(255)),
    password: Type.Optional(Str(1024)),
    device_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    initial_device_display_name: Type.Optional(Str(255)),
    refresh_token: Type.Optional(Type.Boolean()),
  }),
  response: responds<LoginResponse>(),
});

export const register = endpoint({
  operationId: 'register',
  method: 'POST',
  path: `${V3}/register`,
  auth: 'none',
  optionalBody: true,
  rateLimit: 'register',
  query: { kind: { kind: 'enum', values: ['user', 'guest'] } },
  body: Type.Object({
    auth: Type.Optional(AuthDict),
    username: Type.Optional(Str(255)),
    password: Type.Optional(Str(1024)),
    device_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    initial_device_display_name: Type.Optional(Str(255)),
    inhibit_login: Type.Optional(Type.Boolean()),
    refresh_token: Type.Optional(Type.Boolean()),
  }),
  response: responds<{ user_id: string; access_token?: string; device_id?: string; home_server?: string }>(),
});

export const checkUsernameAvailability = endpoint({
  operationId: 'checkUsernameAvailability',
  method: 'GET',
  path: `${V3}/register/available`,
  auth: 'none',
  rateLimit: 'register',
  query: { username: { kind: 'string', required: true, maxLength: 255 } },
  response: responds<{ available: boolean }>(),
});

export const registrationTokenValidity = endpoint({
  operationId: 'registrationTokenValidity',
  method: 'GET',
  path: '/_matrix/client/v1/register/m.login.registration_token/validity',
  auth: 'none',
  rateLimit: 'register',
  query: { token: { kind: 'string', required: true, maxLength: 255 } },
  response: responds<{ valid: boolean }>(),
});

export const logout = endpoint({
  operationId: 'logout',
  method: 'POST',
  path: `${V3}/logout`,
  auth: 'required',
  optionalBody: true,
  response: responds<Record<string, never>>(),
});

export const logoutAll = endpoint({
  operationId: 'logout_all',
  method: 'POST',
  path: `${V3}/logout/all`,
  auth: 'required',
  optionalBody: true,
  response: responds<Record<string, never>>(),
});

export const getTokenOwner = endpoint({
  operationId: 'getTokenOwner',
  method: 'GET',
  path: `${V3}/account/whoami`,
  auth: 'required',
  response: responds<{ user_id: string; device_id?: string; is_guest?: boolean }>(),
});

export const getCapabilities = endpoint({
  operationId: 'getCapabilities',
  method: 'GET',
  path: `${V3}/capabilities`,
  auth: 'required',
  response: responds<{ capabilities: Record<string, unknown> }>(),
});

/** A profile: display name, avatar, and (v1.16) `m.tz` and any namespaced custom field. */
export interface Profile {
  displayname?: string;
  avatar_url?: string;
  'm.tz'?: string;
  [field: string]: unknown;
}

export const getUserProfile = endpoint({
  operationId: 'getUserProfile',
  method: 'GET',
  path: `${V3}/profile/{userId}`,
  auth: 'optional',
  response: responds<Profile>(),
});

export const getDisplayName = endpoint({
  operationId: 'getDisplayName',
  method: 'GET',
  path: `${V3}/profile/{userId}/displayname`,
  auth: 'optional',
  response: responds<{ displayname?: string }>(),
});

export const setDisplayName = endpoint({
  operationId: 'setDisplayName',
  method: 'PUT',
  path: `${V3}/profile/{userId}/displayname`,
  auth: 'required',
  body: Type.Object({ displayname: Type.Union([Str(256), Type.Null()]) }),
  response: responds<Record<string, never>>(),
});

export const getAvatarUrl = endpoint({
  operationId: 'getAvatarUrl',
  method: 'GET',
  path: `${V3}/profile/{userId}/avatar_url`,
  auth: 'optional',
  response: responds<{ avatar_url?: string }>(),
});

export const setAvatarUrl = endpoint({
  operationId: 'setAvatarUrl',
  method: 'PUT',
  path: `${V3}/profile/{userId}/avatar_url`,
  auth: 'required',
  body: Type.Object({ avatar_url: Type.Union([Str(2048), Type.Null()]) }),
  response: responds<Record<string, never>>(),
});

/** v1.16's extended profile fields (MSC4133): any key the spec's grammar allows. `displayname` and
 *  `avatar_url` have their own descriptors above (the same paths with a fixed last segment). */
export const getProfileField = endpoint({
  operationId: 'getProfileField',
  method: 'GET',
  path: `${V3}/profile/{userId}/{keyName}`,
  auth: 'optional',
  response: responds<Record<string, unknown>>(),
});

export const setProfileField = endpoint({
  operationId: 'setProfileField',
  method: 'PUT',
  path: `${V3}/profile/{userId}/{keyName}`,
  auth: 'required',
  /** "exactly one property", named keyName: checked by the service. */
  body: Type.Record(Type.String(), Type.Unknown()),
  optionalBody: true,
  response: responds<Record<string, never>>(),
});

export const deleteProfileField = endpoint({
  operationId: 'deleteProfileField',
  method: 'DELETE',
  path: `${V3}/profile/{userId}/{keyName}`,
  auth: 'required',
  optionalBody: true,
  response: responds<Record<string, never>>(),
});

export interface DeviceInfo {
  device_id: string;
  display_name?: string;
  last_seen_ip?: string;
  last_seen_ts?: number;
}

export const getDevices = endpoint({
  operationId: 'getDevices',
  method: 'GET',
  path: `${V3}/devices`,
  auth: 'required',
  response: responds<{ devices: DeviceInfo[] }>(),
});

export const getDevice = endpoint({
  operationId: 'getDevice',
  method: 'GET',
  path: `${V3}/devices/{deviceId}`,
  auth: 'required',
  response: responds<DeviceInfo>(),
});

export const updateDevice = endpoint({
  operationId: 'updateDevice',
  method: 'PUT',
  path: `${V3}/devices/{deviceId}`,
  auth: 'required',
  optionalBody: true,
  body: Type.Object({ display_name: Type.Optional(Str(255)) }),
  response: responds<Record<string, never>>(),
});
