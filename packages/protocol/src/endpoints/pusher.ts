// Descriptors for pushers (spec file pusher.yaml): list them, and create, change or delete one.

import { Type } from '@sinclair/typebox';
import { endpoint, responds } from '../endpoint.ts';
import type { JsonObject } from '../events.ts';

const V3 = '/_matrix/client/v3';

/** One pusher as GET /pushers lists it. */
export interface Pusher {
  pushkey: string;
  kind: string;
  app_id: string;
  app_display_name: string;
  device_display_name: string;
  profile_tag?: string;
  lang: string;
  data: JsonObject;
}

export const getPushers = endpoint({
  operationId: 'getPushers',
  method: 'GET',
  path: `${V3}/pushers`,
  auth: 'required',
  response: responds<{ pushers: Pusher[] }>(),
});

/** Types are checked here (M_BAD_JSON); which fields are required — all three keys always, the
 *  rest when `kind` is not null — and the http URL are the server's checks (M_MISSING_PARAM,
 *  M_INVALID_PARAM), as the spec's example answers "Missing parameters: lang, data". */
export const postPusher = endpoint({
  operationId: 'postPusher',
  method: 'POST',
  path: `${V3}/pushers/set`,
  auth: 'required',
  body: Type.Object({
    pushkey: Type.Optional(Type.String()),
    kind: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    app_id: Type.Optional(Type.String()),
    app_display_name: Type.Optional(Type.String()),
    device_display_name: Type.Optional(Type.String()),
    profile_tag: Type.Optional(Type.String()),
    lang: Type.Optional(Type.String()),
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    append: Type.Optional(Type.Boolean()),
  }),
  response: responds<Record<string, never>>(),
});
