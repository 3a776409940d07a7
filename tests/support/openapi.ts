// Validates responses against the spec's OpenAPI 3.1 files for the client-server API, vendored
// without their prose at <repo>/vendor/matrix-spec/api/client-server (scripts/refresh-spec-data.mjs;
// $HUSH_SPEC_DIR points at another copy, e.g. a matrix-spec checkout's data/api/client-server). Every `$ref` —
// to another file or inside one — is inlined; validators are compiled once per response.

import { AssertionError } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { isEventId, isRoomAlias, isRoomId, isServerName, isUserId } from '@hush/protocol';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

export const SPEC_DIR = process.env['HUSH_SPEC_DIR'] ?? fileURLToPath(new URL('../../vendor/matrix-spec/api/client-server/', import.meta.url));

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const fileCache = new Map<string, unknown>();
function loadFile(path: string): unknown {
  let doc = fileCache.get(path);
  if (doc === undefined) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`cannot read spec file ${path} (set HUSH_SPEC_DIR?): ${(err as Error).message}`);
    }
    doc = parseYaml(text) as unknown;
    fileCache.set(path, doc);
  }
  return doc;
}

function pointer(doc: unknown, ptr: string, where: string): unknown {
  let cur = doc;
  for (const raw of ptr.split('/').filter((p) => p.length > 0)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    cur = isObject(cur) || Array.isArray(cur) ? (cur as Json)[key] : undefined;
    if (cur === undefined) throw new Error(`unresolvable $ref ${where}`);
  }
  return cur;
}

// Keys whose value maps names to schemas: below them a key is a name (a property may be called
// `example`), not a keyword.
const NAME_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas', 'schemas', 'responses', 'parameters', 'paths', 'content', 'variables']);

/** Deep copy of `node` with every $ref replaced by what it points at (relative to `file`);
 *  `example(s)` annotations dropped. A $ref cycle is an error (the spec has none today). */
function resolveRefs(node: unknown, file: string, stack: readonly string[] = [], namesHere = false): unknown {
  if (Array.isArray(node)) return node.map((n) => resolveRefs(n, file, stack));
  if (!isObject(node)) return node;
  if (!namesHere && typeof node['$ref'] === 'string') {
    const ref = node['$ref'];
    const hash = ref.indexOf('#');
    const target = hash === -1 ? ref : ref.slice(0, hash);
    const frag = hash === -1 ? '' : ref.slice(hash + 1);
    const targetFile = target === '' ? file : resolve(dirname(file), target);
    const key = `${targetFile}#${frag}`;
    if (stack.includes(key)) throw new Error(`cyclic $ref ${ref} in ${file}`);
    const where = `${ref} (from ${file})`;
    const resolved = resolveRefs(pointer(loadFile(targetFile), frag, where), targetFile, [...stack, key]);
    const { $ref: _ref, ...rest } = node;
    const siblings = Object.keys(rest).filter((k) => !['description', 'title', 'summary', 'example', 'examples'].includes(k) && !k.startsWith('x-'));
    return siblings.length > 0 ? { allOf: [resolved, resolveRefs(rest, file, stack)] } : resolved;
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) {
    if (!namesHere && (k === 'example' || k === 'examples')) continue;
    out[k] = resolveRefs(v, file, stack, !namesHere && NAME_MAPS.has(k));
  }
  return out;
}

interface Operation {
  method: string;
  template: RegExp;
  path: string;
  params: number;
  operationId: string;
  responses: Json;
  file: string;
}

function specFiles(): string[] {
  return readdirSync(SPEC_DIR)
    .filter((n) => n.endsWith('.yaml'))
    .sort()
    .map((n) => join(SPEC_DIR, n));
}

let operations: Operation[] | undefined;
function allOperations(): Operation[] {
  if (operations) return operations;
  const ops: Operation[] = [];
  for (const file of specFiles()) {
    const doc = loadFile(file) as Json;
    // servers: [{ url: "{protocol}://{hostname}{basePath}", variables: { basePath: { default } } }]
    const server = ((doc['servers'] as Json[] | undefined) ?? [])[0];
    const base = String(((server?.['variables'] as Json | undefined)?.['basePath'] as Json | undefined)?.['default'] ?? '');
    for (const [path, item] of Object.entries((doc['paths'] as Json | undefined) ?? {})) {
      for (const [method, op] of Object.entries(item as Json)) {
        if (!isObject(op) || !isObject(op['responses'])) continue;
        const full = `${base}${path.trim()}`;
        const parts = full.split(/\{[^}]+\}/);
        const src = parts.map((p) => p.replace(/[.*+?^$()|[\]\\]/g, '\\$&')).join('[^/]*');
        ops.push({
          method: method.toUpperCase(),
          template: new RegExp(`^${src}/?$`),
          path: full,
          params: parts.length - 1,
          operationId: String(op['operationId']),
          responses: op['responses'],
          file,
        });
      }
    }
  }
  // Most specific first: fewest parameters, then the longest literal text.
  ops.sort((a, b) => a.params - b.params || b.path.length - a.path.length);
  operations = ops;
  return ops;
}

