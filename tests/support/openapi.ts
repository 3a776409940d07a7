// Validates responses against the spec's OpenAPI (3.1) files for the client-server API, found at
// <repo>/../shared/spec/matrix-spec/data/api/client-server (or $HUSH_SPEC_DIR). Every `$ref` —
// to another file or inside one — is inlined once; validators are compiled once per response.

import { AssertionError } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { isEventId, isRoomAlias, isRoomId, isServerName, isUserId } from '@hush/spec';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

export const SPEC_DIR = process.env['HUSH_SPEC_DIR'] ?? fileURLToPath(new URL('../../../shared/spec/matrix-spec/data/api/client-server/', import.meta.url));

type Json = Record<string, unknown>;

const fileCache = new Map<string, unknown>();
function loadFile(path: string): unknown {
  let doc = fileCache.get(path);
  if (doc === undefined) {
    doc = parseYaml(readFileSync(path, 'utf8')) as unknown;
    fileCache.set(path, doc);
  }
  return doc;
}

function pointer(doc: unknown, ptr: string): unknown {
  let cur = doc;
  for (const raw of ptr.split('/').filter((p) => p.length > 0)) {
    const key = decodeURIComponent(raw.replace(/~1/g, '/').replace(/~0/g, '~'));
    cur = (cur as Json)[key];
    if (cur === undefined) throw new Error(`unresolvable pointer ${ptr}`);
  }
  return cur;
}

/** Deep copy of `node` with every $ref replaced by what it points at (relative to `file`). */
function resolveRefs(node: unknown, file: string, depth = 0): unknown {
  if (depth > 60) return {};
  if (Array.isArray(node)) return node.map((n) => resolveRefs(n, file, depth + 1));
  if (!node || typeof node !== 'object') return node;
  const obj = node as Json;
  if (typeof obj['$ref'] === 'string') {
    const [target, frag] = (obj['$ref'] as string).split('#') as [string, string | undefined];
    const targetFile = target === '' ? file : resolve(dirname(file), target);
    const resolved = resolveRefs(pointer(loadFile(targetFile), frag ?? ''), targetFile, depth + 1);
    const { $ref: _ref, ...rest } = obj;
    return Object.keys(rest).length > 0 ? { allOf: [resolved, resolveRefs(rest, file, depth + 1)] } : resolved;
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'example' || k === 'examples') continue;
    out[k] = resolveRefs(v, file, depth + 1);
  }
  return out;
}

interface Operation {
  method: string;
  template: RegExp;
  path: string;
  operationId: string;
  responses: Json;
  file: string;
}

let operations: Operation[] | undefined;
function allOperations(): Operation[] {
  if (operations) return operations;
  operations = [];
  for (const name of readdirSync(SPEC_DIR).filter((n) => n.endsWith('.yaml'))) {
    const file = join(SPEC_DIR, name);
    const doc = loadFile(file) as Json;
    const servers = (doc['servers'] as Json[] | undefined) ?? [];
    const base = String(((servers[0]?.['variables'] as Json | undefined)?.['basePath'] as Json | undefined)?.['default'] ?? '');
    for (const [path, item] of Object.entries((doc['paths'] as Json | undefined) ?? {})) {
      for (const [method, op] of Object.entries(item as Json)) {
        const o = op as Json;
        if (!o || typeof o !== 'object' || !o['responses']) continue;
        const full = `${base}${path.trim()}`;
        const src = full
          .split(/\{[^}]+\}/)
          .map((p) => p.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
          .join('[^/]*');
        operations.push({ method: method.toUpperCase(), template: new RegExp(`^${src}/?$`), path: full, operationId: String(o['operationId']), responses: o['responses'] as Json, file });
      }
    }
  }
  return operations;
}

function findOperation(method: string, path: string): Operation {
  const bare = path.split('?')[0]?.replace('/client/r0/', '/client/v3/') ?? '';
  // Prefer the most specific template (fewest parameters) when several match.
  const matches = allOperations().filter((o) => o.method === method.toUpperCase() && o.template.test(bare));
  matches.sort((a, b) => (a.path.match(/\{/g)?.length ?? 0) - (b.path.match(/\{/g)?.length ?? 0));
  const op = matches[0];
  if (!op) throw new AssertionError({ message: `no operation in the spec for ${method} ${bare}` });
  return op;
}

export function specOperation(method: string, path: string): string {
  return findOperation(method, path).operationId;
}

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true, logger: false });
addFormats(ajv);
// The spec's own string formats (data/string-formats.yaml), checked with our id parsers.
ajv.addFormat('mx-user-id', (s: string) => isUserId(s));
ajv.addFormat('mx-room-id', (s: string) => isRoomId(s));
ajv.addFormat('mx-event-id', (s: string) => isEventId(s));
ajv.addFormat('mx-room-alias', (s: string) => isRoomAlias(s));
ajv.addFormat('mx-server-name', (s: string) => isServerName(s));
ajv.addFormat('mx-mxc-uri', /^mxc:\/\/[^/]+\/[A-Za-z0-9_-]+$/);
ajv.addFormat('mx-unpadded-base64', /^[A-Za-z0-9+/]*$/);
const validators = new Map<string, ValidateFunction | null>();

function validatorFor(op: Operation, status: number): ValidateFunction | null {
  const key = `${op.method} ${op.path} ${status}`;
  if (validators.has(key)) return validators.get(key) ?? null;
  const response = (op.responses[String(status)] ?? op.responses['default']) as Json | undefined;
  if (!response) throw new AssertionError({ message: `the spec lists no ${status} response for ${op.operationId} (${op.method} ${op.path})` });
  const resolvedResponse = resolveRefs(response, op.file) as Json;
  const schema = ((resolvedResponse['content'] as Json | undefined)?.['application/json'] as Json | undefined)?.['schema'];
  const v = schema ? ajv.compile(schema as object) : null;
  validators.set(key, v);
  return v;
}

/** Throws an AssertionError when `body` does not match what the spec documents for this response. */
export function assertResponseMatchesSpec(method: string, path: string, status: number, body: unknown): void {
  const op = findOperation(method, path);
  const validate = validatorFor(op, status);
  if (!validate) return; // the spec documents this status without a body schema
  if (!validate(body)) {
    const errors = (validate.errors ?? []).slice(0, 8).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
    throw new AssertionError({ message: `${op.operationId} ${status} does not match the spec:\n  ${errors.join('\n  ')}\nbody: ${JSON.stringify(body).slice(0, 800)}` });
  }
}

/** Compiles every response schema of every operation (a self-check of the loader). */
export function compileAll(): number {
  let n = 0;
  for (const op of allOperations()) {
    for (const status of Object.keys(op.responses)) {
      validatorFor(op, Number(status) || 0);
      n++;
    }
  }
  return n;
}

/** Like assertResponseMatchesSpec, but silent for paths or statuses the spec does not document
 *  (unknown routes, 405s, 429s of endpoints that list none): used on every test request. */
export function checkIfDocumented(method: string, path: string, status: number, body: unknown): void {
  const bare = path.split('?')[0]?.replace('/client/r0/', '/client/v3/') ?? '';
  const op = allOperations()
    .filter((o) => o.method === method.toUpperCase() && o.template.test(bare))
    .sort((a, b) => (a.path.match(/\{/g)?.length ?? 0) - (b.path.match(/\{/g)?.length ?? 0))[0];
  if (!op || !(String(status) in op.responses)) return;
  assertResponseMatchesSpec(method, path, status, body);
}
