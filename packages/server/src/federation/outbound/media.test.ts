// Taking apart another server's multipart/mixed media answer (outbound/media.ts): the media part
// runs to the closing delimiter, headers are read, malformed answers are refused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMultipart } from './media.ts';

const answer = (boundary: string, media: Buffer, mediaHeaders = 'Content-Type: image/png\r\nContent-Disposition: inline; filename="a.png"') =>
  Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Type: application/json\r\n\r\n{}\r\n--${boundary}\r\n${mediaHeaders}\r\n\r\n`),
    media,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);

test('the metadata and media parts, with their headers', () => {
  const parts = parseMultipart('multipart/mixed; boundary=abc123', answer('abc123', Buffer.from('PNGBYTES')));
  assert.ok(parts);
  assert.equal(parts[0].body.toString(), '{}');
  assert.equal(parts[0].headers['content-type'], 'application/json');
  assert.equal(parts[1].body.toString(), 'PNGBYTES');
  assert.equal(parts[1].headers['content-disposition'], 'inline; filename="a.png"');
});

test('media bytes that contain the boundary are kept whole', () => {
  const media = Buffer.from('x\r\n--b0undary\r\ny\r\n--b0undary--z');
  const parts = parseMultipart('multipart/mixed; boundary="b0undary"', answer('b0undary', media));
  assert.ok(parts);
  assert.ok(parts[1].body.equals(media));
});

test('not multipart, no boundary, no closing delimiter or a header line without a colon: refused', () => {
  const body = answer('q', Buffer.from('m'));
  assert.equal(parseMultipart('application/octet-stream', body), undefined);
  assert.equal(parseMultipart('multipart/mixed', body), undefined);
  assert.equal(parseMultipart('multipart/mixed; boundary=q', body.subarray(0, body.length - 8)), undefined);
  assert.equal(parseMultipart('multipart/mixed; boundary=q', answer('q', Buffer.from('m'), 'garbage')), undefined);
});
