// A keep-alive node:http(s) client for benchmarks, and the few statistics helpers the scenarios share.
// Node 20's fetch costs ~2 ms of CPU per request here, more than the server spends: it would
// measure itself. Only the Matrix client-server API is used, so any homeserver can be measured.

import http from 'node:http';
import https from 'node:https';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface Res {
  status: number;
  json: Json;
  bytes: number;
  headers: http.IncomingHttpHeaders;
}

export interface Session {
  userId: string;
  token: string;
}

export const V3 = '/_matrix/client/v3';
export const enc = encodeURIComponent;

export class BenchClient {
  private readonly agent: http.Agent;
  private readonly url: URL;
  private readonly transport: typeof http | typeof https;

  constructor(
    readonly baseUrl: string,
    connections = 10,
  ) {
    this.url = new URL(baseUrl);
    this.transport = this.url.protocol === 'https:' ? https : http;
    this.agent = new this.transport.Agent({ keepAlive: true, maxSockets: connections });
  }

  request(method: string, path: string, body?: unknown, token?: string): Promise<Res> {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = {};
    if (data) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = data.length;
    }
    if (token) headers['authorization'] = `Bearer ${token}`;
    return new Promise((resolve, reject) => {
      const req = this.transport.request({ host: this.url.hostname, port: this.url.port, method, path, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const buf = Buffer.concat(chunks);
          let json: Json = {};
          try {
            json = buf.length > 0 ? JSON.parse(buf.toString('utf8')) : {};
          } catch {
            json = { raw: buf.toString('utf8').slice(0, 500) };
          }
          resolve({ status: res.statusCode ?? 0, json, bytes: buf.length, headers: res.headers });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      if (data) req.write(data);
      req.end();
    });
  }

  async ok(method: string, path: string, body?: unknown, token?: string): Promise<Json> {
    return (await this.okRes(method, path, body, token)).json;
  }

  async okRes(method: string, path: string, body?: unknown, token?: string): Promise<Res> {
    const r = await this.request(method, path, body, token);
    if (r.status !== 200) throw new Error(`${method} ${this.baseUrl}${path.slice(0, 200)}: ${r.status} ${JSON.stringify(r.json).slice(0, 500)}`);
    return r;
  }

  /** Two-step user-interactive registration: the 401 challenge, then m.login.dummy with its session. */
  async register(localpart: string, password = 'bench-password-1'): Promise<Session> {
    const body = { username: localpart, password, initial_device_display_name: 'hush bench' };
    const first = await this.request('POST', `${V3}/register`, body);
    if (first.status !== 401 || typeof first.json?.session !== 'string') {
      throw new Error(`register ${localpart} (challenge): ${first.status} ${JSON.stringify(first.json)} — registration must be open with m.login.dummy`);
    }
    const j = await this.ok('POST', `${V3}/register`, { ...body, auth: { type: 'm.login.dummy', session: first.json.session } });
    return { userId: String(j.user_id), token: String(j.access_token) };
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs `jobs` async jobs with at most `concurrency` in flight. */
export async function pool<T>(count: number, concurrency: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await job(i);
      }
    }),
  );
  return out;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export interface Summary {
  p50: number;
  p99: number;
  n: number;
}

export function summarize(samples: number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: round(percentile(s, 50)), p99: round(percentile(s, 99)), n: s.length };
}

export function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
