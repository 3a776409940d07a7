// A push gateway for tests: a node:http server on loopback that takes POST /_matrix/push/v1/notify,
// keeps every notification with the time it arrived, and answers 500 to the next `failNext`
// requests, or `{ rejected }` when asked to.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Notification = any;

export interface Received {
  notification: Notification;
  at: number;
  status: number;
}

export interface PushGateway {
  url: string;
  received: Received[];
  /** Answer 500 to this many of the next requests. */
  failNext: number;
  /** Pushkeys to list as `rejected` in 200 answers. */
  reject: Set<string>;
  /** Resolves when a notification for `eventId` was answered 200 (or after `ms`, with undefined). */
  waitFor(eventId: string, ms?: number): Promise<Received | undefined>;
  close(): Promise<void>;
}

export async function startPushGateway(): Promise<PushGateway> {
  const waiters: (() => void)[] = [];
  const gw: PushGateway = {
    url: '',
    received: [],
    failNext: 0,
    reject: new Set(),
    waitFor: (eventId, ms = 15_000) =>
      new Promise((resolve) => {
        const check = () => gw.received.find((r) => r.status === 200 && r.notification?.event_id === eventId);
        const hit = check();
        if (hit) return resolve(hit);
        const timer = setTimeout(() => resolve(undefined), ms);
        const w = () => {
          const h = check();
          if (!h) return;
          clearTimeout(timer);
          resolve(h);
        };
        waiters.push(w);
      }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      let notification: Notification;
      try {
        notification = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { notification: Notification }).notification;
      } catch {
        notification = undefined;
      }
      let status = 200;
      if (req.url !== '/_matrix/push/v1/notify' || req.method !== 'POST') status = 404;
      else if (gw.failNext > 0) {
        gw.failNext--;
        status = 500;
      }
      gw.received.push({ notification, at, status });
      const rejected = status === 200 ? (notification?.devices ?? []).map((d: { pushkey: string }) => d.pushkey).filter((k: string) => gw.reject.has(k)) : [];
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status === 200 ? JSON.stringify({ rejected }) : '{"error":"try later"}');
      for (const w of [...waiters]) w();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  gw.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/_matrix/push/v1/notify`;
  return gw;
}
