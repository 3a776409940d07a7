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
  api: ['http', 'services', 'federation', 'lib'],
  federation: ['services', 'policy', 'storage', 'config', 'http', 'lib'],
  http: ['services', 'api', 'config', 'lib'],
  services: ['policy', 'storage', 'notifier', 'config', 'lib'],
  policy: ['storage', 'lib'],
  storage: ['lib'],
  notifier: ['lib'],
  config: [],
  lib: [],
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

/** Module-level mutable state in services/ and policy/ that is meant to be per process, and why.
 *  Everything else an app remembers belongs to its instance (services/caches.ts, built per app by
 *  createServices): two apps in one process must not see each other's entries. */
const PROCESS_WIDE: Record<string, string> = {
  'services/secrets.ts running': "the password KDF's slots: the cores are the process's, whichever app asks",
  'services/secrets.ts waiting': 'the KDF runs queued for a slot (as above)',
  'services/media/thumbnails.ts sharpLoaded': 'the image library, loaded once per process',
  'services/media/thumbnails.ts SOURCE_FORMATS': 'a constant set, never written',
  'services/push-rules/evaluate.ts literalMatchers': "compiled expressions of display names: a pure function's memo, holding no app's data",
  'services/e2e/device-changes.ts hooks': "outbound federation's device-list hook, keyed by the app's notifier (so per app); to be handed in like the other federation hooks",
};

test('no module-level mutable state in services/ or policy/ but the allowed', () => {
  const found: string[] = [];
  for (const file of files(SRC).filter((f) => ['services', 'policy'].includes(layer(f)))) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      // Only top-level declarations: a class field or a local starts indented.
      const m = /^(?:export )?(?:(?:let|var) (\w+)|const (\w+)(?:: (.+?))? = (?:new (?:Map|Set|WeakMap|WeakSet|Lru)\b|\[\]))/.exec(line);
      if (!m) continue;
      // A constant typed read-only cannot be written.
      if (m[3] !== undefined && /^(Readonly|readonly )/.test(m[3].trim())) continue;
      found.push(`${relative(SRC, file)} ${m[1] ?? m[2]}`);
    }
  }
  assert.deepEqual(found.filter((k) => !(k in PROCESS_WIDE)), [], 'module-level mutable state: give it to the app (services/caches.ts) or allow it here with a reason');
  assert.deepEqual(Object.keys(PROCESS_WIDE).filter((k) => !found.includes(k)), [], 'allowed but gone: remove from PROCESS_WIDE');
});

/** Hooks outbound federation still assigns when it starts (federation/outbound): to be handed in. */
const FEDERATION_SETTERS = new Set([
  'services/rooms/writer.ts onFederate',
  'services/rooms/writer.ts onFederateQueued',
  'services/typing.ts onLocal',
  'services/receipts.ts onLocal',
  'services/presence.ts onLocal',
  'services/to-device.ts onRemote',
]);

test('services are wired at construction, not by assigning callbacks afterwards', () => {
  // A setter field (`onX: … | null = null`) assigned after construction can be forgotten; what a
  // service tells another is a listener given to its constructor (services/index.ts).
  const setters = files(SRC)
    .filter((f) => layer(f) === 'services')
    .flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/^\s+(on[A-Z]\w*)\??: .*\| null = null;/gm)].map((m) => `${relative(SRC, f)} ${m[1]}`));
  assert.deepEqual(setters.filter((s) => !FEDERATION_SETTERS.has(s)), []);
});
