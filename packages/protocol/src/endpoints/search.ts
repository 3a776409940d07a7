// Descriptor for server-side search (spec file search.yaml): the `room_events` category only.

import { Type } from '@sinclair/typebox';
import { endpoint, responds } from '../endpoint.ts';
import type { ClientEvent } from '../events.ts';
import { RoomEventFilterSchema } from './filter.ts';

const V3 = '/_matrix/client/v3';

const RoomEventsCriteria = Type.Object({
  search_term: Type.String({ maxLength: 1024 }),
  keys: Type.Optional(Type.Array(Type.Union([Type.Literal('content.body'), Type.Literal('content.name'), Type.Literal('content.topic')]), { maxItems: 3 })),
  filter: Type.Optional(RoomEventFilterSchema),
  order_by: Type.Optional(Type.Union([Type.Literal('recent'), Type.Literal('rank')])),
  event_context: Type.Optional(
    Type.Object({
      before_limit: Type.Optional(Type.Integer({ minimum: 0 })),
      after_limit: Type.Optional(Type.Integer({ minimum: 0 })),
      include_profile: Type.Optional(Type.Boolean()),
    }),
  ),
  include_state: Type.Optional(Type.Boolean()),
  groupings: Type.Optional(
    Type.Object({
      group_by: Type.Optional(Type.Array(Type.Object({ key: Type.Optional(Type.Union([Type.Literal('room_id'), Type.Literal('sender')])) }), { maxItems: 10 })),
    }),
  ),
});

export interface SearchProfile {
  displayname?: string;
  avatar_url?: string;
}

export interface SearchResult {
  rank: number;
  result: ClientEvent;
  context?: {
    start?: string;
    end?: string;
    profile_info?: Record<string, SearchProfile>;
    events_before: ClientEvent[];
    events_after: ClientEvent[];
  };
}

export interface RoomEventsResults {
  count: number;
  highlights: string[];
  results: SearchResult[];
  state?: Record<string, ClientEvent[]>;
  groups?: Record<string, Record<string, { next_batch?: string; order: number; results: string[] }>>;
  next_batch?: string;
}

export interface SearchResponse {
  search_categories: { room_events?: RoomEventsResults };
}

export const search = endpoint({
  operationId: 'search',
  method: 'POST',
  path: `${V3}/search`,
  auth: 'required',
  query: { next_batch: { kind: 'string', maxLength: 256 } },
  body: Type.Object({ search_categories: Type.Object({ room_events: Type.Optional(RoomEventsCriteria) }) }),
  response: responds<SearchResponse>(),
});
