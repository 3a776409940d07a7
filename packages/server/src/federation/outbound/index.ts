// Outbound federation, assembled (decision 0031): the durable queue hooked to the room writer
// (every event of ours in a room with other servers), and membership through other servers hooked
// to the room service, the services' EDU hooks (decision 0032), and catch-up: a server that
// contacts us is reachable again (`contacted`). Started by the app when federation is on.

import type { Services } from '../../services/index.ts';
import type { Federation } from '../index.ts';
import { OutboundQueue } from './queue.ts';
import { FederatedMembership } from './membership.ts';
import { startOutboundEdus } from './edus.ts';
import { remoteHierarchy, remotePublicRooms } from './directory.ts';
import { Backfiller } from './backfill.ts';
import { remoteTimestamps } from './timestamp.ts';

/** A server's requests wake its queue at most this often. */
const WAKE_EVERY_MS = 1_000;

export interface Outbound {
  queue: OutboundQueue;
  membership: FederatedMembership;
  /** A signed request from `origin` arrived: send it what is queued, backoff or not. */
  contacted(origin: string): void;
  stop(): Promise<void>;
}

export function startOutbound(f: Federation, s: Services, log?: (level: 'info' | 'warn', msg: string, fields?: object) => void): Outbound {
  const db = s.database.db;
  const queue = new OutboundQueue(db, f.serverName, f, log ? { log } : {});
  const writer = s.rooms.writer;
  s.outbound.federate = (tx, row, pdu) => queue.queueEvent(tx, row, pdu);
  s.outbound.federateQueued = (destinations) => queue.poke(destinations);
  const membership = new FederatedMembership(db, f, writer, queue, s.caches.ignoreViews, (userId, roomId, sender) => s.rooms.rejectArrivedInvite(userId, roomId, sender));
  s.rooms.remote = membership;
  s.publicRooms.remote = (server, q) => remotePublicRooms(f, server, q);
  s.spaces.remote = remoteHierarchy(f);
  const backfiller = new Backfiller(db, f);
  s.reads.backfill = (roomId, wanted) => backfiller.backfill(roomId, wanted);
  s.timestamps.remote = remoteTimestamps(f, backfiller);
  // Invite rejections left pending, before a restart too (decision 0039).
  s.rooms.rejections.start();
  const stopEdus = startOutboundEdus(f, s, queue, log);
  queue.start();
  const woken = new Map<string, number>();
  return {
    queue,
    membership,
    contacted: (origin) => {
      const now = Date.now();
      if ((woken.get(origin) ?? 0) > now - WAKE_EVERY_MS) return;
      if (woken.size > 10_000) woken.clear();
      woken.set(origin, now);
      queue.wake(origin);
      void s.rooms.rejections.wake(origin).catch(() => undefined);
    },
    stop: async () => {
      stopEdus();
      delete s.outbound.federate;
      delete s.outbound.federateQueued;
      s.rooms.remote = null;
      s.publicRooms.remote = null;
      s.spaces.remote = null;
      s.timestamps.remote = null;
      await s.rooms.rejections.stop();
      s.reads.backfill = null;
      await queue.stop();
    },
  };
}
