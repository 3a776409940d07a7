import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileGlobs, globMatches } from './globs.ts';

test('globs are anchored; * and ? mean what they say; everything else is literal', () => {
  const g = compileGlobs(['@bad:*', '*.evil.org', 'ex?mple.com', 'plain.org', 'a.b']);
  assert.ok(globMatches(g, '@bad:anywhere'));
  assert.ok(!globMatches(g, 'x@bad:anywhere'), 'anchored at the start');
  assert.ok(globMatches(g, 'mx.evil.org'));
  assert.ok(!globMatches(g, 'evil.org'), '* before a dot needs the dot');
  assert.ok(globMatches(g, 'example.com'));
  assert.ok(!globMatches(g, 'exaample.com'), '? is exactly one character');
  assert.ok(globMatches(g, 'plain.org'));
  assert.ok(!globMatches(g, 'plain.org.uk'), 'anchored at the end');
  assert.ok(!globMatches(g, 'aXb'), 'a dot is a literal dot');
  assert.ok(globMatches(compileGlobs(['*']), ''));
  assert.ok(!globMatches(compileGlobs([]), 'anything'));
});

test('regex metacharacters in entries are literal', () => {
  const g = compileGlobs(['(a|b)+', '[x]*']);
  assert.ok(globMatches(g, '(a|b)+'));
  assert.ok(!globMatches(g, 'ab'));
  assert.ok(globMatches(g, '[x]yz'));
  assert.ok(!globMatches(g, 'xyz'));
});

test('many globs sharing literals: each is still found, and only matching ones match', () => {
  const globs = Array.from({ length: 500 }, (_, i) => `@*bot${i}:*.example`);
  const g = compileGlobs([...globs, '?*', 'x?y']);
  assert.ok(globMatches(g, '@evilbot123:mx.example'));
  assert.ok(globMatches(g, '@bot499:a.example'));
  assert.ok(globMatches(compileGlobs(globs), '@abot7:b.example'));
  assert.ok(!globMatches(compileGlobs(globs), '@friend:good.example'));
  assert.ok(!globMatches(compileGlobs(globs), '@bot7:good.example.org'), 'anchored at the end');
  assert.ok(globMatches(g, 'q'), '?* matches any non-empty string');
  assert.ok(!globMatches(compileGlobs(['?*']), ''), '? needs one character');
  assert.ok(globMatches(compileGlobs(['x?y']), 'xzy'));
  assert.ok(!globMatches(compileGlobs(['x?y']), 'xy'));
});
