import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertResponseMatchesSpec, compileAll, specOperation } from './openapi.ts';

test('every response schema of every client-server operation loads and compiles', () => {
  assert.ok(compileAll() > 200);
});

test('operations are found from concrete paths, r0 included', () => {
  assert.equal(specOperation('GET', '/_matrix/client/v3/account/whoami'), 'getTokenOwner');
  assert.equal(specOperation('GET', '/_matrix/client/r0/rooms/!a:b/messages?dir=b'), 'getRoomEvents');
  assert.equal(specOperation('PUT', '/_matrix/client/v3/rooms/!a:b/send/m.room.message/1'), 'sendMessage');
});

test('good bodies pass and bad ones fail', () => {
  assertResponseMatchesSpec('GET', '/_matrix/client/versions', 200, { versions: ['v1.11'] });
  assertResponseMatchesSpec('POST', '/_matrix/client/v3/login', 200, { user_id: '@a:b', access_token: 't', device_id: 'D' });
  assertResponseMatchesSpec('GET', '/_matrix/client/v3/account/whoami', 401, { errcode: 'M_UNKNOWN_TOKEN', error: 'x' });
  assert.throws(() => assertResponseMatchesSpec('GET', '/_matrix/client/versions', 200, { versions: 'v1.11' }));
  assert.throws(() => assertResponseMatchesSpec('GET', '/_matrix/client/v3/account/whoami', 200, { device_id: 'D' }));
  assert.throws(() => assertResponseMatchesSpec('GET', '/_matrix/client/v3/nothing/here', 200, {}));
});
