// X-Matrix header: format ↔ parse, the spec's parsing rules (case-insensitive names, any order,
// quoted or token values, escapes, colons unquoted), hostile input refused, and signatures over
// {method, uri, origin, destination, content}.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateSigningKey } from '../../services/events/crypto.ts';
import { formatXMatrix, parseXMatrix, signRequest, verifyRequestSignature, XMatrixParseError, MAX_HEADER_LENGTH } from './x-matrix.ts';

const AUTH = { origin: 'origin.hs.example.com', destination: 'destination.hs.example.com', key: 'ed25519:key1', sig: 'ABCDEF+/' };

test('format then parse gives the same fields; the header is the spec example shape', () => {
  const h = formatXMatrix(AUTH);
  assert.equal(h, 'X-Matrix origin="origin.hs.example.com",destination="destination.hs.example.com",key="ed25519:key1",sig="ABCDEF+/"');
  assert.deepEqual(parseXMatrix(h), AUTH);
});

test('names are case-insensitive, order free, values quoted or not, colons unquoted, spaces around commas', () => {
  assert.deepEqual(parseXMatrix('x-matrix  SIG=ABCDEF+/ , Key=ed25519:key1,\tOrigin=origin.hs.example.com:8448 ,destination="d.example"'), {
    origin: 'origin.hs.example.com:8448',
    destination: 'd.example',
    key: 'ed25519:key1',
    sig: 'ABCDEF+/',
  });
});

test('quoted values are unescaped; unknown parameters are ignored; destination is optional', () => {
  assert.deepEqual(parseXMatrix('X-Matrix origin="a\\"b\\\\c",key="ed25519:k",sig="s",extra="x"'), { origin: 'a"b\\c', key: 'ed25519:k', sig: 's' });
  assert.equal(formatXMatrix({ origin: 'a"b\\c', key: 'k', sig: 's' }), 'X-Matrix origin="a\\"b\\\\c",key="k",sig="s"');
});

test('hostile or broken headers are refused with XMatrixParseError', () => {
  const bad = [
    '',
    'Bearer abc',
    'X-Matrix',
    'X-Matrixorigin="a",key="k",sig="s"',
    'X-Matrix origin="a",key="k"', // no sig
    'X-Matrix key="k",sig="s"', // no origin
    'X-Matrix origin="a",key="",sig="s"', // empty key
    'X-Matrix origin="a,key="k",sig="s"', // unterminated quote
    'X-Matrix origin="a",origin="b",key="k",sig="s"', // repeated name
    'X-Matrix origin="a" key="k",sig="s"', // missing comma
    'X-Matrix origin=,key="k",sig="s"',
    'X-Matrix =a,key="k",sig="s"',
    'X-Matrix origin="a\u0000",key="k",sig="s"',
    'X-Matrix origin="a\nb",key="k",sig="s"',
    'X-Matrix origin="a",key="k",sig="s\\',
    `X-Matrix origin="${'a'.repeat(MAX_HEADER_LENGTH)}",key="k",sig="s"`,
    `X-Matrix ${Array.from({ length: 20 }, (_, i) => `p${i}=v`).join(',')},origin=a,key=k,sig=s`,
  ];
  for (const h of bad) assert.throws(() => parseXMatrix(h), XMatrixParseError, JSON.stringify(h.slice(0, 80)));
  assert.throws(() => parseXMatrix(undefined as unknown as string), XMatrixParseError);
});

test('a signed request verifies; any change to method, uri, origin, destination or content does not', () => {
  const { keyId, privateKey } = generateSigningKey();
  const req = { method: 'PUT', uri: '/_matrix/federation/v1/send/1?x=%20y', origin: 'a.example', destination: 'b.example:8448', content: { pdus: [], n: 1 } };
  const auth = parseXMatrix(signRequest(req, keyId, privateKey));
  assert.equal(auth.origin, 'a.example');
  assert.equal(auth.destination, 'b.example:8448');
  assert.equal(auth.key, keyId);
  assert.ok(verifyRequestSignature(req, auth, privateKey));
  for (const changed of [
    { ...req, method: 'POST' },
    { ...req, uri: '/_matrix/federation/v1/send/2?x=%20y' },
    { ...req, origin: 'c.example' },
    { ...req, destination: 'b.example' },
    { ...req, content: { pdus: [], n: 2 } },
    { method: req.method, uri: req.uri, origin: req.origin, destination: req.destination },
  ]) {
    assert.equal(verifyRequestSignature(changed, auth, privateKey), false, JSON.stringify(changed));
  }
  const other = generateSigningKey();
  assert.equal(verifyRequestSignature(req, auth, other.privateKey), false);
  assert.equal(verifyRequestSignature(req, { ...auth, sig: 'not base64!' }, privateKey), false);
});

test('a GET has no content in what is signed (the spec example minus content)', () => {
  const { keyId, privateKey } = generateSigningKey();
  const req = { method: 'GET', uri: '/_matrix/federation/v1/query/profile?user_id=%40a%3Ab', origin: 'a', destination: 'b' };
  const auth = parseXMatrix(signRequest(req, keyId, privateKey));
  assert.ok(verifyRequestSignature(req, auth, privateKey));
  assert.equal(verifyRequestSignature({ ...req, content: {} }, auth, privateKey), false);
});
