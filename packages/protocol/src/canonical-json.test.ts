import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, compareCodePoints, isCanonicalSafeInteger } from './canonical-json.ts';

/** Parses `input` as the spec's examples do (as JSON text) and encodes it. */
const fromText = (input: string): string => canonicalJson(JSON.parse(input));

describe('canonicalJson: the examples in the appendix "Canonical JSON"', () => {
  it('encodes an empty object', () => {
    assert.equal(fromText('{}'), '{}');
  });

  it('drops whitespace', () => {
    assert.equal(fromText('{\n    "one": 1,\n    "two": "Two"\n}'), '{"one":1,"two":"Two"}');
  });

  it('sorts keys', () => {
    assert.equal(fromText('{\n    "b": "2",\n    "a": "1"\n}'), '{"a":"1","b":"2"}');
    assert.equal(fromText('{"b":"2","a":"1"}'), '{"a":"1","b":"2"}');
  });

  it('sorts nested objects and keeps array order', () => {
    const input = `{
      "auth": {
        "success": true,
        "mxid": "@john.doe:example.com",
        "profile": {
          "display_name": "John Doe",
          "three_pids": [
            { "medium": "email", "address": "john.doe@example.org" },
            { "medium": "msisdn", "address": "123456789" }
          ]
        }
      }
    }`;
    assert.equal(
      fromText(input),
      '{"auth":{"mxid":"@john.doe:example.com","profile":{"display_name":"John Doe","three_pids":[{"address":"john.doe@example.org","medium":"email"},{"address":"123456789","medium":"msisdn"}]},"success":true}}',
    );
  });

  it('leaves non-ASCII characters unescaped', () => {
    assert.equal(fromText('{\n    "a": "日本語"\n}'), '{"a":"日本語"}');
  });

  it('sorts non-ASCII keys by code point', () => {
    assert.equal(fromText('{\n    "本": 2,\n    "日": 1\n}'), '{"日":1,"本":2}');
  });

  it('un-escapes redundant \\u escapes', () => {
    assert.equal(fromText('{\n    "a": "\\u65E5"\n}'), '{"a":"日"}');
  });

  it('encodes null', () => {
    assert.equal(fromText('{\n    "a": null\n}'), '{"a":null}');
  });

  it('writes -0 as 0 and 1e10 without an exponent', () => {
    assert.equal(fromText('{\n    "a": -0,\n    "b": 1e10\n}'), '{"a":0,"b":10000000000}');
  });
});

