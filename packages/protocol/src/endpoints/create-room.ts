// Descriptor for room creation (spec file create_room.yaml).

import { Type } from '@sinclair/typebox';
import { endpoint, responds } from '../endpoint.ts';

const V3 = '/_matrix/client/v3';

const Str = (max = 4096) => Type.String({ maxLength: max });
const AnyObject = Type.Record(Type.String(), Type.Unknown());

const Invite3pid = Type.Object({
  id_server: Str(255),
  id_access_token: Str(1024),
  medium: Str(255),
  address: Str(1024),
});

const InitialStateEvent = Type.Object({
  type: Str(255),
  state_key: Type.Optional(Str(255)),
  content: AnyObject,
});

export const createRoom = endpoint({
  operationId: 'createRoom',
  method: 'POST',
  path: `${V3}/createRoom`,
  auth: 'required',
  optionalBody: true,
  body: Type.Object({
    visibility: Type.Optional(Type.Union([Type.Literal('public'), Type.Literal('private')])),
    room_alias_name: Type.Optional(Str(255)),
    name: Type.Optional(Str(1024)),
    topic: Type.Optional(Str(16384)),
    invite: Type.Optional(Type.Array(Str(255), { maxItems: 1000 })),
    invite_3pid: Type.Optional(Type.Array(Invite3pid, { maxItems: 1000 })),
    room_version: Type.Optional(Str(32)),
    creation_content: Type.Optional(AnyObject),
    initial_state: Type.Optional(Type.Array(InitialStateEvent, { maxItems: 1000 })),
    preset: Type.Optional(Type.Union([Type.Literal('private_chat'), Type.Literal('public_chat'), Type.Literal('trusted_private_chat')])),
    is_direct: Type.Optional(Type.Boolean()),
    power_level_content_override: Type.Optional(AnyObject),
  }),
  response: responds<{ room_id: string }>(),
});
