// The receiving side of federation, built once per Federation (decision 0030): the PDU acceptor
// (whose missing events and auth events are asked of the origin with signed requests, within the
// origin's fetch caps, fetch-limits.ts), the
// transaction receiver, server access rules and the reads served to other servers.

import type { Services } from '../../services/index.ts';
import type { Federation } from '../index.ts';
import { DEFAULT_BUCKETS, RateLimiter } from '../../http/rate-limit.ts';
import { RemotePduAcceptor, type RemoteEventSource } from './accept.ts';
import { OriginFetchLimits } from './fetch-limits.ts';
import { ServerAccess } from './access.ts';
import { FederationReads } from './reads.ts';
import { TransactionReceiver } from './transactions.ts';

export interface Inbound {
  acceptor: RemotePduAcceptor;
  access: ServerAccess;
  transactions: TransactionReceiver;
  reads: FederationReads;
  fetchLimits: OriginFetchLimits;
}

const built = new WeakMap<Federation, Inbound>();

/** Signed requests to the origin for events we lack. Answers are untrusted: the acceptor checks them. */
export function remoteEventSource(f: Federation, limits: OriginFetchLimits = new OriginFetchLimits(null)): RemoteEventSource {
  return {
    missingEvents: (origin, roomId, body) =>
      limits.run(origin, [] as unknown[], async () => {
        const res = await f.signedRequest(origin, 'POST', `/_matrix/federation/v1/get_missing_events/${encodeURIComponent(roomId)}`, body);
        const events = res.status === 200 && typeof res.json === 'object' && res.json !== null ? (res.json as { events?: unknown }).events : undefined;
        return Array.isArray(events) ? events : [];
      }),
    event: (origin, eventId) =>
      limits.run(origin, undefined as unknown, async () => {
        const res = await f.signedRequest(origin, 'GET', `/_matrix/federation/v1/event/${encodeURIComponent(eventId)}`);
        const pdus = res.status === 200 && typeof res.json === 'object' && res.json !== null ? (res.json as { pdus?: unknown }).pdus : undefined;
        return Array.isArray(pdus) ? pdus[0] : undefined;
      }),
  };
}

export function inboundFor(f: Federation, s: Services): Inbound {
  let inbound = built.get(f);
  if (!inbound) {
    const db = s.database.db;
    const access = new ServerAccess(db);
    const fetchLimits = new OriginFetchLimits(s.config.rateLimits ? new RateLimiter(DEFAULT_BUCKETS) : null);
    const acceptor = new RemotePduAcceptor(db, s.rooms.writer, f.keyRing, remoteEventSource(f, fetchLimits));
    inbound = {
      fetchLimits,
      acceptor,
      access,
      transactions: new TransactionReceiver(db, acceptor, access, { typing: s.typing, receipts: s.receipts, presence: s.presence, toDevice: s.toDevice, e2eKeys: s.e2eKeys }),
      reads: new FederationReads(db, access, f.serverName),
    };
    built.set(f, inbound);
  }
  return inbound;
}