describe('canonicalJson: scalars and structure', () => {
  it('encodes top-level scalars', () => {
    assert.equal(canonicalJson(null), 'null');
    assert.equal(canonicalJson(true), 'true');
    assert.equal(canonicalJson(false), 'false');
    assert.equal(canonicalJson(0), '0');
    assert.equal(canonicalJson(-0), '0');
    assert.equal(canonicalJson(-42), '-42');
    assert.equal(canonicalJson(''), '""');
    assert.equal(canonicalJson('x'), '"x"');
  });

  it('accepts the integer range bounds [-(2**53)+1, (2**53)-1]', () => {
    assert.equal(canonicalJson(2 ** 53 - 1), '9007199254740991');
    assert.equal(canonicalJson(-(2 ** 53) + 1), '-9007199254740991');
    assert.equal(canonicalJson(1e15), '1000000000000000');
    assert.equal(canonicalJson(1.0), '1');
  });

  it('encodes arrays, empty containers and nesting', () => {
    assert.equal(canonicalJson([]), '[]');
    assert.equal(canonicalJson([1, 'a', null, true, [], {}]), '[1,"a",null,true,[],{}]');
    assert.equal(canonicalJson({ z: [{ b: 1, a: [2, { d: 0, c: 1 }] }] }), '{"z":[{"a":[2,{"c":1,"d":0}],"b":1}]}');
  });

  it('skips object members whose value is undefined', () => {
    assert.equal(canonicalJson({ a: undefined, b: 1, c: undefined }), '{"b":1}');
    assert.equal(canonicalJson({ a: undefined }), '{}');
  });

  it('accepts null-prototype objects', () => {
    const o = Object.create(null) as Record<string, unknown>;
    o.b = 1;
    o.a = 2;
    assert.equal(canonicalJson(o), '{"a":2,"b":1}');
  });

  it('sorts numeric-looking keys as strings', () => {
    assert.equal(canonicalJson({ 10: 'x', 9: 'y', 1: 'z', a: 0 }), '{"1":"z","10":"x","9":"y","a":0}');
  });

  it('sorts by code point, not UTF-16 code unit', () => {
    // U+FF61 < U+1F600 by code point, but its code unit 0xFF61 > 0xD83D (the high surrogate of U+1F600).
    assert.equal(canonicalJson({ '😀': 1, '\uff61': 2, a: 3 }), '{"a":3,"\uff61":2,"😀":1}');
    assert.equal(canonicalJson({ '\ue000': 1, '\u{10000}': 2, '\ud7ff': 3 }), '{"\ud7ff":3,"\ue000":1,"\u{10000}":2}');
    assert.equal(canonicalJson({ ab: 1, a: 2, 'a"': 3 }), '{"a":2,"a\\"":3,"ab":1}');
  });

  it('agrees with a reference code point comparison', () => {
    const samples = ['', 'a', 'ab', 'b', '\u007f', '\u00e9', '\ud7ff', '\ue000', '\uffff', '\u{10000}', '\u{1f600}', '\u{10ffff}', 'a\u{1f600}', 'a\uffff'];
    const byCodePoints = (a: string, b: string): number => {
      const x = [...a].map((c) => c.codePointAt(0)!);
      const y = [...b].map((c) => c.codePointAt(0)!);
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
      return x.length - y.length;
    };
    for (const a of samples) {
      for (const b of samples) assert.equal(Math.sign(compareCodePoints(a, b)), Math.sign(byCodePoints(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }
  });
});

describe('canonicalJson: string escaping', () => {
  it('escapes only the quotation mark and reverse solidus among printable ASCII', () => {
    assert.equal(canonicalJson('a"b\\c/d'), '"a\\"b\\\\c/d"');
  });

  it('uses the short escapes for \\b \\t \\n \\f \\r', () => {
    assert.equal(canonicalJson('\b\t\n\f\r'), '"\\b\\t\\n\\f\\r"');
  });

  it('uses lowercase \\u00XX for the other control characters', () => {
    const expected: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r' };
    for (let c = 0; c < 0x20; c++) {
      const want = expected[c] ?? '\\u00' + c.toString(16).padStart(2, '0');
      assert.equal(canonicalJson(String.fromCharCode(c)), `"${want}"`, `U+${c.toString(16)}`);
    }
    assert.equal(canonicalJson('\u001f\u000b\u001a'), '"\\u001f\\u000b\\u001a"');
  });

  it('leaves DEL, U+2028, U+2029, BMP and astral characters unescaped', () => {
    assert.equal(canonicalJson('\u007f'), '"\u007f"');
    assert.equal(canonicalJson('\u2028\u2029'), '"\u2028\u2029"');
    assert.equal(canonicalJson('é日\uffff'), '"é日\uffff"');
    assert.equal(canonicalJson('😀 \u{10ffff}'), '"😀 \u{10ffff}"');
    assert.equal(canonicalJson('"😀"'), '"\\"😀\\""');
  });

  it('escapes keys the same way as values', () => {
    assert.equal(canonicalJson({ 'a\nb': 1, 'q"': 2 }), '{"a\\nb":1,"q\\"":2}');
    assert.equal(canonicalJson({ '😀\n': 1 }), '{"😀\\n":1}');
  });

  it('does not treat a literal backslash-u sequence as an escape', () => {
    assert.equal(canonicalJson('\\ud800'), '"\\\\ud800"');
  });

  it('round-trips through JSON.parse', () => {
    const value = { s: 'line\nbreak\u0000nul "quoted" \\ 日本 😀 \u2028', n: [-1, 0, 2 ** 53 - 1], o: { '': null } };
    assert.deepEqual(JSON.parse(canonicalJson(value)), value);
  });
});

describe('canonicalJson: rejects what Canonical JSON cannot represent', () => {
  const rejects = (value: unknown, why: string): void => {
    assert.throws(() => canonicalJson(value), TypeError, why);
  };

  it('rejects floats and out-of-range integers', () => {
    rejects(1.5, 'float');
    rejects({ a: 0.1 }, 'nested float');
    rejects(2 ** 53, '2**53');
    rejects(-(2 ** 53), '-(2**53)');
    rejects(1e300, 'huge');
    rejects([Number.MAX_VALUE], 'MAX_VALUE');
  });

  it('rejects NaN and infinities', () => {
    rejects(NaN, 'NaN');
    rejects(Infinity, 'Infinity');
    rejects({ a: -Infinity }, '-Infinity');
  });

  it('rejects bigint, functions, symbols and top-level undefined', () => {
    rejects(1n, 'bigint');
    rejects({ a: 1n }, 'nested bigint');
    rejects(() => 1, 'function');
    rejects({ f: () => 1 }, 'function member');
    rejects(Symbol('s'), 'symbol');
    rejects({ s: Symbol('s') }, 'symbol member');
    rejects(undefined, 'undefined');
  });

  it('rejects undefined and holes in arrays', () => {
    rejects([1, undefined], 'undefined element');
    rejects(new Array(2), 'sparse array');
  });

  it('rejects lone surrogates in values and keys', () => {
    rejects('\ud800', 'lone high surrogate');
    rejects('\udc00', 'lone low surrogate');
    rejects('a\ud83dz', 'high surrogate followed by a non-surrogate');
    rejects('\ude00\ud83d', 'reversed pair');
    rejects('\ud83d\ud83d\ude00', 'two highs then a low');
    rejects('😀\ude00', 'pair then a low');
    rejects('"\ud800"', 'lone surrogate alongside characters that need escaping');
    rejects({ '\ud800': 1 }, 'lone surrogate key');
    rejects([{ ok: 'x\udfff' }], 'nested');
  });

  it('rejects non-plain objects', () => {
    rejects(new Date(0), 'Date');
    rejects(new Map(), 'Map');
    rejects({ b: Buffer.from('x') }, 'Buffer');
    class Thing {
      a = 1;
    }
    rejects(new Thing(), 'class instance');
  });

  it('rejects cycles and absurd nesting with a TypeError', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    rejects(cyclic, 'cycle');
    let deep: unknown = 1;
    for (let i = 0; i < 2000; i++) deep = [deep];
    rejects(deep, 'deep nesting');
    let ok: unknown = 1;
    for (let i = 0; i < 1000; i++) ok = { a: ok };
    assert.ok(canonicalJson(ok).startsWith('{"a":{"a":'));
  });
});

describe('isCanonicalSafeInteger', () => {
  it('accepts integers in range and rejects everything else', () => {
    for (const v of [0, -0, 1, -1, 2 ** 53 - 1, -(2 ** 53) + 1]) assert.equal(isCanonicalSafeInteger(v), true, String(v));
    for (const v of [0.5, 2 ** 53, -(2 ** 53), NaN, Infinity, '1', 1n, null, undefined]) {
      assert.equal(isCanonicalSafeInteger(v), false, String(v));
    }
  });
});
