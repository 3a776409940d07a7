// utf8ByteLength agrees with Node's encoder on ASCII, 2-, 3- and 4-byte characters and lone
// surrogates (the id checks use it so they also run in browsers); the room alias grammar.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isRoomAlias, isUserId, parseRoomAlias, utf8ByteLength } from './ids.ts';
import { MatrixError } from './errors.ts';

test('utf8ByteLength matches Buffer.byteLength', () => {
  for (const s of ['', '@alice:example.org', 'é', '€', '😀', 'a😀b', '\ud800', '\udc00x', 'x\ud83d', '\u07ff\u0800\uffff', '@𝔞𝔩𝔦𝔠𝔢:ex.org']) {
    assert.equal(utf8ByteLength(s), Buffer.byteLength(s, 'utf8'), JSON.stringify(s));
  }
});

test('room alias localparts take any Unicode but ":" and NUL; the whole alias stays within 255 bytes', () => {
  for (const ok of ['#☕:localhost', '#café:example.org', '#日本語:example.org:8448', '#a b:localhost', '#tab\there:localhost', '#😀:[::1]', '#a!$%&*+/=?^`{|}~:localhost']) {
    assert.equal(isRoomAlias(ok), true, JSON.stringify(ok));
    assert.equal(parseRoomAlias(ok), ok);
  }
  const longest = `#${'é'.repeat(121)}x:localhost`; // 1 + 242 + 1 + 1 + 9 = 254 bytes
  assert.equal(isRoomAlias(longest), true);
  for (const bad of ['#:localhost', '#☕', '☕:localhost', '#a\u0000b:localhost', '#\ud800:localhost', '#a:not a server', `#${'é'.repeat(123)}:localhost`, 42, null]) {
    assert.equal(isRoomAlias(bad), false, JSON.stringify(bad));
    assert.throws(() => parseRoomAlias(bad), (e: unknown) => e instanceof MatrixError && e.errcode === 'M_INVALID_PARAM');
  }
});

test('user ids keep their rules: no Unicode localparts, historical printable ASCII still read', () => {
  assert.equal(isUserId('@☕:localhost'), false);
  assert.equal(isUserId('@café:localhost'), false);
  assert.equal(isUserId('@Old_Style!:localhost'), true);
});
