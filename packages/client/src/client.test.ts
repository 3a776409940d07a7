// HttpClient and HushClient against a fake homeserver (a fetch function): 429 retry, typed errors,
// network errors, refusing to ignore yourself without a request, serialised read-modify-write of the
// ignore list that loses no concurrent change, and ignoredUsersChanged firing only on real changes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, MatrixError } from '@hush/spec';
import { HttpClient } from './http.ts';
import { InviteBlockedError, NetworkError, SenderIgnoredError } from './errors.ts';
import { HushClient } from './client.ts';

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

test('429 is retried after retry_after_ms, then the answer is returned', async () => {
  let calls = 0;
  const http = new HttpClient({
    baseUrl: 'http://hs',
    fetch: async () => (++calls < 3 ? json(429, { errcode: 'M_LIMIT_EXCEEDED', error: 'slow down', retry_after_ms: 5 }) : json(200, { versions: ['v1.1'] })),
  });
  assert.deepEqual(await http.request(api.getVersions), { versions: ['v1.1'] });
  assert.equal(calls, 3);
});

test('429 beyond maxRetries is thrown as a MatrixError with retryAfterMs and httpStatus', async () => {
  const http = new HttpClient({ baseUrl: 'http://hs', maxRetries: 1, fetch: async () => json(429, { errcode: 'M_LIMIT_EXCEEDED', error: 'no', retry_after_ms: 1 }) });
  const err = await http.request(api.getVersions).catch((e: unknown) => e);
  assert.ok(err instanceof MatrixError);
  assert.equal(err.httpStatus, 429);
  assert.equal(err.retryAfterMs, 1);
});

test('errors are typed by errcode; unreachable servers and non-JSON answers are NetworkErrors', async () => {
  const answer = (body: unknown, status: number) => new HttpClient({ baseUrl: 'http://hs', fetch: async () => json(status, body) });
  const blocked = await answer({ errcode: 'M_INVITE_BLOCKED', error: 'no' }, 403).request(api.getVersions).catch((e: unknown) => e);
  assert.ok(blocked instanceof InviteBlockedError);
  const ignored = await answer({ errcode: 'M_SENDER_IGNORED', error: 'ignored', sender: '@bob:hs' }, 404).request(api.getVersions).catch((e: unknown) => e);
  assert.ok(ignored instanceof SenderIgnoredError);
  assert.equal(ignored.sender, '@bob:hs');
  const down = await new HttpClient({ baseUrl: 'http://hs', fetch: async () => Promise.reject(new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') })) })
    .request(api.getVersions)
    .catch((e: unknown) => e);
  assert.ok(down instanceof NetworkError);
  assert.match(down.message, /cannot reach http:\/\/hs: connect ECONNREFUSED/);
  const html = await new HttpClient({ baseUrl: 'http://hs', fetch: async () => new Response('<html>', { status: 502 }) }).request(api.getVersions).catch((e: unknown) => e);
  assert.ok(html instanceof NetworkError);
});

/** A fake homeserver holding one account-data store and answering /sync with what changed. */
function fakeServer(userId: string) {
  const data = new Map<string, unknown>();
  let pos = 0;
  const changed: { type: string; content: unknown }[] = [];
  const requests: string[] = [];
  const fetchFn = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    requests.push(`${init?.method ?? 'GET'} ${url.pathname}`);
    const m = /account_data\/([^/]+)$/.exec(url.pathname);
    if (m && init?.method === 'PUT') {
      const type = decodeURIComponent(m[1] as string);
      await new Promise((r) => setTimeout(r, 2)); // interleave concurrent writers
      data.set(type, JSON.parse(String(init.body)));
      changed.push({ type, content: data.get(type) });
      pos++;
      return json(200, {});
    }
    if (m) {
      const v = data.get(decodeURIComponent(m[1] as string));
      return v === undefined ? json(404, { errcode: 'M_NOT_FOUND', error: 'none' }) : json(200, v);
    }
    if (url.pathname.endsWith('/sync')) {
      const events = changed.splice(0);
      return json(200, { next_batch: `s${pos}`, account_data: { events } });
    }
    return json(404, { errcode: 'M_UNRECOGNIZED', error: 'no' });
  };
  return { fetch: fetchFn, requests, data, userId };
}

test('ignoring yourself or a non-id is refused before any request', async () => {
  const hs = fakeServer('@me:hs');
  const c = new HushClient({ homeserver: 'http://hs', userId: '@me:hs', deviceId: 'D', accessToken: 't' }, { fetch: hs.fetch });
  await assert.rejects(async () => c.ignoreUser('@me:hs'), (e: unknown) => e instanceof MatrixError && e.errcode === 'M_INVALID_PARAM');
  await assert.rejects(async () => c.ignoreUser('bob'), (e: unknown) => e instanceof MatrixError && e.errcode === 'M_INVALID_PARAM');
  assert.deepEqual(hs.requests, []);
});

test('concurrent ignoreUser calls are serialised and lose nothing; each resolves after /sync echoed it', async () => {
  const hs = fakeServer('@me:hs');
  const c = new HushClient({ homeserver: 'http://hs', userId: '@me:hs', deviceId: 'D', accessToken: 't' }, { fetch: hs.fetch });
  const changes: { added: string[]; removed: string[] }[] = [];
  c.on('ignoredUsersChanged', (e) => changes.push(e));
  await Promise.all(['@a:hs', '@b:hs', '@c:hs', '@d:hs'].map((u) => c.ignoreUser(u)));
  assert.deepEqual(Object.keys((hs.data.get('m.ignored_user_list') as { ignored_users: object }).ignored_users).sort(), ['@a:hs', '@b:hs', '@c:hs', '@d:hs']);
  assert.deepEqual(c.ignoredUsers().sort(), ['@a:hs', '@b:hs', '@c:hs', '@d:hs'], 'the store holds the echoed list');
  assert.deepEqual(changes.flatMap((e) => e.added).sort(), ['@a:hs', '@b:hs', '@c:hs', '@d:hs']);
  const before = changes.length;
  await c.ignoreUser('@a:hs'); // no change
  assert.equal(changes.length, before, 'no event when nothing changed');
  await c.unignoreUser('@b:hs');
  assert.deepEqual(changes.at(-1), { added: [], removed: ['@b:hs'] });
});
