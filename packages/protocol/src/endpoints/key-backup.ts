// Descriptors for server-side key backup (spec file key_backup.yaml): backup versions and the
// encrypted room keys stored in them, by room and session. The key data is opaque to the server
// except for the three fields its replacement rules read.

import { Type } from '@sinclair/typebox';
import { endpoint, responds } from '../endpoint.ts';

const V3 = '/_matrix/client/v3';
const Str = (max: number) => Type.String({ maxLength: max });
const AnyObject = Type.Record(Type.String(), Type.Unknown());

/** KeyBackupData (definitions/key_backup_data.yaml). */
const KeyBackupData = Type.Object({
  first_message_index: Type.Integer({ minimum: 0, maximum: 2 ** 53 - 1 }),
  forwarded_count: Type.Integer({ minimum: 0, maximum: 2 ** 53 - 1 }),
  is_verified: Type.Boolean(),
  session_data: AnyObject,
});
const Sessions = Type.Object({ sessions: Type.Record(Str(255), KeyBackupData, { maxProperties: 10000 }) });

export interface BackupKeyData {
  first_message_index: number;
  forwarded_count: number;
  is_verified: boolean;
  session_data: Record<string, unknown>;
}
export interface BackupVersionInfo {
  algorithm: string;
  auth_data: Record<string, unknown>;
  count: number;
  etag: string;
  version: string;
}
type UpdateResponse = { etag: string; count: number };

const VersionBody = Type.Object({ algorithm: Str(255), auth_data: AnyObject, version: Type.Optional(Str(255)) });
const versionQuery = { version: { kind: 'string', required: true, maxLength: 255 } } as const;

export const postRoomKeysVersion = endpoint({
  operationId: 'postRoomKeysVersion',
  method: 'POST',
  path: `${V3}/room_keys/version`,
  auth: 'required',
  body: Type.Object({ algorithm: Str(255), auth_data: AnyObject }),
  response: responds<{ version: string }>(),
});

export const getRoomKeysVersionCurrent = endpoint({
  operationId: 'getRoomKeysVersionCurrent',
  method: 'GET',
  path: `${V3}/room_keys/version`,
  auth: 'required',
  response: responds<BackupVersionInfo>(),
});

export const getRoomKeysVersion = endpoint({
  operationId: 'getRoomKeysVersion',
  method: 'GET',
  path: `${V3}/room_keys/version/{version}`,
  auth: 'required',
  response: responds<BackupVersionInfo>(),
});

export const putRoomKeysVersion = endpoint({
  operationId: 'putRoomKeysVersion',
  method: 'PUT',
  path: `${V3}/room_keys/version/{version}`,
  auth: 'required',
  body: VersionBody,
  response: responds<Record<string, never>>(),
});

export const deleteRoomKeysVersion = endpoint({
  operationId: 'deleteRoomKeysVersion',
  method: 'DELETE',
  path: `${V3}/room_keys/version/{version}`,
  auth: 'required',
  optionalBody: true,
  response: responds<Record<string, never>>(),
});

export const putRoomKeys = endpoint({
  operationId: 'putRoomKeys',
  method: 'PUT',
  path: `${V3}/room_keys/keys`,
  auth: 'required',
  query: versionQuery,
  body: Type.Object({ rooms: Type.Record(Str(255), Sessions, { maxProperties: 10000 }) }),
  response: responds<UpdateResponse>(),
});

export const getRoomKeys = endpoint({
  operationId: 'getRoomKeys',
  method: 'GET',
  path: `${V3}/room_keys/keys`,
  auth: 'required',
  query: versionQuery,
  response: responds<{ rooms: Record<string, { sessions: Record<string, BackupKeyData> }> }>(),
});

export const deleteRoomKeys = endpoint({
  operationId: 'deleteRoomKeys',
  method: 'DELETE',
  path: `${V3}/room_keys/keys`,
  auth: 'required',
  optionalBody: true,
  query: versionQuery,
  response: responds<UpdateResponse>(),
});

export const putRoomKeysByRoomId = endpoint({
  operationId: 'putRoomKeysByRoomId',
  method: 'PUT',
  path: `${V3}/room_keys/keys/{roomId}`,
  auth: 'required',
  query: versionQuery,
  body: Sessions,
  response: responds<UpdateResponse>(),
});

export const getRoomKeysByRoomId = endpoint({
  operationId: 'getRoomKeysByRoomId',
  method: 'GET',
  path: `${V3}/room_keys/keys/{roomId}`,
  auth: 'required',
  query: versionQuery,
  response: responds<{ sessions: Record<string, BackupKeyData> }>(),
});

export const deleteRoomKeysByRoomId = endpoint({
  operationId: 'deleteRoomKeysByRoomId',
  method: 'DELETE',
  path: `${V3}/room_keys/keys/{roomId}`,
  auth: 'required',
  optionalBody: true,
  query: versionQuery,
  response: responds<UpdateResponse>(),
});

export const putRoomKeyBySessionId = endpoint({
  operationId: 'putRoomKeyBySessionId',
  method: 'PUT',
  path: `${V3}/room_keys/keys/{roomId}/{sessionId}`,
  auth: 'required',
  query: versionQuery,
  body: KeyBackupData,
  response: responds<UpdateResponse>(),
});

export const getRoomKeyBySessionId = endpoint({
  operationId: 'getRoomKeyBySessionId',
  method: 'GET',
  path: `${V3}/room_keys/keys/{roomId}/{sessionId}`,
  auth: 'required',
  query: versionQuery,
  response: responds<BackupKeyData>(),
});

export const deleteRoomKeyBySessionId = endpoint({
  operationId: 'deleteRoomKeyBySessionId',
  method: 'DELETE',
  path: `${V3}/room_keys/keys/{roomId}/{sessionId}`,
  auth: 'required',
  optionalBody: true,
  query: versionQuery,
  response: responds<UpdateResponse>(),
});
