// The cross-process bus over PostgreSQL LISTEN/NOTIFY. One dedicated LISTEN connection per process,
// not from the pool: pinged every 30 s (a connection a firewall dropped silently is noticed), and
// reconnected with backoff; notifications sent while it was down are lost, so after a reconnect
// every local waiter is told to re-check ("all"). One more connection publishes what is announced
// after commit, batching what piles up while a NOTIFY is in flight.

import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { frame, unframe, type Bus, type BusMessage } from './bus.ts';

const CHANNEL = 'hush_bus';
/** Listening connections carry this name, so they can be counted (and found by an operator). */
const LISTENER_NAME = 'hush-listen';
const PING_EVERY_MS = 30_000;
const PING_TIMEOUT_MS = 10_000;
const MAX_BACKOFF_MS = 10_000;

export interface BusLog {
  (level: 'info' | 'warn', msg: string, err?: unknown): void;
}

export async function connectPgBus(url: string, log: BusLog = () => undefined): Promise<Bus> {
  const origin = randomBytes(6).toString('hex');
  const handlers: ((m: BusMessage, own: boolean) => void)[] = [];
  const deliver = (m: BusMessage, own: boolean) => {
    for (const h of handlers) {
      try {
        h(m, own);
      } catch (err) {
        log('warn', 'bus message handler failed', err);
      }
    }
  };

  // Publishing after commit: one connection, so announcements leave in the order they were made.
  const publisher = new pg.Pool({ connectionString: url, max: 1, application_name: 'hush-notify' });
  publisher.on('error', (err) => log('warn', 'bus publisher connection lost', err));
  let queue: BusMessage[] = [];
  let flushing: Promise<void> | undefined;
  const kick = () => {
    if (flushing) return;
    flushing = flush().finally(() => {
      flushing = undefined;
      if (queue.length > 0) kick();
    });
  };
  const flush = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      for (const payload of frame(origin, batch)) {
        // Lost announcements cost latency, not data: waiters elsewhere re-check at their timeout.
        await publisher.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]).catch((err: unknown) => log('warn', 'bus publish failed', err));
      }
    }
  };

  let listener: pg.Client | undefined;
  let closed = false;
  let backoff = 100;
  let pingTimer: NodeJS.Timeout | undefined;

  const listen = async (): Promise<void> => {
    const client = new pg.Client({ connectionString: url, application_name: LISTENER_NAME, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
    client.on('notification', (n) => {
      if (n.channel !== CHANNEL || !n.payload) return;
      const f = unframe(n.payload);
      if (f) for (const m of f.messages) deliver(m, f.origin === origin);
    });
    const lost = (err?: unknown) => {
      if (closed || listener !== client) return;
      listener = undefined;
      log('warn', 'bus listener connection lost; reconnecting', err);
      client.end().catch(() => undefined);
      retry();
    };
    client.on('error', lost);
    client.on('end', lost);
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      client.end().catch(() => undefined);
      throw err;
    }
    listener = client;
    backoff = 100;
  };

  const retry = () => {
    setTimeout(() => void reconnect(), backoff).unref();
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  };

  const reconnect = async (): Promise<void> => {
    if (closed || listener) return;
    try {
      await listen();
    } catch (err) {
      log('warn', 'bus listener reconnect failed', err);
      retry();
      return;
    }
    log('info', 'bus listener reconnected');
    // Whatever was announced meanwhile is lost: every waiter re-checks the database.
    deliver({ k: 'all' }, false);
  };

  const ping = async (): Promise<void> => {
    const client = listener;
    if (!client || closed) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
    });
    try {
      await Promise.race([client.query('SELECT 1'), timeout]);
    } catch (err) {
      // A dead connection: drop it (its 'end' may never come) and listen on a new one.
      if (listener === client) client.emit('error', err);
    } finally {
      clearTimeout(timer);
    }
  };

  await listen();
  pingTimer = setInterval(() => void ping(), PING_EVERY_MS);
  pingTimer.unref();

  return {
    channel: CHANNEL,
    publish(m) {
      queue.push(m);
      kick();
    },
    encode: (m) => frame(origin, [m]),
    onMessage(fn) {
      handlers.push(fn);
    },
    async listeners() {
      const r = await publisher.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1',
        [LISTENER_NAME],
      );
      return r.rows[0]?.n ?? 0;
    },
    async close() {
      closed = true;
      clearInterval(pingTimer);
      pingTimer = undefined;
      while (flushing) await flushing;
      const l = listener;
      listener = undefined;
      await Promise.allSettled([l?.end(), publisher.end()]);
    },
  };
}
