// The cross-process bus over PostgreSQL LISTEN/NOTIFY: one dedicated LISTEN connection per process
// (reconnected with backoff; after a reconnect every local waiter is woken to re-check, since
// notifications sent meanwhile are lost), and a one-connection pool to publish. Payloads over
// PostgreSQL's limit become "everyone re-check".

import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Bus, BusMessage } from './bus.ts';

const CHANNEL = 'hush_bus';
/** NOTIFY payloads must stay under 8000 bytes. */
const MAX_PAYLOAD = 7_900;

export async function connectPgBus(url: string): Promise<Bus> {
  const origin = randomBytes(6).toString('hex');
  const handlers: ((m: BusMessage) => void)[] = [];
  const deliver = (m: BusMessage) => {
    for (const h of handlers) h(m);
  };
  const publisher = new pg.Pool({ connectionString: url, max: 1 });
  publisher.on('error', () => undefined);
  let listener: pg.Client | undefined;
  let closed = false;
  let backoff = 100;

  const listen = async (): Promise<void> => {
    const client = new pg.Client({ connectionString: url });
    client.on('notification', (n) => {
      if (!n.payload) return;
      try {
        const { o, m } = JSON.parse(n.payload) as { o: string; m: BusMessage };
        if (o !== origin) deliver(m);
      } catch {
        // not ours
      }
    });
    const lost = () => {
      if (closed || listener !== client) return;
      listener = undefined;
      client.end().catch(() => undefined);
      setTimeout(() => void reconnect(), backoff);
      backoff = Math.min(backoff * 2, 10_000);
    };
    client.on('error', lost);
    client.on('end', lost);
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    listener = client;
    backoff = 100;
  };

  const reconnect = async (): Promise<void> => {
    if (closed) return;
    try {
      await listen();
      deliver({ k: 'all' });
    } catch {
      setTimeout(() => void reconnect(), backoff);
      backoff = Math.min(backoff * 2, 10_000);
    }
  };

  await listen();
  return {
    publish(m) {
      let payload = JSON.stringify({ o: origin, m });
      if (payload.length > MAX_PAYLOAD) payload = JSON.stringify({ o: origin, m: { k: 'all' } });
      publisher.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]).catch(() => undefined);
    },
    onMessage(fn) {
      handlers.push(fn);
    },
    async close() {
      closed = true;
      const l = listener;
      listener = undefined;
      await Promise.allSettled([l?.end(), publisher.end()]);
    },
  };
}
