// utf8ByteLength agrees with Node's encoder on ASCII, 2-, 3- and 4-byte characters and lone
// surrogates (the id checks use it so they also run in browsers).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { utf8ByteLength } from './ids.ts';

test('utf8ByteLength matches Buffer.byteLength', () => {
  for (const s of ['', '@alice:example.org', 'é', '€', '😀', 'a😀b', '\ud800', '\udc00x', 'x\ud83d', '\u07ff\u0800\uffff', '@𝔞𝔩𝔦𝔠𝔢:ex.org']) {
    assert.equal(utf8ByteLength(s), Buffer.byteLength(s, 'utf8'), JSON.stringify(s));
  }
});
