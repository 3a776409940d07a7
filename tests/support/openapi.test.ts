// Self-check of the OpenAPI response validator: the spec's files load, every $ref resolves, every
// response schema compiles, concrete paths find their operation, good bodies pass, bad ones fail.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { AssertionError } from 'node:assert';
import { SPEC_DIR, assertResponseMatchesSpec, checkIfDocumented, compileAll, resolveAllFiles, specOperation } from './openapi.ts';

test('every spec file loads and all its $refs resolve', () => {
  const yaml = readdirSync(SPEC_DIR).filter((n) => n.endsWith('.yaml'));
  assert.ok(yaml.length > 50, `only ${yaml.length} files in ${SPEC_DIR}`);
  assert.equal(resolveAllFiles().length, yaml.length);
});

test('every response schema of every client-server operation compiles', () => {
  assert.ok(compileAll() > 200);
});

test('operations are found from concrete paths: v1, v3, r0, unversioned, trailing slashes, query strings', () => {
  assert.equal(specOperation('GET', '/_matrix/client/versions'), 'getVersions');
  assert.equal(specOperation('GET', '/_matrix/client/v3/account/whoami'), 'getTokenOwner');
  assert.equal(specOperation('get', '/_matrix/client/r0/rooms/!a:b/messages?dir=b&limit=3'), 'getRoomEvents');
  assert.equal(specOperation('PUT', '/_matrix/client/v3/rooms/!a:b/send/m.room.message/1'), 'sendMessage');
  assert.equal(specOperation('GET', '/_matrix/client/v1/rooms/!a:b/hierarchy'), 'getSpaceHierarchy');
  assert.equal(specOperation('GET', '/_matrix/client/v3/rooms/!a:b/state/m.room.name/'), 'getRoomStateWithKey');
  assert.equal(specOperation('GET', '/_matrix/client/v3/pushrules/global/'), 'getPushRulesGlobal');
  assert.equal(specOperation('GET', '/_matrix/client/v3/profile/@a:b/displayname'), 'getProfileField');
  assert.equal(specOperation('GET', 'http://127.0.0.1:8008/_matrix/client/v3/account/whoami?x=1'), 'getTokenOwner');
  assert.throws(() => specOperation('GET', '/_matrix/client/v3/nothing/here'), AssertionError);
  assert.throws(() => specOperation('DELETE', '/_matrix/client/versions'), AssertionError);
});

test('known-good bodies pass', () => {
  assertResponseMatchesSpec('GET', '/_matrix/client/versions', 200, { versions: ['v1.11'] });
  assertResponseMatchesSpec('POST', '/_matrix/client/v3/login', 200, { user_id: '@a:localhost', access_token: 't', device_id: 'D' });
  assertResponseMatchesSpec('GET', '/_matrix/client/v3/account/whoami', 401, { errcode: 'M_UNKNOWN_TOKEN', error: 'x' });
  assertResponseMatchesSpec('POST', '/_matrix/client/v3/login', 403, { errcode: 'M_FORBIDDEN', error: 'no' });
  assertResponseMatchesSpec('GET', '/_matrix/client/r0/account/whoami', 200, { user_id: '@a:localhost' });
  // Listed without a body schema: checked as the standard error response.
  assertResponseMatchesSpec('GET', '/_matrix/client/v3/rooms/!r:localhost/messages?dir=b', 403, { errcode: 'M_FORBIDDEN', error: 'no' });
  assertResponseMatchesSpec('GET', '/_matrix/client/v3/rooms/!r:localhost/messages?dir=b', 200, {
    start: 't1',
    chunk: [{ type: 'm.room.message', content: { body: 'hi', msgtype: 'm.text' }, event_id: '$e', sender: '@a:localhost', origin_server_ts: 1, room_id: '!r:localhost' }],
  });
});

test('known-bad bodies fail with an AssertionError naming the problem', () => {
  const fails = (method: string, path: string, status: number, body: unknown, re: RegExp) =>
    assert.throws(() => assertResponseMatchesSpec(method, path, status, body), (err: unknown) => err instanceof AssertionError && re.test(err.message));
  fails('GET', '/_matrix/client/versions', 200, { versions: 'v1.11' }, /\/versions must be array/);
  fails('POST', '/_matrix/client/v3/login', 200, { user_id: '@a:localhost', device_id: 'D' }, /access_token/);
  fails('POST', '/_matrix/client/v3/login', 200, { user_id: '@a:localhost', access_token: 7, device_id: 'D' }, /\/access_token must be string/);
  fails('GET', '/_matrix/client/v3/account/whoami', 200, { device_id: 'D' }, /user_id/);
  fails('GET', '/_matrix/client/v3/account/whoami', 200, { user_id: 'not-a-user-id' }, /format/);
  fails('GET', '/_matrix/client/v3/account/whoami', 401, { error: 'no errcode' }, /errcode/);
  fails('GET', '/_matrix/client/v3/rooms/!r:localhost/messages', 403, { errcode: 3 }, /errcode/);
  fails('GET', '/_matrix/client/v3/rooms/!r:localhost/messages', 200, { chunk: [{ type: 'm.room.message' }] }, /start|event_id/);
  // The spec must document what we check: unknown paths, unlisted statuses, bodiless responses.
  fails('GET', '/_matrix/client/v3/nothing/here', 200, {}, /no operation/);
  fails('GET', '/_matrix/client/versions', 418, {}, /lists no 418/);
  fails('GET', '/_matrix/client/v3/login/sso/redirect', 302, {}, /no JSON body/);
});

test('checkIfDocumented is silent where the spec says nothing, strict where it does', () => {
  checkIfDocumented('GET', '/_matrix/client/v3/nothing/here', 200, {});
  checkIfDocumented('GET', '/_matrix/client/versions', 418, {});
  checkIfDocumented('GET', '/_matrix/client/v3/login/sso/redirect', 302, undefined);
  assert.throws(() => checkIfDocumented('GET', '/_matrix/client/versions', 200, {}), AssertionError);
});
