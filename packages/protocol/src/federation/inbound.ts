// Server-server API descriptors of the receiving side (spec v1.11: transactions.yaml, events.yaml,
// backfill.yaml, event_auth.yaml): transactions of PDUs and EDUs, and the reads other servers make
// of rooms they share with us. Every one is signed (X-Matrix).

import { Type } from '@sinclair/typebox';
import { endpoint, responds } from '../endpoint.ts';

/** A PDU as it travels: validated by the receiver against the room version, never trusted here. */
export type FederationPdu = Record<string, unknown>;

export interface SendTransactionResponse {
  pdus: Record<string, { error?: string }>;
}

export interface PduListResponse {
  origin: string;
  origin_server_ts: number;
  pdus: FederationPdu[];
}

export interface RoomStateResponse {
  auth_chain: FederationPdu[];
  pdus: FederationPdu[];
}

export interface RoomStateIdsResponse {
  auth_chain_ids: string[];
  pdu_ids: string[];
}

/** "at most 50 PDUs and 100 EDUs" per transaction. */
export const MAX_TXN_PDUS = 50;
export const MAX_TXN_EDUS = 100;

export const sendTransaction = endpoint({
  operationId: 'sendTransaction',
  method: 'PUT',
  path: '/_matrix/federation/v1/send/{txnId}',
  auth: 'none',
  body: Type.Object({
    origin: Type.String({ maxLength: 255 }),
    origin_server_ts: Type.Integer(),
    pdus: Type.Array(Type.Unknown(), { maxItems: MAX_TXN_PDUS }),
    edus: Type.Optional(Type.Array(Type.Unknown(), { maxItems: MAX_TXN_EDUS })),
  }),
  response: responds<SendTransactionResponse>(),
});

export const getEvent = endpoint({
  operationId: 'getEvent',
  method: 'GET',
  path: '/_matrix/federation/v1/event/{eventId}',
  auth: 'none',
  response: responds<PduListResponse>(),
});

export const getRoomState = endpoint({
  operationId: 'getRoomState',
  method: 'GET',
  path: '/_matrix/federation/v1/state/{roomId}',
  auth: 'none',
  query: { event_id: { kind: 'string', required: true, maxLength: 255 } },
  response: responds<RoomStateResponse>(),
});

export const getRoomStateIds = endpoint({
  operationId: 'getRoomStateIds',
  method: 'GET',
  path: '/_matrix/federation/v1/state_ids/{roomId}',
  auth: 'none',
  query: { event_id: { kind: 'string', required: true, maxLength: 255 } },
  response: responds<RoomStateIdsResponse>(),
});

export const getEventAuth = endpoint({
  operationId: 'getEventAuth',
  method: 'GET',
  path: '/_matrix/federation/v1/event_auth/{roomId}/{eventId}',
  auth: 'none',
  response: responds<{ auth_chain: FederationPdu[] }>(),
});

/** `v` (the events to start from) may repeat, so the handler reads it from the raw query. */
export const backfillRoom = endpoint({
  operationId: 'backfillRoom',
  method: 'GET',
  path: '/_matrix/federation/v1/backfill/{roomId}',
  auth: 'none',
  query: { limit: { kind: 'int', required: true, min: 0, max: Number.MAX_SAFE_INTEGER } },
  response: responds<PduListResponse>(),
});

export const getMissingPreviousEvents = endpoint({
  operationId: 'getMissingPreviousEvents',
  method: 'POST',
  path: '/_matrix/federation/v1/get_missing_events/{roomId}',
  auth: 'none',
  body: Type.Object({
    limit: Type.Optional(Type.Integer()),
    min_depth: Type.Optional(Type.Integer()),
    earliest_events: Type.Array(Type.String({ maxLength: 255 }), { maxItems: 100 }),
    latest_events: Type.Array(Type.String({ maxLength: 255 }), { maxItems: 100 }),
  }),
  response: responds<{ events: FederationPdu[] }>(),
});

/** The operations above, all signed. */
export const INBOUND_SIGNED_OPERATIONS = ['sendTransaction', 'getEvent', 'getRoomState', 'getRoomStateIds', 'getEventAuth', 'backfillRoom', 'getMissingPreviousEvents'] as const;
