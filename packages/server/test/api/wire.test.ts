// What clients written against other homeservers rely on at the HTTP level: the exact JSON
// Content-Type, request bodies that are not UTF-8, and `null` as the body of an operation whose
// body is optional (nheko's POST /logout).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { api, type Endpoint } from '@hush/protocol';
import { SPEC_DIR } from '../../../../tests/support/openapi.ts';
import { createSuiteApp, type Res, type Session, type TestApp } from '../helpers.ts';
import { roomSteps, type RoomSteps } from '../room-helpers.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

let t: TestApp;
let r: RoomSteps;
let alice: Session;

before(async () => {
  t = await createSuiteApp();
  r = roomSteps(t);
  alice = await t.register('alice');
});
after(() => t.close());

function assertError(res: Res, status: number, errcode: string): void {
  assert.equal(res.status, status, res.text);
  assert.equal(res.json?.errcode, errcode, res.text);
}

describe('Content-Type of JSON answers', () => {
  test('is exactly application/json: answers, Matrix errors, 401, 404, 405, refused paths and bodies', async () => {
    const cases: [string, Promise<Res>][] = [
      ['200 versions', t.req('GET', '/_matrix/client/versions')],
      ['200 whoami', t.req('GET', `${V3}/account/whoami`, { token: alice.token })],
      ['401 no token', t.req('GET', `${V3}/account/whoami`)],
      ['403 a MatrixError', t.req('GET', `${V3}/rooms/${enc('!nowhere:localhost')}/state`, { token: alice.token })],
      ['404 unknown route', t.req('GET', `${V3}/no/such/thing`)],
      ['404 outside the API', t.req('GET', '/favicon.ico')],
      ['405 wrong method', t.req('DELETE', '/_matrix/client/versions')],
      ['400 bad escape, refused before routing', t.req('GET', `${V3}/rooms/%FF/state`, { token: alice.token })],
      ['400 not JSON', t.req('POST', `${V3}/createRoom`, { token: alice.token, rawBody: '{' })],
      ['413 too large', t.req('POST', `${V3}/createRoom`, { token: alice.token, rawBody: 'x'.repeat(t.config.maxBodyBytes + 1) })],
    ];
    for (const [what, p] of cases) {
      const res = await p;
      assert.equal(res.headers['content-type'], 'application/json', `${what} (${res.status})`);
      assert.doesNotThrow(() => JSON.parse(res.text), what);
    }
  });
});

describe('request bodies that are not UTF-8', () => {
  // {"name":"<bytes>"} with the bytes in the middle of a JSON string.
  const body = (...bytes: number[]) => Buffer.concat([Buffer.from('{"name":"'), Buffer.from(bytes), Buffer.from('"}')]);

  test('are 400 M_NOT_JSON and change nothing (a stray byte, an overlong form, an encoded surrogate, a cut sequence)', async () => {
    const before = (await t.req('GET', `${V3}/joined_rooms`, { token: alice.token })).json.joined_rooms.length;
    for (const bytes of [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x98], [0x80]]) {
      assertError(await t.req('POST', `${V3}/createRoom`, { token: alice.token, rawBody: body(...bytes) }), 400, 'M_NOT_JSON');
    }
    const roomId = await r.createRoom(alice);
    const send = await t.req('PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/bad-utf8`, {
      token: alice.token,
      rawBody: Buffer.concat([Buffer.from('{"msgtype":"m.text","body":"'), Buffer.from([0xfe]), Buffer.from('"}')]),
    });
    assertError(send, 400, 'M_NOT_JSON');
    const after = (await t.req('GET', `${V3}/joined_rooms`, { token: alice.token })).json.joined_rooms.length;
    assert.equal(after, before + 1, 'only the good createRoom made a room');
  });

  test('well-formed UTF-8 of every length passes; an escaped lone surrogate is still M_BAD_JSON', async () => {
    const res = await t.req('POST', `${V3}/createRoom`, { token: alice.token, rawBody: Buffer.from('{"name":"é € ☕ 😀"}', 'utf8') });
    assert.equal(res.status, 200, res.text);
    const name = await t.req('GET', `${V3}/rooms/${enc(res.json.room_id)}/state/m.room.name/`, { token: alice.token });
    assert.deepEqual(name.json, { name: 'é € ☕ 😀' });
    assertError(await t.req('POST', `${V3}/createRoom`, { token: alice.token, rawBody: '{"name":"\\ud800"}' }), 400, 'M_BAD_JSON');
  });

  test('the checks that need no walk over every string still hold: an escaped U+0000 in a key, a lone low surrogate, nesting past 100', async () => {
    for (const rawBody of ['{"name":"x","\\u0000":1}', '{"topic":"a\\udc00b"}', `{"name":"x","creation_content":${'{"a":'.repeat(120)}1${'}'.repeat(120)}}`]) {
      assertError(await t.req('POST', `${V3}/createRoom`, { token: alice.token, rawBody }), 400, 'M_BAD_JSON');
    }
    // An escaped backslash before "u0000" is text, not an escape: accepted.
    const ok = await t.req('POST', `${V3}/createRoom`, { token: alice.token, rawBody: '{"name":"a\\\\u0000b"}' });
    assert.equal(ok.status, 200, ok.text);
  });
});

