// Descriptors for stored filters (spec file filter.yaml) and the Filter schema (definitions
// sync_filter.yaml, room_event_filter.yaml, event_filter.yaml). Every field is optional; unknown
// fields are allowed. `limit` is only checked to be a non-negative integer: servers clamp it.

import { Type, type Static } from '@sinclair/typebox';
import { endpoint, responds } from '../endpoint.ts';
import type { EventFilter, Filter, RoomEventFilter, RoomFilter } from '../responses.ts';

const V3 = '/_matrix/client/v3';

const MAX_ITEMS = 1000;
const StrList = (maxLength = 255) => Type.Array(Type.String({ maxLength }), { maxItems: MAX_ITEMS });

const eventFilterFields = {
  limit: Type.Optional(Type.Integer({ minimum: 0 })),
  types: Type.Optional(StrList()),
  not_types: Type.Optional(StrList()),
  senders: Type.Optional(StrList()),
  not_senders: Type.Optional(StrList()),
};

export const EventFilterSchema = Type.Object(eventFilterFields);

export const RoomEventFilterSchema = Type.Object({
  ...eventFilterFields,
  rooms: Type.Optional(StrList()),
  not_rooms: Type.Optional(StrList()),
  contains_url: Type.Optional(Type.Boolean()),
  lazy_load_members: Type.Optional(Type.Boolean()),
  include_redundant_members: Type.Optional(Type.Boolean()),
  unread_thread_notifications: Type.Optional(Type.Boolean()),
});

export const RoomFilterSchema = Type.Object({
  rooms: Type.Optional(StrList()),
  not_rooms: Type.Optional(StrList()),
  include_leave: Type.Optional(Type.Boolean()),
  ephemeral: Type.Optional(RoomEventFilterSchema),
  state: Type.Optional(RoomEventFilterSchema),
  timeline: Type.Optional(RoomEventFilterSchema),
  account_data: Type.Optional(RoomEventFilterSchema),
});

export const FilterSchema = Type.Object({
  event_fields: Type.Optional(StrList(1024)),
  event_format: Type.Optional(Type.Union([Type.Literal('client'), Type.Literal('federation')])),
  presence: Type.Optional(EventFilterSchema),
  account_data: Type.Optional(EventFilterSchema),
  room: Type.Optional(RoomFilterSchema),
});

// The schemas and the hand-written interfaces in responses.ts must describe the same objects.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const filterTypesAgree: [
  Same<Static<typeof EventFilterSchema>, EventFilter>,
  Same<Static<typeof RoomEventFilterSchema>, RoomEventFilter>,
  Same<Static<typeof RoomFilterSchema>, RoomFilter>,
  Same<Static<typeof FilterSchema>, Filter>,
] = [true, true, true, true];
void filterTypesAgree;

export const defineFilter = endpoint({
  operationId: 'defineFilter',
  method: 'POST',
  path: `${V3}/user/{userId}/filter`,
  auth: 'required',
  body: FilterSchema,
  response: responds<{ filter_id: string }>(),
});

export const getFilter = endpoint({
  operationId: 'getFilter',
  method: 'GET',
  path: `${V3}/user/{userId}/filter/{filterId}`,
  auth: 'required',
  response: responds<Filter>(),
});
