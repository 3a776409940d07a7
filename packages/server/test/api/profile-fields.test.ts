// Extended profile fields (spec v1.16, MSC4133): GET/PUT/DELETE /profile/{userId}/{keyName} for m.tz
// and namespaced custom keys, the whole profile from GET /profile/{userId}, the m.profile_fields
// capability; only the owner writes; key grammar and 255-byte keys; the 64 KiB profile bound; null
// refused (DELETE removes); displayname and avatar_url through the same paths.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSuiteApp, type Session, type TestApp } from '../helpers.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

let t: TestApp;
let alice: Session;
let bob: Session;

before(async () => {
  t = await createSuiteApp();
  alice = await t.register('pf_alice');
  bob = await t.register('pf_bob');
});
after(() => t.close());

const field = (s: Session, key: string) => `${V3}/profile/${enc(s.userId)}/${enc(key)}`;
const put = (who: Session, owner: Session, key: string, body: unknown) => t.req('PUT', field(owner, key), { token: who.token, body });

describe('extended profile fields', () => {
  test('m.tz and a custom field: set, read one, read the whole profile, delete; the capability says so', async () => {
    assert.equal((await put(alice, alice, 'm.tz', { 'm.tz': 'Europe/Paris' })).status, 200);
    const custom = { title: 'Keeper', since: 2024, tags: ['a', 'b'], nested: { ok: true } };
    assert.equal((await put(alice, alice, 'org.example.job', { 'org.example.job': custom })).status, 200);
    await t.req('PUT', `${V3}/profile/${enc(alice.userId)}/displayname`, { token: alice.token, body: { displayname: 'Alice' } });

    assert.deepEqual((await t.req('GET', field(alice, 'm.tz'), { token: bob.token })).json, { 'm.tz': 'Europe/Paris' });
    assert.deepEqual((await t.req('GET', field(alice, 'org.example.job'))).json, { 'org.example.job': custom }, 'no token needed, as for displayname');
    const whole = await t.req('GET', `${V3}/profile/${enc(alice.userId)}`, { token: bob.token });
    assert.deepEqual(whole.json, { displayname: 'Alice', 'm.tz': 'Europe/Paris', 'org.example.job': custom });

    assert.equal((await put(alice, alice, 'm.tz', { 'm.tz': 'Asia/Tokyo' })).status, 200);
    assert.deepEqual((await t.req('GET', field(alice, 'm.tz'))).json, { 'm.tz': 'Asia/Tokyo' }, 'replaced');

    assert.deepEqual((await t.req('DELETE', field(alice, 'org.example.job'), { token: alice.token })).json, {});
    const gone = await t.req('GET', field(alice, 'org.example.job'));
    assert.equal(gone.status, 404);
    assert.equal(gone.json.errcode, 'M_NOT_FOUND');
    assert.equal((await t.req('DELETE', field(alice, 'org.example.job'), { token: alice.token })).status, 200, 'deleting nothing is fine');

    const caps = await t.req('GET', `${V3}/capabilities`, { token: alice.token });
    assert.deepEqual(caps.json.capabilities['m.profile_fields'], { enabled: true });
  });

  test('displayname and avatar_url through the same paths: DELETE clears them', async () => {
    assert.equal((await t.req('PUT', `${V3}/profile/${enc(bob.userId)}/displayname`, { token: bob.token, body: { displayname: 'Bob' } })).status, 200);
    assert.equal((await t.req('PUT', `${V3}/profile/${enc(bob.userId)}/avatar_url`, { token: bob.token, body: { avatar_url: 'mxc://localhost/abc' } })).status, 200);
    assert.deepEqual((await t.req('GET', `${V3}/profile/${enc(bob.userId)}`)).json, { displayname: 'Bob', avatar_url: 'mxc://localhost/abc' });
    assert.equal((await t.req('DELETE', field(bob, 'displayname'), { token: bob.token })).status, 200);
    assert.equal((await t.req('DELETE', field(bob, 'avatar_url'), { token: bob.token })).status, 200);
    assert.deepEqual((await t.req('GET', `${V3}/profile/${enc(bob.userId)}`)).json, {});
  });

  test('only the owner writes: 403 for another user, 401 without a token', async () => {
    const other = await put(bob, alice, 'm.tz', { 'm.tz': 'UTC' });
    assert.equal(other.status, 403);
    assert.equal(other.json.errcode, 'M_FORBIDDEN');
    assert.equal((await t.req('DELETE', field(alice, 'm.tz'), { token: bob.token })).json.errcode, 'M_FORBIDDEN');
    assert.equal((await t.req('PUT', field(alice, 'm.tz'), { body: { 'm.tz': 'UTC' } })).status, 401);
  });

  test('bad keys and bodies: the key grammar, 255-byte keys, a body without its key or with more, null, a bad m.tz', async () => {
    const cases: [string, unknown, number, string][] = [
      ['Org.Example', { 'Org.Example': 1 }, 400, 'M_INVALID_PARAM'],
      ['nodot', { nodot: 1 }, 400, 'M_INVALID_PARAM'],
      [`org.${'x'.repeat(260)}`, { x: 1 }, 400, 'M_KEY_TOO_LARGE'],
      ['org.example.a', { 'org.example.b': 1 }, 400, 'M_MISSING_PARAM'],
      ['org.example.a', { 'org.example.a': 1, extra: 2 }, 400, 'M_BAD_JSON'],
      ['org.example.a', { 'org.example.a': null }, 400, 'M_BAD_JSON'],
      ['m.tz', { 'm.tz': 5 }, 400, 'M_BAD_JSON'],
      ['displayname', { displayname: 5 }, 400, 'M_BAD_JSON'],
    ];
    for (const [key, body, status, errcode] of cases) {
      const res = await put(alice, alice, key, body);
      assert.equal(res.status, status, `${key} ${JSON.stringify(body)}: ${res.text}`);
      assert.equal(res.json.errcode, errcode, `${key} ${JSON.stringify(body)}`);
    }
    assert.equal((await t.req('GET', field(alice, 'Bad Key'))).json.errcode, 'M_INVALID_PARAM');
    assert.equal((await t.req('PUT', field(alice, 'org.example.a'), { token: alice.token, rawBody: '[1]' })).json.errcode, 'M_BAD_JSON');
    assert.equal((await t.req('GET', `${V3}/profile/${enc('@nobody:localhost')}/m.tz`)).status, 404);
  });

  test('the whole profile stays under 64 KiB: M_PROFILE_TOO_LARGE, nothing stored; smaller fields still fit', async () => {
    const s = await t.register('pf_big');
    const chunk = 'x'.repeat(30_000);
    assert.equal((await put(s, s, 'org.example.one', { 'org.example.one': chunk })).status, 200);
    assert.equal((await put(s, s, 'org.example.two', { 'org.example.two': chunk })).status, 200);
    const over = await put(s, s, 'org.example.three', { 'org.example.three': chunk });
    assert.equal(over.status, 400);
    assert.equal(over.json.errcode, 'M_PROFILE_TOO_LARGE');
    assert.equal((await t.req('GET', field(s, 'org.example.three'))).status, 404, 'nothing stored');
    assert.equal((await put(s, s, 'org.example.one', { 'org.example.one': chunk + 'y'.repeat(4_000) })).status, 200, 'a replacement is measured without the old value');
    assert.equal((await put(s, s, 'org.example.small', { 'org.example.small': 'ok' })).status, 200);
  });
});