describe('optional bodies', () => {
  test('POST /logout with the body null (nheko) logs out', async () => {
    const s = await t.login('alice');
    const res = await t.req('POST', `${V3}/logout`, { token: s.token, rawBody: 'null' });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, {});
    assertError(await t.req('GET', `${V3}/account/whoami`, { token: s.token }), 401, 'M_UNKNOWN_TOKEN');
  });

  test('POST /logout/all with null, or with no body at all, logs every device out', async () => {
    const bob = await t.register('bob');
    const other = await t.login('bob');
    const res = await t.req('POST', `${V3}/logout/all`, { token: bob.token, rawBody: 'null' });
    assert.equal(res.status, 200, res.text);
    assertError(await t.req('GET', `${V3}/account/whoami`, { token: other.token }), 401, 'M_UNKNOWN_TOKEN');
    const again = await t.login('bob');
    assert.equal((await t.req('POST', `${V3}/logout/all`, { token: again.token })).status, 200);
    assertError(await t.req('GET', `${V3}/account/whoami`, { token: again.token }), 401, 'M_UNKNOWN_TOKEN');
  });

  test('createRoom, join, leave and forget take null as {}', async () => {
    const carol = await t.register('carol');
    const created = await t.req('POST', `${V3}/createRoom`, { token: alice.token, rawBody: 'null' });
    assert.equal(created.status, 200, created.text);
    const roomId = created.json.room_id as string;
    await r.invite(alice, roomId, carol.userId);
    const joined = await t.req('POST', `${V3}/join/${enc(roomId)}`, { token: carol.token, rawBody: 'null' });
    assert.equal(joined.status, 200, joined.text);
    assert.deepEqual(joined.json, { room_id: roomId });
    assert.equal((await t.req('POST', `${V3}/rooms/${enc(roomId)}/leave`, { token: carol.token, rawBody: 'null' })).status, 200);
    assert.equal((await t.req('POST', `${V3}/rooms/${enc(roomId)}/forget`, { token: carol.token, rawBody: 'null' })).status, 200);
  });

  test('null where the spec requires an object stays 400 M_BAD_JSON; other non-objects too', async () => {
    const roomId = await r.createRoom(alice);
    assertError(await t.req('PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/null-body`, { token: alice.token, rawBody: 'null' }), 400, 'M_BAD_JSON');
    assertError(await t.req('PUT', `${V3}/rooms/${enc(roomId)}/state/m.room.topic/`, { token: alice.token, rawBody: 'null' }), 400, 'M_BAD_JSON');
    assertError(await t.req('POST', `${V3}/rooms/${enc(roomId)}/invite`, { token: alice.token, rawBody: 'null' }), 400, 'M_BAD_JSON');
    assertError(await t.req('POST', `${V3}/login`, { rawBody: 'null' }), 400, 'M_BAD_JSON');
    assertError(await t.req('PUT', `${V3}/user/${enc(alice.userId)}/account_data/x.y`, { token: alice.token, rawBody: 'null' }), 400, 'M_BAD_JSON');
    for (const raw of ['[]', '1', '"x"', 'true']) {
      assertError(await t.req('POST', `${V3}/logout`, { token: alice.token, rawBody: raw }), 400, 'M_BAD_JSON');
    }
    assert.equal((await t.req('GET', `${V3}/account/whoami`, { token: alice.token })).status, 200, 'none of these logged alice out');
  });
});

// The descriptor flag against the spec's own data: an operation takes `optionalBody` exactly when
// the spec gives it no body, or an object body with no required property, and that body is not
// the user's own content.

/** Operations whose body is the content itself (an event, account data, a tag, a filter): `null`
 *  is not content, whatever the schema says. */
const CONTENT_BODIES = new Set(['sendMessage', 'setRoomStateWithKey', 'setAccountData', 'setAccountDataPerRoom', 'setRoomTag', 'defineFilter', 'sendToDevice']);

type Json = Record<string, unknown>;
const docs = new Map<string, Json>();
const load = (file: string): Json => {
  let d = docs.get(file);
  if (!d) docs.set(file, (d = parseYaml(readFileSync(file, 'utf8')) as Json));
  return d;
};

/** Follows `$ref`s (and collects `allOf` parts) far enough to read `required`. */
function requiredOf(node: unknown, file: string): string[] {
  if (!node || typeof node !== 'object') return [];
  const n = node as Json;
  if (typeof n['$ref'] === 'string') {
    const [target = '', frag = ''] = n['$ref'].split('#');
    const f = target ? resolve(dirname(file), target) : file;
    let cur: unknown = load(f);
    for (const k of frag.split('/').filter(Boolean)) cur = (cur as Json)[k];
    return requiredOf(cur, f);
  }
  const parts = Array.isArray(n['allOf']) ? n['allOf'].flatMap((x) => requiredOf(x, file)) : [];
  return [...(Array.isArray(n['required']) ? (n['required'] as string[]) : []), ...parts];
}

/** operationId → whether its body may be left out, per the spec files. */
function specOptional(): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const name of readdirSync(SPEC_DIR).filter((n) => n.endsWith('.yaml'))) {
    const file = join(SPEC_DIR, name);
    for (const item of Object.values((load(file)['paths'] as Json | undefined) ?? {})) {
      for (const [method, op] of Object.entries(item as Json)) {
        const o = op as Json | null;
        if (method === 'get' || !o || typeof o['operationId'] !== 'string') continue;
        const body = o['requestBody'] as Json | undefined;
        const schema = ((body?.['content'] as Json | undefined)?.['application/json'] as Json | undefined)?.['schema'];
        out.set(o['operationId'], !CONTENT_BODIES.has(o['operationId']) && (body === undefined || requiredOf(schema, file).length === 0));
      }
    }
  }
  return out;
}