/** The path part of a request target, with the old r0 prefix mapped to v3. */
function barePath(path: string): string {
  const p = /^https?:\/\//.test(path) ? new URL(path).pathname : (path.split('?')[0] ?? '');
  return p.replace(/^\/_matrix\/(client|media)\/r0\//, '/_matrix/$1/v3/');
}

function lookup(method: string, path: string): Operation | undefined {
  const m = method.toUpperCase();
  const bare = barePath(path);
  return allOperations().find((o) => o.method === m && o.template.test(bare));
}

function findOperation(method: string, path: string): Operation {
  const op = lookup(method, path);
  if (!op) throw new AssertionError({ message: `no operation in the spec for ${method} ${barePath(path)}` });
  return op;
}

/** The spec's operationId for a concrete request, e.g. `getRoomEvents`. */
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
ajv.addFormat('mx-urlsafe-unpadded-base64', /^[A-Za-z0-9_-]*$/);

// "Any errors which occur at the Matrix API level MUST return a 'standard error response'": used
// for error statuses the spec lists without a body schema.
let errorValidator: ValidateFunction | undefined;
function standardErrorValidator(): ValidateFunction {
  const file = join(SPEC_DIR, 'definitions/errors/error.yaml');
  errorValidator ??= ajv.compile(resolveRefs(loadFile(file), file) as object);
  return errorValidator;
}

const validators = new Map<string, ValidateFunction | null>();

/** The validator for one documented response; null when the spec documents it without a JSON
 *  body (redirects, media bytes). Throws when the spec does not list the status at all. */
function validatorFor(op: Operation, status: string): ValidateFunction | null {
  const key = `${op.method} ${op.path} ${status}`;
  const cached = validators.get(key);
  if (cached !== undefined) return cached;
  const response = op.responses[status] ?? op.responses['default'];
  if (!response) {
    const listed = Object.keys(op.responses).join(', ');
    throw new AssertionError({ message: `the spec lists no ${status} response for ${op.operationId} (${op.method} ${op.path}); it lists ${listed}` });
  }
  const resolved = resolveRefs(response, op.file) as Json;
  const schema = ((resolved['content'] as Json | undefined)?.['application/json'] as Json | undefined)?.['schema'];
  let v: ValidateFunction | null;
  if (schema !== undefined) {
    try {
      v = ajv.compile(schema as object);
    } catch (err) {
      throw new Error(`cannot compile the ${status} schema of ${op.operationId}: ${(err as Error).message}`);
    }
  } else {
    v = Number(status) >= 400 ? standardErrorValidator() : null;
  }
  validators.set(key, v);
  return v;
}

function check(op: Operation, validate: ValidateFunction, status: number, body: unknown): void {
  if (validate(body)) return;
  const errors = (validate.errors ?? []).slice(0, 10).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
  throw new AssertionError({
    message: `${op.operationId} ${status} (${op.method} ${op.path}) does not match the spec:\n  ${errors.join('\n  ')}\nbody: ${JSON.stringify(body)?.slice(0, 800)}`,
  });
}

/** Throws an AssertionError when `body` does not match what the spec documents for this
 *  response, or when the spec documents no such operation, status, or JSON body for it. */
export function assertResponseMatchesSpec(method: string, path: string, status: number, body: unknown): void {
  const op = findOperation(method, path);
  const validate = validatorFor(op, String(status));
  if (!validate) throw new AssertionError({ message: `the spec documents no JSON body for ${op.operationId} ${status} (${op.method} ${op.path})` });
  check(op, validate, status, body);
}

/** Like assertResponseMatchesSpec, but silent for paths or statuses the spec does not document
 *  (unknown routes, 405s, 429s of endpoints that list none) and for documented non-JSON bodies:
 *  used on every test request. */
export function checkIfDocumented(method: string, path: string, status: number, body: unknown): void {
  const op = lookup(method, path);
  if (!op || !(String(status) in op.responses)) return;
  const validate = validatorFor(op, String(status));
  if (validate) check(op, validate, status, body);
}

/** Compiles every response schema of every operation (a self-check of the loader); returns
 *  how many responses it compiled. */
export function compileAll(): number {
  let n = 0;
  for (const op of allOperations()) {
    for (const status of Object.keys(op.responses)) {
      validatorFor(op, status);
      n++;
    }
  }
  return n;
}

/** Resolves every $ref of every spec file, whole documents (requests too); returns the file
 *  names. Throws on the first reference that does not resolve. */
export function resolveAllFiles(): string[] {
  return specFiles().map((file) => {
    resolveRefs(loadFile(file), file);
    return file;
  });
}
