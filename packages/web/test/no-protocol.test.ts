// The web package holds no protocol code: its sources import only preact, @hush/client and
// @hush/protocol's validators and types, and never call fetch or name a Matrix path themselves.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../src', import.meta.url));
const ALLOWED = [/^preact(\/hooks)?$/, /^@hush\/client$/, /^@hush\/protocol$/, /^\.\/[\w-]+\.(tsx?|css)$/];

test('web sources import only preact, @hush/client, @hush/protocol and each other; no fetch, no /_matrix paths', () => {
  const files = readdirSync(SRC).filter((f) => /\.(tsx?)$/.test(f));
  assert.ok(files.length > 5);
  for (const f of files) {
    const text = readFileSync(join(SRC, f), 'utf8');
    for (const m of text.matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)) {
      assert.ok(ALLOWED.some((re) => re.test(m[1]!)), `${f} imports ${m[1]}`);
    }
    assert.doesNotMatch(text, /\bfetch\(|\/_matrix\//, `${f} speaks HTTP itself`);
  }
  const specImports = files.flatMap((f) => [...readFileSync(join(SRC, f), 'utf8').matchAll(/import \{([^}]*)\} from '@hush\/protocol'/g)].map((m) => m[1]!));
  for (const names of specImports) {
    for (const name of names.split(',').map((n) => n.trim()).filter(Boolean)) {
      assert.match(name, /^(type \w+|is[A-Z]\w*)$/, `@hush/protocol import ${name}: only validators (is…) and types`);
    }
  }
});
