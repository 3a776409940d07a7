// A keep-alive node:http client for benchmarks: Node 20's fetch costs ~2 ms of CPU per request
// here, more than the server spends, so it would measure itself.

import http from 'node:http';

export interface Res {
  status: number;
  json: Record<string, unknown>;
}

export class BenchClient {
  private readonly agent: http.Agent;
  private readonly url: URL;

  constructor(baseUrl: string, connections = 10) {
    this.url = new URL(baseUrl);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: connections });
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
      const req = http.request(
        { host: this.url.hostname, port: this.url.port, method, path, headers, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: Record<string, unknown> = {};
            try {
              json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
            } catch {
              json = { raw: text };
            }
            resolve({ status: res.statusCode ?? 0, json });
          });
        },
      );
      req.on('error', reject);
      if (data) req.write(data);
      req.end();
    });
  }

  async ok(method: string, path: string, body?: unknown, token?: string): Promise<Record<string, unknown>> {
    const r = await this.request(method, path, body, token);
    if (r.status !== 200) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
  }

  async register(localpart: string): Promise<{ userId: string; token: string }> {
    const j = await this.ok('POST', '/_matrix/client/v3/register', { username: localpart, password: 'bench-password', auth: { type: 'm.login.dummy' } });
    return { userId: String(j['user_id']), token: String(j['access_token']) };
  }

  close(): void {
    this.agent.destroy();
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export function summarize(samples: number[]): { p50: number; p99: number; n: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: round(percentile(s, 50)), p99: round(percentile(s, 99)), n: s.length };
}

export function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
