// Canonical JSON (appendices, "Signing JSON" > "Canonical JSON"): the one byte-exact encoding that
// hashes, signatures and event IDs are computed over.

/** Largest nesting of arrays/objects accepted; deeper input (or a cycle) is a TypeError, not a stack overflow. */
const MAX_DEPTH = 1024;

/** A value string that can be emitted as `"` + s + `"`: no `"`, `\`, control char or surrogate. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const VALUE_NEEDS_CARE = /["\\\u0000-\u001f\ud800-\udfff]/;
/**
 * Same for object keys, which must additionally sort by code point: UTF-16 code-unit order (what
 * `Array.prototype.sort` uses) only differs from it when U+E000..U+FFFF meets a surrogate pair.
 */
// eslint-disable-next-line no-control-regex -- as above
const KEY_NEEDS_CARE = /["\\\u0000-\u001f\ud800-\uffff]/;
/** A high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?:^|[^\ud800-\udbff])[\udc00-\udfff]/;

/** True for numbers Canonical JSON can carry: integers in [-(2**53)+1, (2**53)-1] (`-0` is written `0`). */
export function isCanonicalSafeInteger(value: unknown): value is number {
  return Number.isSafeInteger(value);
}

/**
 * Encodes `value` as Canonical JSON: object keys sorted by Unicode code point, no whitespace,
 * integers only, and only `"`, `\` and U+0000..U+001F escaped (non-ASCII is left as is; encode
 * the result as UTF-8 for hashing or signing). Object members whose value is `undefined` are
 * skipped. Throws a TypeError for anything else Canonical JSON cannot represent: non-integer or
 * unsafe numbers, NaN/Infinity, bigint, functions, symbols, `undefined` outside an object
 * member, lone surrogates, non-plain objects (Date, Map, class instances...) and nesting deeper
 * than 1024 levels (which also catches cycles).
 */
export function canonicalJson(value: unknown): string {
  return encode(value, 0);
}

function encode(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return encodeString(value);
    case 'number':
      if (!Number.isSafeInteger(value)) throw new TypeError(`Canonical JSON allows only safe integers, got ${value}`);
      // `'' + -0` is "0", which is what the spec wants for negative zero.
      return '' + value;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (depth >= MAX_DEPTH) throw new TypeError(`Canonical JSON nesting deeper than ${MAX_DEPTH} (or a cycle)`);
      return Array.isArray(value) ? encodeArray(value, depth + 1) : encodeObject(value, depth + 1);
    default:
      throw new TypeError(`Canonical JSON cannot encode a value of type ${typeof value}`);
  }
}

function encodeString(s: string): string {
  if (!VALUE_NEEDS_CARE.test(s)) return '"' + s + '"';
  return escapeString(s);
}

/**
 * The slow path. For well-formed strings JSON.stringify produces exactly the canonical escaping:
 * `\"`, `\\`, `\b \t \n \f \r`, `\u00xx` (lowercase hex) for the other control characters, and
 * everything else (DEL, U+2028/U+2029, astral characters) verbatim. It would escape a lone
 * surrogate as `\udxxx` instead, which Canonical JSON has no way to express, so those are rejected.
 */
function escapeString(s: string): string {
  if (LONE_SURROGATE.test(s)) throw new TypeError('Canonical JSON cannot encode a string containing a lone surrogate');
  return JSON.stringify(s);
}

function encodeArray(arr: readonly unknown[], depth: number): string {
  const n = arr.length;
  if (n === 0) return '[]';
  let out = '[';
  for (let i = 0; i < n; i++) {
    const item = arr[i];
    if (item === undefined) throw new TypeError(`Canonical JSON cannot encode undefined (array index ${i})`);
    out += (i === 0 ? '' : ',') + encode(item, depth);
  }
  return out + ']';
}

function encodeObject(obj: object, depth: number): string {
  const proto: unknown = Object.getPrototypeOf(obj);
  if (proto !== Object.prototype && proto !== null) {
    throw new TypeError(`Canonical JSON encodes only plain objects and arrays, got ${obj.constructor?.name ?? 'an object'}`);
  }
  const record = obj as Record<string, unknown>;
  const keys = Object.keys(record);
  let simpleKeys = true;
  for (let i = 0; i < keys.length; i++) {
    if (KEY_NEEDS_CARE.test(keys[i]!)) {
      simpleKeys = false;
      break;
    }
  }
  if (simpleKeys) keys.sort();
  else keys.sort(compareCodePoints);

  let out = '{';
  let first = true;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const member = record[key];
    if (member === undefined) continue;
    const encodedKey = simpleKeys ? '"' + key + '"' : encodeString(key);
    out += (first ? '' : ',') + encodedKey + ':' + encode(member, depth);
    first = false;
  }
  return out + '}';
}

/**
 * Orders strings by Unicode code point. UTF-16 code-unit order agrees except where a surrogate
 * (U+D800..U+DFFF, i.e. part of a code point >= U+10000) meets a unit in U+E000..U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      const xSurrogate = x < 0xe000;
      if (xSurrogate !== y < 0xe000) return xSurrogate ? 1 : -1;
    }
    return x - y;
  }
  return a.length - b.length;
}
