// HttpClient against fake fetch functions: requests built from the descriptors (path encoding, query
// parameters by kind, the token only where the endpoint takes one), 429 retried after
// retry_after_ms or Retry-After, errors typed by errcode, NetworkError when no Matrix answer comes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, MatrixError } from '@hush/protocol';
import { HttpClient, retryDelayMs } from './http.ts';
import { BadResponseError, InviteBlockedError, NetworkError, SenderIgnoredError, TimeoutError, toMatrixError } from './errors.ts';

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

function recording(answer: () => Response = () => json(200, {})) {
  const seen: { url: string; init: RequestInit | undefined }[] = [];
  const http = new HttpClient({ baseUrl: 'http://hs/', accessToken: 'tok', fetch: async (input, init) => (seen.push({ url: String(input), init }), answer()) });
  return { http, seen };
}

test('path parameters are percent-encoded and query parameters written by their declared kind', async () => {
  const { http, seen } = recording(() => json(200, { next_batch: 's1', start: 't0', chunk: [] }));
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

test('timeoutMs: a fetch that never settles (even one that ignores its signal) fails with a TimeoutError naming the limit', async () => {
  let signalled = false;
  const http = new HttpClient({
    baseUrl: 'http://hs',
    timeoutMs: 50,
    fetch: (_i, init) => (init?.signal?.addEventListener('abort', () => (signalled = true)), new Promise<Response>(() => undefined)),
  });
  const t0 = Date.now();
  const err = await http.request(api.getTokenOwner).catch((e: unknown) => e);
  assert.ok(err instanceof TimeoutError, String(err));
  assert.ok(err instanceof NetworkError, 'a TimeoutError is a NetworkError');
  assert.equal(err.timeoutMs, 50);
  assert.equal(err.message, 'cannot reach http://hs: no answer within 50 ms');
  assert.ok(signalled, 'the fetch was told to stop');
  assert.ok(Date.now() - t0 < 2000);
  // A body that stops half-way is cut off the same way; a per-request limit wins over the client's.
  const stalled = new HttpClient({ baseUrl: 'http://hs', timeoutMs: 10_000, fetch: async () => new Response(new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode('{"user_')) }), { status: 200 }) });
  const cut = await stalled.request(api.getTokenOwner, { timeoutMs: 1500 }).catch((e: unknown) => e);
  assert.ok(cut instanceof TimeoutError && cut.message.endsWith('no answer within 1.5 s'), String(cut));
});

test('timeoutMs: 0 means no limit; the limit is per attempt, and a caller\'s abort still wins', async () => {
  assert.throws(() => new HttpClient({ baseUrl: 'http://hs', timeoutMs: -1 }), RangeError);
  const slow = new HttpClient({ baseUrl: 'http://hs', timeoutMs: 0, fetch: () => new Promise((r) => setTimeout(() => r(json(200, { user_id: '@me:hs' })), 30)) });
  assert.deepEqual(await slow.request(api.getTokenOwner), { user_id: '@me:hs' });
  const ac = new AbortController();
  const hanging = new HttpClient({ baseUrl: 'http://hs', timeoutMs: 10_000, fetch: () => new Promise<Response>(() => undefined) });
  const pending = hanging.request(api.getTokenOwner, { signal: ac.signal }).catch((e: unknown) => e);
  ac.abort();
  const err = await pending;
  assert.ok(!(err instanceof NetworkError));
  assert.equal((err as Error).name, 'AbortError');
});

test('a success answer without the fields the spec requires is a BadResponseError, never a result', async () => {
  const answering = (body: unknown, status = 200) => new HttpClient({ baseUrl: 'http://hs', fetch: async () => new Response(typeof body === 'string' ? body : JSON.stringify(body), { status }) });
  const foo = await answering({ foo: 1 }).request(api.login, { body: { type: 'm.login.password', password: 'x' } }).catch((e: unknown) => e);
  assert.ok(foo instanceof BadResponseError && foo instanceof NetworkError, String(foo));
  assert.equal(foo.message, 'http://hs did not answer like a Matrix homeserver (login: user_id is missing)');
  assert.equal(foo.status, 200);
  const badId = await answering({ user_id: 'alice', access_token: 't', device_id: 'D' }).request(api.login, { body: { type: 'm.login.password', password: 'x' } }).catch((e: unknown) => e);
  assert.match((badId as Error).message, /login: user_id is not a user ID/);
  const noToken = await answering({ user_id: '@a:hs', access_token: '', device_id: 'D' }).request(api.login, { body: { type: 'm.login.password', password: 'x' } }).catch((e: unknown) => e);
  assert.match((noToken as Error).message, /access_token is not a string/);
  const list = await answering([1, 2]).request(api.getAccountData, { params: { userId: '@a:hs', type: 't' } }).catch((e: unknown) => e);
  assert.match((list as Error).message, /the body is a list, not a JSON object/);
  const sync = await answering({ next_batch: 's', rooms: { join: { '!r:hs': { timeline: { events: [{ type: 'm.room.message' }] } } } } }).request(api.sync).catch((e: unknown) => e);
  assert.match((sync as Error).message, /sync: rooms\.join\["!r:hs"\]\.timeline\.events\[0\]\.event_id is missing/);
  const page = await answering('<html>oops</html>').request(api.getVersions).catch((e: unknown) => e);
  assert.ok(page instanceof BadResponseError && page.problem === 'not JSON');
  const gateway = new HttpClient({ baseUrl: 'http://hs', fetch: async () => new Response('<html>Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway', headers: { 'content-type': 'text/html; charset=utf-8' } }) });
  const g = await gateway.request(api.getVersions).catch((e: unknown) => e);
  assert.ok(g instanceof BadResponseError && g.status === 502);
  assert.equal(g.message, 'http://hs answered 502 Bad Gateway with a text/html body that is not JSON (is it a Matrix homeserver?)');
  // Well-formed answers pass, extra fields and all; error answers stay MatrixErrors.
  assert.deepEqual(await answering({ user_id: '@a:hs', device_id: 'D', extra: true }).request(api.getTokenOwner), { user_id: '@a:hs', device_id: 'D', extra: true });
  const refused = await answering({ errcode: 'M_FORBIDDEN', error: 'no' }, 403).request(api.getTokenOwner).catch((e: unknown) => e);
  assert.ok(refused instanceof MatrixError && refused.errcode === 'M_FORBIDDEN');
});
