// HttpClient against fake fetch functions: requests built from the descriptors (path encoding, query
// parameters by kind, the token only where the endpoint takes one), 429 retried after
// retry_after_ms or Retry-After, errors typed by errcode, NetworkError when no Matrix answer comes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, MatrixError } from '@hush/spec';
import { HttpClient, retryDelayMs } from './http.ts';
import { InviteBlockedError, NetworkError, SenderIgnoredError, toMatrixError } from './errors.ts';

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

function recording(answer: () => Response = () => json(200, {})) {
  const seen: { url: string; init: RequestInit | undefined }[] = [];
  const http = new HttpClient({ baseUrl: 'http://hs/', accessToken: 'tok', fetch: async (input, init) => (seen.push({ url: String(input), init }), answer()) });
  return { http, seen };
}

test('path parameters are percent-encoded and query parameters written by their declared kind', async () => {
  const { http, seen } = recording(() => json(200, { next_batch: 's1' }));
  await http.request(api.sync, { query: { filter: '{"room":{}}', timeout: 0, full_state: true, since: 's 0' } });
  const sync = new URL(seen[0]?.url ?? '');
  assert.equal(sync.pathname, '/_matrix/client/v3/sync', 'the base URL lost its trailing slash');
  assert.equal(sync.searchParams.get('timeout'), '0');
  assert.equal(sync.searchParams.get('full_state'), 'true');
  assert.equal(sync.searchParams.get('since'), 's 0');
  await http.request(api.getRoomEvents, { params: { roomId: '!a/b:hs' }, query: { dir: 'b', limit: 5 } });
  assert.match(seen[1]?.url ?? '', /\/rooms\/!a%2Fb%3Ahs\/messages\?dir=b&limit=5$/);
});

test('the token goes in the Authorization header, except to endpoints without auth; bodies are JSON', async () => {
  const { http, seen } = recording(() => json(200, { flows: [] }));
  await http.request(api.getLoginFlows);
  assert.equal((seen[0]?.init?.headers as Record<string, string>)['authorization'], undefined);
  await http.request(api.setTyping, { params: { roomId: '!r:hs', userId: '@me:hs' }, body: { typing: true, timeout: 1000 } });
  const init = seen[1]?.init;
  assert.equal((init?.headers as Record<string, string>)['authorization'], 'Bearer tok');
  assert.equal(init?.method, 'PUT');
  assert.deepEqual(JSON.parse(String(init?.body)), { typing: true, timeout: 1000 });
});

test('429 is retried after retry_after_ms, then the answer is returned', async () => {
  let calls = 0;
  const http = new HttpClient({
    baseUrl: 'http://hs',
    fetch: async () => (++calls < 3 ? json(429, { errcode: 'M_LIMIT_EXCEEDED', error: 'slow down', retry_after_ms: 5 }) : json(200, { versions: ['v1.1'] })),
  });
  assert.deepEqual(await http.request(api.getVersions), { versions: ['v1.1'] });
  assert.equal(calls, 3);
});

test('429 without retry_after_ms honours a Retry-After header', async () => {
  let calls = 0;
  const http = new HttpClient({ baseUrl: 'http://hs', fetch: async () => (++calls === 1 ? json(429, { errcode: 'M_LIMIT_EXCEEDED', error: 'no' }, { 'retry-after': '0' }) : json(200, { versions: [] })) });
  assert.deepEqual(await http.request(api.getVersions), { versions: [] });
  assert.equal(calls, 2);
});

test('the retry delay: retry_after_ms first, then Retry-After in seconds or as a date, capped', () => {
  assert.equal(retryDelayMs(250, '10'), 250);
  assert.equal(retryDelayMs(undefined, '2'), 2000);
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(retryDelayMs(undefined, 'Thu, 01 Jan 2026 00:00:03 GMT', now), 3000);
  assert.equal(retryDelayMs(undefined, 'Wed, 31 Dec 2025 23:00:00 GMT', now), 0, 'a date in the past: at once');
  assert.equal(retryDelayMs(10 * 60_000, null), 30_000, 'capped');
  assert.equal(retryDelayMs(undefined, null), 1000, 'nothing said: one second');
});

test('429 beyond maxRetries is thrown as a MatrixError with retryAfterMs and httpStatus', async () => {
  let calls = 0;
  const http = new HttpClient({ baseUrl: 'http://hs', maxRetries: 1, fetch: async () => (calls++, json(429, { errcode: 'M_LIMIT_EXCEEDED', error: 'no', retry_after_ms: 1 })) });
  const err = await http.request(api.getVersions).catch((e: unknown) => e);
  assert.ok(err instanceof MatrixError);
  assert.equal(err.httpStatus, 429);
  assert.equal(err.errcode, 'M_LIMIT_EXCEEDED');
  assert.equal(err.retryAfterMs, 1);
  assert.equal(calls, 2, 'one try and one retry');
});

test('errors are typed by errcode', async () => {
  const answer = (body: unknown, status: number) => new HttpClient({ baseUrl: 'http://hs', fetch: async () => json(status, body) });
  const blocked = await answer({ errcode: 'M_INVITE_BLOCKED', error: 'no' }, 403).request(api.getVersions).catch((e: unknown) => e);
  assert.ok(blocked instanceof InviteBlockedError);
  assert.equal(blocked.httpStatus, 403);
  const ignored = await answer({ errcode: 'M_SENDER_IGNORED', error: 'ignored', sender: '@bob:hs' }, 404).request(api.getVersions).catch((e: unknown) => e);
  assert.ok(ignored instanceof SenderIgnoredError);
  assert.equal(ignored.sender, '@bob:hs');
  assert.equal(ignored.message, 'ignored');
  const plain = toMatrixError(500, 'not an object');
  assert.ok(plain instanceof MatrixError && !(plain instanceof InviteBlockedError));
  assert.equal(plain.errcode, 'M_UNKNOWN');
  assert.equal(plain.message, 'HTTP 500');
});

test('an unreachable server, a dropped body and a non-JSON answer are NetworkErrors with a clear message', async () => {
  const down = await new HttpClient({ baseUrl: 'http://hs', fetch: async () => Promise.reject(new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') })) })
    .request(api.getVersions)
    .catch((e: unknown) => e);
  assert.ok(down instanceof NetworkError);
  assert.match(down.message, /cannot reach http:\/\/hs: connect ECONNREFUSED/);
  assert.equal(down.url, 'http://hs/_matrix/client/versions');
  const broken = new Response(new ReadableStream({ pull: (c) => c.error(new Error('socket hang up')) }), { status: 200 });
  const dropped = await new HttpClient({ baseUrl: 'http://hs', fetch: async () => broken }).request(api.getVersions).catch((e: unknown) => e);
  assert.ok(dropped instanceof NetworkError);
  assert.match(dropped.message, /socket hang up/);
  const html = await new HttpClient({ baseUrl: 'http://hs', fetch: async () => new Response('<html>', { status: 502 }) }).request(api.getVersions).catch((e: unknown) => e);
  assert.ok(html instanceof NetworkError);
  assert.match(html.message, /not JSON/);
});

test('an aborted request rejects with the abort, not a NetworkError', async () => {
  const ac = new AbortController();
  const http = new HttpClient({ baseUrl: 'http://hs', fetch: async (_i, init) => new Promise((_r, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))) });
  const pending = http.request(api.getVersions, { signal: ac.signal }).catch((e: unknown) => e);
  ac.abort();
  const err = await pending;
  assert.ok(!(err instanceof NetworkError));
  assert.equal((err as Error).name, 'AbortError');
});