describe('the optionalBody flag', () => {
  const descriptors = (Object.values(api) as unknown[]).filter((v): v is Endpoint => typeof v === 'object' && v !== null && 'operationId' in v && 'method' in v);

  // Media uploads (`rawBody`) take bytes of any type: the JSON body rule does not apply to them.
  test('is set on exactly the served operations whose spec body may be left out', () => {
    const spec = specOptional();
    assert.ok(spec.size > 50, `only ${spec.size} operations read from ${SPEC_DIR}`);
    const wrong = descriptors
      .filter((d) => d.method !== 'GET' && d.rawBody !== true && spec.has(d.operationId) && (d.optionalBody === true) !== spec.get(d.operationId))
      .map((d) => `${d.operationId}: optionalBody ${d.optionalBody === true}, spec says ${spec.get(d.operationId)}`);
    assert.deepEqual(wrong, []);
    assert.ok(descriptors.some((d) => d.operationId === 'logout' && d.optionalBody));
  });

  test('each flagged descriptor accepts {} as its body', () => {
    for (const d of descriptors.filter((x) => x.optionalBody && x.body)) {
      assert.ok(TypeCompiler.Compile(d.body!).Check({}), `${d.operationId} refuses {}`);
    }
  });

  test('every flagged operation answers a null body without M_BAD_JSON or M_NOT_JSON', async () => {
    const dave = await t.register('dave');
    const fill = (p: string) => p.replace(/\{(\w+)\}/g, (_, n: string) => (n === 'userId' ? enc(dave.userId) : n === 'roomAlias' ? enc('#nothing:localhost') : 'x'));
    for (const d of descriptors.filter((x) => x.optionalBody && x.operationId !== 'logout' && x.operationId !== 'logout_all' && x.operationId !== 'deactivateAccount')) {
      const res = await t.req(d.method, fill(d.path), { token: dave.token, rawBody: 'null' });
      assert.ok(res.status < 500, `${d.operationId}: ${res.status} ${res.text}`);
      assert.ok(!['M_BAD_JSON', 'M_NOT_JSON'].includes(res.json?.errcode), `${d.operationId}: ${res.status} ${res.text}`);
    }
  });
});
