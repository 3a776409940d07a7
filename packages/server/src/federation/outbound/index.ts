// Outbound federation, assembled (decision 0031): the durable queue hooked to the room writer
// (every event of ours in a room with other servers), and membership through other servers hooked
// to the room service. Started by the app when federation is on.

import type { Services } from '../../services/index.ts';
import type { Federation } from '../index.ts';
import { OutboundQueue } from './queue.ts';
import { FederatedMembership } from './membership.ts';

export interface Outbound {
  queue: OutboundQueue;
  membership: FederatedMembership;
  stop(): Promise<void>;
}

export function startOutbound(f: Federation, s: Services, log?: (level: 'info' | 'warn', msg: string, fields?: object) => void): Outbound {
  const db = s.database.db;
  const queue = new OutboundQueue(db, f.serverName, f, log ? { log } : {});
  const writer = s.rooms.writer;
  writer.onFederate = (tx, row, pdu) => queue.queueEvent(tx, row, pdu);
  writer.onFederateQueued = (destinations) => queue.poke(destinations);
  const membership = new FederatedMembership(db, f, writer, queue);
  s.rooms.remote = membership;
  queue.start();
  return {
    queue,
    membership,
    stop: async () => {
      writer.onFederate = null;
      writer.onFederateQueued = null;
      s.rooms.remote = null;
      await queue.stop();
    },
  };
}
