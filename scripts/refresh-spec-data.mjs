// Refreshes vendor/matrix-spec/: the Matrix spec's client-server OpenAPI files and every file they
// `$ref` (event-schemas/schema, …), with the prose taken out, so that the tests' OpenAPI validator
// (tests/support/openapi.ts) and the conformance test work in a fresh clone. Reads a checkout of
// matrix-org/matrix-spec: `node scripts/refresh-spec-data.mjs [SPEC_CHECKOUT]`, by default
// <repo>/../shared/spec/matrix-spec. Paths, operationIds, parameters, schemas, required lists,
// `deprecated`, `x-addedInMatrixVersion` and every `$ref` are kept; descriptions, summaries,
// titles, examples and the change notes are dropped (no test reads them).

import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = resolve(process.argv[2] ?? join(root, '../shared/spec/matrix-spec'));
const data = join(source, 'data');
const out = join(root, 'vendor/matrix-spec');

// Annotation keywords (JSON Schema and OpenAPI) and the spec's documentation-only extensions.
const PROSE = new Set(['description', 'summary', 'title', 'example', 'examples', 'externalDocs', 'x-changedInMatrixVersion', 'x-weight']);
// Keys whose value maps names to things: below them a key is a name (a property may be called
// `summary` or `description`), not a keyword. Same list as tests/support/openapi.ts, plus two.
const NAME_MAPS = new Set([
  'properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas', 'schemas', 'responses', 'parameters', 'paths', 'content', 'variables',
  'headers', 'securitySchemes',
]);

const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep copy of `node` without prose; calls `onRef` with every `$ref` string kept. */
function strip(node, onRef, namesHere = false) {
  if (Array.isArray(node)) return node.map((n) => strip(n, onRef));
  if (!isObject(node)) return node;
  const copy = {};
  for (const [k, v] of Object.entries(node)) {
    if (!namesHere && PROSE.has(k)) continue;
    if (!namesHere && k === '$ref' && typeof v === 'string') onRef(v);
    copy[k] = strip(v, onRef, !namesHere && NAME_MAPS.has(k));
  }
  return copy;
}

/** Highest `x-addedInMatrixVersion` in a stripped document (a hint of the spec's version). */
function highestAdded(node, best) {
  if (Array.isArray(node)) return node.reduce((b, n) => highestAdded(n, b), best);
  if (!isObject(node)) return best;
  for (const [k, v] of Object.entries(node)) {
    if (k === 'x-addedInMatrixVersion' && /^\d+\.\d+$/.test(String(v))) {
      const [a, b] = String(v).split('.').map(Number);
      const [c, d] = best.split('.').map(Number);
      if (a > c || (a === c && b > d)) best = String(v);
    } else {
      best = highestAdded(v, best);
    }
  }
  return best;
}

if (!existsSync(join(data, 'api/client-server'))) {
  console.error(`no matrix-spec checkout at ${source} (expected data/api/client-server inside it).\n` +
    'Clone https://github.com/matrix-org/matrix-spec and pass its path: node scripts/refresh-spec-data.mjs PATH');
  process.exit(1);
}

const cs = join(data, 'api/client-server');
const queue = [
  ...readdirSync(cs).filter((n) => n.endsWith('.yaml')).sort().map((n) => join(cs, n)),
  join(cs, 'definitions/errors/error.yaml'), // the standard error response (openapi.ts reads it by name)
];
const seen = new Set();
const written = [];
let newest = '0.0';

rmSync(join(out, 'api'), { recursive: true, force: true });
rmSync(join(out, 'event-schemas'), { recursive: true, force: true });

while (queue.length > 0) {
  const file = queue.shift();
  if (seen.has(file)) continue;
  seen.add(file);
  const rel = relative(data, file);
  if (rel.startsWith('..')) throw new Error(`a $ref leaves the spec's data directory: ${file}`);
  const doc = strip(parse(readFileSync(file, 'utf8')), (ref) => {
    const target = ref.split('#')[0];
    if (target !== '') queue.push(resolve(dirname(file), target));
  });
  newest = highestAdded(doc, newest);
  const dest = join(out, rel);
  mkdirSync(dirname(dest), { recursive: true });
  const header = '# From matrix-org/matrix-spec (Apache-2.0), changed: prose removed by scripts/refresh-spec-data.mjs.\n';
  writeFileSync(dest, header + stringify(doc, { lineWidth: 0 }));
  written.push(rel.split(sep).join('/'));
}

copyFileSync(join(source, 'LICENSE'), join(out, 'LICENSE'));

const bytes = written.reduce((n, rel) => n + statSync(join(out, rel)).size, 0);
const today = new Date().toISOString().slice(0, 10);
writeFileSync(join(out, 'SOURCE.md'), `# Matrix specification data (vendored, prose removed)

Upstream: [matrix-org/matrix-spec](https://github.com/matrix-org/matrix-spec), directory \`data/\`,
licensed under the Apache License 2.0 (\`LICENSE\` here is upstream's).

Version: as found in \`../shared/spec/matrix-spec\` on ${today}; that copy records no commit. Its
newest \`x-addedInMatrixVersion\` is ${newest}: the spec at v${newest}, or its main branch on the way there.

What is here: the ${written.filter((r) => /^api\/client-server\/[^/]+\.yaml$/.test(r)).length} client-server API files and every file they reference
with \`$ref\` (${written.length} files, ${Math.round(bytes / 1024)} KiB), same paths as under upstream's \`data/\`. Changed:
every file was parsed and written again without \`description\`, \`summary\`, \`title\`, \`example\`,
\`examples\`, \`externalDocs\`, \`x-changedInMatrixVersion\` and \`x-weight\` (property names that
happen to be those words are kept). Paths, operationIds, parameters, schemas, \`required\` lists,
\`deprecated\`, \`x-addedInMatrixVersion\` and all \`$ref\`s are unchanged.

Read by \`tests/support/openapi.ts\` (response validation in the tests, \`SPEC_DIR\`) and
\`packages/server/test/conformance.test.ts\`; \`HUSH_SPEC_DIR\` points them at another
\`api/client-server\` directory instead.

Refresh: \`node scripts/refresh-spec-data.mjs [PATH]\`, PATH being a matrix-spec checkout (by
default \`../shared/spec/matrix-spec\` beside this repository); then run
\`npm test -- tests/support packages/server/test/conformance.test.ts\` and commit \`vendor/matrix-spec\`.
`);

console.log(`vendor/matrix-spec: ${written.length} files, ${Math.round(bytes / 1024)} KiB, from ${source} (newest x-addedInMatrixVersion ${newest})`);
