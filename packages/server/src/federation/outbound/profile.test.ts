// What is kept of another server's profile answer (outbound/profile.ts): sane displayname,
// avatar_url and m.tz strings; other fields only under keys of the spec's grammar, within 64 KiB.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sanitizeRemoteProfile } from './profile.ts';

test('the known fields when they are sane strings, custom fields under grammatical keys', () => {
  const body = {
    displayname: 'Bob',
    avatar_url: 'mxc://remote.example/abc',
    'm.tz': 'Europe/Berlin',
    'org.example.job': { title: 'Keeper', years: 3 },
    'io.x.list': [1, 2],
    'Bad Key': 'x',
    nodot: 'x',
    'org.example.null': null,
  };
  assert.deepEqual(sanitizeRemoteProfile(body), {
    displayname: 'Bob',
    avatar_url: 'mxc://remote.example/abc',
    'm.tz': 'Europe/Berlin',
    'io.x.list': [1, 2],
    'org.example.job': { title: 'Keeper', years: 3 },
  });
});

test('wrong types, U+0000 and oversize values are dropped; the whole stays within 64 KiB', () => {
  assert.deepEqual(sanitizeRemoteProfile({ displayname: 5, avatar_url: 'a\u0000b', 'm.tz': ['x'], 'org.example.nul': 'a\u0000' }), {});
  const big = 'y'.repeat(40_000);
  const out = sanitizeRemoteProfile({ 'org.example.a': big, 'org.example.b': big, 'org.example.c': 'small' });
  assert.deepEqual(Object.keys(out), ['org.example.a', 'org.example.c'], 'the second big field does not fit');
  assert.ok(Buffer.byteLength(JSON.stringify(out)) <= 64 * 1024);
});
