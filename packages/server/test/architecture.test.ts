// The house rule "imports point one way: api → services → {policy, storage, notifier}", checked by
// reading every source file's imports. Services never import the HTTP layer (who is asking is
// services/requester.ts, which the HTTP layer fills in).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

function layer(path: string): string {
  return relative(SRC, path).split('/')[0] ?? '';
}

/** Which layers each layer may import from (besides itself and @hush/protocol). */
const ALLOWED: Record<string, string[]> = {
  api: ['http', 'services', 'federation'],
  federation: ['services', 'policy', 'storage', 'config', 'http'],
  http: ['services', 'api', 'config'],
  services: ['policy', 'storage', 'notifier', 'config'],
  policy: ['storage'],
  storage: [],
  notifier: [],
  config: [],
};

test('imports point one way', () => {
  const violations: string[] = [];
  for (const file of files(SRC)) {
    const from = layer(file);
    if (!(from in ALLOWED)) continue;
    for (const m of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
      const target = layer(resolve(dirname(file), m[1] as string));
      if (target !== from && !(ALLOWED[from] ?? []).includes(target)) violations.push(`${relative(SRC, file)} imports ${m[1]}`);
    }
  }
  assert.deepEqual(violations, []);
});

test('only policy/visibility.ts mints a VisibleEvent', () => {
  const minting = files(SRC).filter((f) => /as VisibleEvent|is VisibleEvent/.test(readFileSync(f, 'utf8')));
  assert.deepEqual(minting.map((f) => relative(SRC, f)), ['policy/visibility.ts']);
});

test('only the policy builds viewers and loaded views, and brands what a response may carry', () => {
  const outsidePolicy = files(SRC).filter((f) => layer(f) !== 'policy');
  const offending = (re: RegExp) => outsidePolicy.filter((f) => re.test(readFileSync(f, 'utf8'))).map((f) => relative(SRC, f));
  assert.deepEqual(offending(/new RoomViewer\(/), [], 'RoomViewer built outside policy/');
  assert.deepEqual(offending(/as (unknown as )?PolicyView/), [], 'a PolicyView made outside policy/');
  assert.deepEqual(offending(/as (unknown as )?Shown</), [], 'a Shown<…> made outside policy/');
  assert.deepEqual(offending(/\bemptyIgnoreView\b/), [], 'a view that ignores nothing, outside policy/');
  assert.ok(!/export function asVisibleState/.test(readFileSync(join(SRC, 'policy/visibility.ts'), 'utf8')), 'no exported cast to VisibleEvent');
});
