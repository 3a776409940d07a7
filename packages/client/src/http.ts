// Typed requests over the endpoint descriptors the server routes (@hush/protocol `api.*`): path
// parameters filled and encoded, query parameters written by their declared kinds, the token in the
// Authorization header, 429 retried after `retry_after_ms` (or Retry-After), errors typed, every
// attempt bounded by a timeout, and success answers checked against the response schemas.

import { fillPath, type BodyOf, type Endpoint, type ParamsOf, type QueryParamsOf, type QuerySpec, type ResponseOf } from '@hush/protocol';
import { BadResponseError, NetworkError, TimeoutError, toMatrixError } from './errors.ts';
import { responseProblem } from './responses.ts';

export interface RequestArgs<E> {
  params?: ParamsOf<E>;
  query?: QueryParamsOf<E>;
  body?: BodyOf<E>;
  signal?: AbortSignal;
  /** This request's time limit, instead of the client's `timeoutMs` (a long-poll adds its wait). */
  timeoutMs?: number;
}

export interface HttpOptions {
  baseUrl: string;
  accessToken?: string;
  fetch?: typeof fetch;
  /** 429 answers retried before the error is thrown (default 3). */
  maxRetries?: number;
  /** How long one attempt may take, from connecting to the last byte of the body, before it is
   *  abandoned with a TimeoutError (default 30 s; 0: no limit). */
  timeoutMs?: number;
}

const MAX_RETRY_WAIT_MS = 30_000;
export const DEFAULT_TIMEOUT_MS = 30_000;

/** "30 s", "1.5 s", "500 ms". */
export const describeMs = (ms: number): string => (ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`);

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
  readonly timeoutMs: number;

  constructor(opts: HttpOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.accessToken = opts.accessToken;
    this.doFetch = opts.fetch ?? ((...a) => fetch(...a));
    this.maxRetries = opts.maxRetries ?? 3;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(Number.isFinite(this.timeoutMs) && this.timeoutMs >= 0)) throw new RangeError(`timeoutMs must be 0 or more, not ${this.timeoutMs}`);
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
    const limit = args.timeoutMs ?? this.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      const { status, statusText, contentType, retryAfter, text } = await this.attempt(url, init, limit, args.signal);
      let body: unknown;
      try {
        body = text.length > 0 ? JSON.parse(text) : {};
      } catch {
        const what = contentType ? `a ${contentType.split(';')[0]?.trim()} body` : 'a body';
        throw new BadResponseError(`${this.baseUrl} answered ${status}${statusText ? ` ${statusText}` : ''} with ${what} that is not JSON (is it a Matrix homeserver?)`, url, status, 'not JSON');
      }
      if (status >= 200 && status < 300) {
        const problem = responseProblem(ep.operationId, body);
        if (problem !== undefined) throw new BadResponseError(`${this.baseUrl} did not answer like a Matrix homeserver (${ep.operationId}: ${problem})`, url, status, problem);
        return body as ResponseOf<E>;
      }
      const err = toMatrixError(status, body);
      if (status !== 429 || attempt >= this.maxRetries) throw err;
      await sleep(retryDelayMs(err.retryAfterMs, retryAfter), args.signal);
    }
  }

  /** One request and its whole body, abandoned after `limit` ms. The timer is an ordinary (ref'd)
   *  one, unlike AbortSignal.timeout's, so a connection that never answers cannot let the process
   *  end with the request unsettled; and the fetch is raced against the abort, so even a fetch that
   *  ignores its signal cannot hang the caller. */
  private async attempt(url: string, init: RequestInit, limit: number, outer: AbortSignal | undefined) {
    const ctl = new AbortController();
    let timedOut = false;
    const timer =
      limit > 0
        ? setTimeout(() => {
            timedOut = true;
            ctl.abort(new DOMException(`no answer within ${describeMs(limit)}`, 'TimeoutError'));
          }, limit)
        : undefined;
    const forward = () => ctl.abort(outer?.reason);
    if (outer?.aborted) forward();
    else outer?.addEventListener('abort', forward, { once: true });
    const aborted = new Promise<never>((_, reject) => {
      const fail = () => reject(ctl.signal.reason);
      if (ctl.signal.aborted) fail();
      else ctl.signal.addEventListener('abort', fail, { once: true });
    });
    aborted.catch(() => undefined);
    try {
      const res = await Promise.race([this.doFetch(url, { ...init, signal: ctl.signal }), aborted]);
      const text = await Promise.race([res.text(), aborted]);
      return { status: res.status, statusText: res.statusText, contentType: res.headers.get('content-type'), retryAfter: res.headers.get('retry-after'), text };
    } catch (err) {
      if (outer?.aborted) throw outer.reason ?? err;
      if (timedOut) throw new TimeoutError(`cannot reach ${this.baseUrl}: no answer within ${describeMs(limit)}`, url, limit);
      const why = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
      throw new NetworkError(`cannot reach ${this.baseUrl}: ${why}`, url, err);
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', forward);
    }
  }
}
