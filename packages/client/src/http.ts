// Typed requests over the endpoint descriptors the server routes (@hush/spec `api.*`): path
// parameters filled and encoded, query parameters written by their declared kinds, the token in the
// Authorization header, 429 retried after `retry_after_ms` (or Retry-After), errors typed.

import { fillPath, type BodyOf, type Endpoint, type ParamsOf, type QueryParamsOf, type QuerySpec, type ResponseOf } from '@hush/spec';
import { NetworkError, toMatrixError } from './errors.ts';

export interface RequestArgs<E> {
  params?: ParamsOf<E>;
  query?: QueryParamsOf<E>;
  body?: BodyOf<E>;
  signal?: AbortSignal;
}

export interface HttpOptions {
  baseUrl: string;
  accessToken?: string;
  fetch?: typeof fetch;
  /** 429 answers retried before the error is thrown (default 3). */
  maxRetries?: number;
}

const MAX_RETRY_WAIT_MS = 30_000;

function queryString(spec: QuerySpec | undefined, q: Record<string, unknown> | undefined): string {
  if (!spec || !q) return '';
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    out.set(k, spec[k]?.kind === 'json' ? JSON.stringify(v) : String(v));
  }
  const s = out.toString();
  return s ? `?${s}` : '';
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** How long a 429 asks to wait: `retry_after_ms`, else `Retry-After` (seconds or an HTTP date). */
export function retryDelayMs(retryAfterMs: number | undefined, header: string | null, now = Date.now()): number {
  if (retryAfterMs !== undefined && retryAfterMs >= 0) return Math.min(retryAfterMs, MAX_RETRY_WAIT_MS);
  if (header !== null && header.trim() !== '') {
    const seconds = Number(header);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, MAX_RETRY_WAIT_MS);
    const date = Date.parse(header);
    if (Number.isFinite(date)) return Math.min(Math.max(date - now, 0), MAX_RETRY_WAIT_MS);
  }
  return 1000;
}

export class HttpClient {
  baseUrl: string;
  accessToken: string | undefined;
  private readonly doFetch: typeof fetch;
  private readonly maxRetries: number;

  constructor(opts: HttpOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.accessToken = opts.accessToken;
    this.doFetch = opts.fetch ?? ((...a) => fetch(...a));
    this.maxRetries = opts.maxRetries ?? 3;
  }

  async request<E extends Endpoint>(ep: E, args: RequestArgs<E> = {}): Promise<ResponseOf<E>> {
    const url = `${this.baseUrl}${fillPath(ep.path, (args.params ?? {}) as Record<string, string>)}${queryString(ep.query, args.query as Record<string, unknown> | undefined)}`;
    const headers: Record<string, string> = {};
    if (this.accessToken !== undefined && ep.auth !== 'none') headers['authorization'] = `Bearer ${this.accessToken}`;
    const init: RequestInit = { method: ep.method, headers, ...(args.signal ? { signal: args.signal } : {}) };
    if (args.body !== undefined || ep.method === 'POST' || ep.method === 'PUT') {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(args.body ?? {});
    }
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      let text: string;
      try {
        res = await this.doFetch(url, init);
        text = await res.text();
      } catch (err) {
        if (args.signal?.aborted) throw err;
        const why = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
        throw new NetworkError(`cannot reach ${this.baseUrl}: ${why}`, url, err);
      }
      let body: unknown;
      try {
        body = text.length > 0 ? JSON.parse(text) : {};
      } catch {
        throw new NetworkError(`${this.baseUrl} answered ${res.status} with something that is not JSON (is it a Matrix homeserver?)`, url);
      }
      if (res.ok) return body as ResponseOf<E>;
      const err = toMatrixError(res.status, body);
      if (res.status !== 429 || attempt >= this.maxRetries) throw err;
      await sleep(retryDelayMs(err.retryAfterMs, res.headers.get('retry-after')), args.signal);
    }
  }
}
