// In-process tests of account management: POST /account/password, POST /account/deactivate,
// DELETE /devices/{deviceId}, POST /delete_devices (each behind the m.login.password UIA stage),
// POST /logout/all and GET /.well-known/matrix/client. Responses are checked against the spec's
// OpenAPI by the helper.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSuiteApp, createTestApp, DEFAULT_PASSWORD, type Res, type Session, type TestApp } from '../helpers.ts';
import { roomSteps, type RoomSteps } from '../room-helpers.ts';
import { resolveConfig } from '../../src/config/config.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;
const FLOWS = [{ stages: ['m.login.password'] }];

let t: TestApp;
let r: RoomSteps;
let n = 0;

before(async () => {
  t = await createSuiteApp();
  r = roomSteps(t);
});
after(() => t.close());

/** A fresh user per test, so one test's revocations never touch another's sessions. */
const fresh = (name: string) => t.register(`${name}${++n}`);
const passwordAuth = (s: Session | { userId: string }, password = DEFAULT_PASSWORD, session?: string) => ({
  type: 'm.login.password',
  identifier: { type: 'm.id.user', user: s.userId },
  password,
  ...(session !== undefined ? { session } : {}),
});
const whoami = (s: Session) => t.req('GET', `${V3}/account/whoami`, { token: s.token });

function expectError(res: Res, status: number, errcode: string): void {
  assert.equal(res.status, status, res.text);
  assert.equal(res.json?.errcode, errcode, res.text);
  assert.equal(typeof res.json?.error, 'string');
}

/** A 401 UIA answer: the password flow and a session id. */
function expectChallenge(res: Res, errcode?: string): string {
  assert.equal(res.status, 401, res.text);
  assert.deepEqual(res.json.flows, FLOWS);
  assert.equal(typeof res.json.session, 'string');
  assert.ok(res.json.session.length > 0);
  if (errcode !== undefined) assert.equal(res.json.errcode, errcode);
  return res.json.session;
}

async function expectRevoked(s: Session): Promise<void> {
  expectError(await whoami(s), 401, 'M_UNKNOWN_TOKEN');
}

async function expectAlive(s: Session): Promise<void> {
  const res = await whoami(s);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.user_id, s.userId);
}

/** Malformed JSON and wrong types: 400 M_NOT_JSON / M_BAD_JSON, never a 500, nothing changed. */
async function expectBadBodies(method: 'POST' | 'DELETE', path: string, token: string | undefined, bodies: unknown[]): Promise<void> {
  const notJson = await t.req(method, path, { rawBody: '{"auth": ', ...(token !== undefined ? { token } : {}) });
  expectError(notJson, 400, 'M_NOT_JSON');
  for (const body of bodies) {
    const res = await t.req(method, path, { body, ...(token !== undefined ? { token } : {}) });
    assert.equal(res.status, 400, `${JSON.stringify(body)} → ${res.status} ${res.text}`);
    assert.equal(res.json.errcode, 'M_BAD_JSON', `${JSON.stringify(body)} → ${res.text}`);
  }
}

describe('changePassword', () => {
  const path = `${V3}/account/password`;

  test('without auth: 401 with the password flow and a session; the password is unchanged', async () => {
    const alice = await fresh('pw');
    const res = await t.req('POST', path, { token: alice.token, body: { new_password: 'new secret' } });
    expectChallenge(res);
    await t.login(alice.userId, DEFAULT_PASSWORD);
  });

  test('a wrong password: 401 M_FORBIDDEN with the flows and the same session; nothing revoked', async () => {
    const alice = await fresh('pw');
    const other = await t.login(alice.userId);
    const session = expectChallenge(await t.req('POST', path, { token: alice.token, body: { new_password: 'x1' } }));
    const res = await t.req('POST', path, { token: alice.token, body: { new_password: 'x1', auth: passwordAuth(alice, 'wrong', session) } });
    assert.equal(expectChallenge(res, 'M_FORBIDDEN'), session);
    await expectAlive(other);
    await t.login(alice.userId, DEFAULT_PASSWORD);
  });

  test('success: other devices logged out, the caller kept; the new password logs in, the old one does not', async () => {
    const alice = await fresh('pw');
    const other = await t.login(alice.userId);
    const bob = await fresh('bystander');
    const session = expectChallenge(await t.req('POST', path, { token: alice.token, body: { new_password: 'new secret' } }));
    const res = await t.req('POST', path, { token: alice.token, body: { new_password: 'new secret', auth: passwordAuth(alice, DEFAULT_PASSWORD, session) } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, {});
    await expectAlive(alice);
    await expectRevoked(other);
    await expectAlive(bob);
    const devices = await t.req('GET', `${V3}/devices`, { token: alice.token });
    assert.deepEqual(
      devices.json.devices.map((d: { device_id: string }) => d.device_id),
      [alice.deviceId],
    );
    const old = await t.req('POST', `${V3}/login`, { body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: alice.userId }, password: DEFAULT_PASSWORD } });
    expectError(old, 403, 'M_FORBIDDEN');
    await t.login(alice.userId, 'new secret');
  });

  test('logout_devices false keeps every session; the stage may name the user by the deprecated `user` key', async () => {
    const alice = await fresh('pw');
    const other = await t.login(alice.userId);
    const res = await t.req('POST', path, {
      token: alice.token,
      body: { new_password: 'kept', logout_devices: false, auth: { type: 'm.login.password', user: alice.userId, password: DEFAULT_PASSWORD } },
    });
    assert.equal(res.status, 200, res.text);
    await expectAlive(alice);
    await expectAlive(other);
    await t.login(alice.userId, 'kept');
  });

  test('without an access token the identifier names the account, and every session is logged out', async () => {
    const alice = await fresh('pw');
    const noIdentifier = await t.req('POST', path, { body: { new_password: 'n', auth: { type: 'm.login.password', password: DEFAULT_PASSWORD } } });
    expectChallenge(noIdentifier, 'M_MISSING_PARAM');
    const res = await t.req('POST', path, { body: { new_password: 'tokenless', auth: passwordAuth(alice) } });
    assert.equal(res.status, 200, res.text);
    await expectRevoked(alice);
    await t.login(alice.userId, 'tokenless');
  });

  test("the stage checks the caller's own password: another user's identifier and password are refused", async () => {
    const alice = await fresh('pw');
    const bob = await fresh('pw');
    const res = await t.req('POST', path, { token: alice.token, body: { new_password: 'stolen', auth: passwordAuth(bob) } });
    expectChallenge(res, 'M_FORBIDDEN');
    const unknownType = await t.req('POST', path, { token: alice.token, body: { new_password: 'x', auth: { type: 'm.login.email.identity' } } });
    expectChallenge(unknownType, 'M_UNRECOGNIZED');
    const missing = await t.req('POST', path, { token: alice.token, body: { new_password: 'x', auth: { type: 'm.login.password' } } });
    expectChallenge(missing, 'M_MISSING_PARAM');
    await t.login(alice.userId);
    await t.login(bob.userId);
  });

  test('bad bodies: not JSON, wrong types, an empty new password', async () => {
    const alice = await fresh('pw');
    await expectBadBodies('POST', path, alice.token, [
      {},
      { new_password: 5 },
      { new_password: null },
      { new_password: 'x', logout_devices: 'yes' },
      { new_password: 'x', auth: 'password' },
      { new_password: 'x', auth: { type: 5 } },
      { new_password: 'x', auth: { type: 'm.login.password', password: 123 } },
      { new_password: 'x', auth: { type: 'm.login.password', identifier: 'alice' } },
    ]);
    expectError(await t.req('POST', path, { token: alice.token, rawBody: '[]' }), 400, 'M_BAD_JSON');
    expectError(await t.req('POST', path, { token: alice.token, body: { new_password: '', auth: passwordAuth(alice) } }), 400, 'M_WEAK_PASSWORD');
    await t.login(alice.userId);
  });
});

describe('deactivateAccount', () => {
  const path = `${V3}/account/deactivate`;

  test('without auth or with a wrong password: 401 with the flows; the account still works', async () => {
    const alice = await fresh('deact');
    const session = expectChallenge(await t.req('POST', path, { token: alice.token, body: {} }));
    expectChallenge(await t.req('POST', path, { token: alice.token }));
    const wrong = await t.req('POST', path, { token: alice.token, body: { auth: passwordAuth(alice, 'nope', session) } });
    assert.equal(expectChallenge(wrong, 'M_FORBIDDEN'), session);
    await expectAlive(alice);
    await t.login(alice.userId);
  });

  test('success: every token revoked, login refused with M_USER_DEACTIVATED, the id never registered again', async () => {
    const carol = await fresh('deact');
    const other = await t.login(carol.userId);
    const res = await t.req('POST', path, { token: carol.token, body: { auth: passwordAuth(carol), erase: false } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { id_server_unbind_result: 'no-support' });
    await expectRevoked(carol);
    await expectRevoked(other);
    const login = await t.req('POST', `${V3}/login`, { body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: carol.userId }, password: DEFAULT_PASSWORD } });
    expectError(login, 403, 'M_USER_DEACTIVATED');
    const localpart = carol.userId.slice(1, carol.userId.indexOf(':'));
    const again = await t.req('POST', `${V3}/register`, { body: { username: localpart, password: 'p', auth: { type: 'm.login.dummy' } } });
    expectError(again, 400, 'M_USER_IN_USE');
    expectError(await t.req('GET', `${V3}/register/available?username=${localpart}`), 400, 'M_USER_IN_USE');
    // Nor can the password stage of a token-less request reach the account any more.
    expectError(await t.req('POST', path, { body: { auth: passwordAuth(carol) } }), 403, 'M_USER_DEACTIVATED');
  });

  test('the account leaves every room, invites and knocks included, and the other members see the leaves', async () => {
    const alice = await fresh('owner');
    const carol = await fresh('deact');
    const joined = await r.createRoom(alice, { preset: 'public_chat' });
    await r.join(carol, joined);
    const invited = await r.createRoom(alice);
    await r.invite(alice, invited, carol.userId);
    const knocked = await r.createRoom(alice, { initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }] });
    assert.equal((await t.req('POST', `${V3}/knock/${enc(knocked)}`, { token: carol.token, body: {} })).status, 200);
    const own = await r.createRoom(carol);
    const before = await r.sync(alice);

    const res = await t.req('POST', path, { token: carol.token, body: { auth: passwordAuth(carol) } });
    assert.equal(res.status, 200, res.text);

    const sync = await r.sync(alice, { since: before.next_batch });
    for (const roomId of [joined, invited, knocked]) {
      const events = (sync.rooms?.join?.[roomId]?.timeline?.events ?? []) as { type: string; state_key?: string; sender: string; content: { membership?: string } }[];
      const leave = events.find((e) => e.type === 'm.room.member' && e.state_key === carol.userId);
      assert.ok(leave, `alice sees carol's leave in ${roomId}`);
      assert.equal(leave.content.membership, 'leave');
      assert.equal(leave.sender, carol.userId);
      const members = await t.req('GET', `${V3}/rooms/${enc(roomId)}/members`, { token: alice.token });
      const m = members.json.chunk.find((e: { state_key: string }) => e.state_key === carol.userId);
      assert.equal(m.content.membership, 'leave');
    }
    // Her own room too: nobody is left in it.
    const state = await t.database.db.selectFrom('memberships').select(['membership']).where('room_id', '=', own).where('user_id', '=', carol.userId).executeTakeFirst();
    assert.equal(state?.membership, 'leave');
  });

  test('without an access token the password stage names the account', async () => {
    const dave = await fresh('deact');
    expectChallenge(await t.req('POST', path, { body: {} }));
    const res = await t.req('POST', path, { body: { auth: passwordAuth(dave) } });
    assert.equal(res.status, 200, res.text);
    await expectRevoked(dave);
  });

  test('bad bodies: not JSON, wrong types; nothing deactivated', async () => {
    const alice = await fresh('deact');
    await expectBadBodies('POST', path, alice.token, [{ erase: 'yes' }, { id_server: 5 }, { auth: [] }, { auth: { type: 'm.login.password', password: false } }]);
    await expectAlive(alice);
  });
});

describe('deleteDevice', () => {
  const path = (id: string) => `${V3}/devices/${enc(id)}`;

  test('without auth or with a wrong password: 401 with the flows; the device stays', async () => {
    const alice = await fresh('dev');
    const phone = await t.login(alice.userId, DEFAULT_PASSWORD, { device_id: 'PHONE' });
    const session = expectChallenge(await t.req('DELETE', path('PHONE'), { token: alice.token }));
    const wrong = await t.req('DELETE', path('PHONE'), { token: alice.token, body: { auth: passwordAuth(alice, 'nope', session) } });
    assert.equal(expectChallenge(wrong, 'M_FORBIDDEN'), session);
    await expectAlive(phone);
    assert.equal((await t.req('GET', path('PHONE'), { token: alice.token })).status, 200);
  });

  test("success: the device and its tokens are gone; the caller's other sessions stay", async () => {
    const alice = await fresh('dev');
    const phone = await t.login(alice.userId, DEFAULT_PASSWORD, { device_id: 'PHONE' });
    const res = await t.req('DELETE', path('PHONE'), { token: alice.token, body: { auth: passwordAuth(alice) } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, {});
    await expectRevoked(phone);
    await expectAlive(alice);
    expectError(await t.req('GET', path('PHONE'), { token: alice.token }), 404, 'M_NOT_FOUND');
    // Deleting the device the request comes from ends that session too.
    assert.equal((await t.req('DELETE', path(alice.deviceId), { token: alice.token, body: { auth: passwordAuth(alice) } })).status, 200);
    await expectRevoked(alice);
  });

  test("an unknown device, or another user's, is 404 M_NOT_FOUND and nothing is deleted", async () => {
    const alice = await fresh('dev');
    const bob = await fresh('dev');
    expectError(await t.req('DELETE', path('NOSUCHDEVICE'), { token: alice.token, body: { auth: passwordAuth(alice) } }), 404, 'M_NOT_FOUND');
    expectError(await t.req('DELETE', path(bob.deviceId), { token: alice.token, body: { auth: passwordAuth(alice) } }), 404, 'M_NOT_FOUND');
    await expectAlive(bob);
  });

  test('bad bodies: not JSON, wrong types', async () => {
    const alice = await fresh('dev');
    await t.login(alice.userId, DEFAULT_PASSWORD, { device_id: 'PHONE' });
    await expectBadBodies('DELETE', path('PHONE'), alice.token, [{ auth: [] }, { auth: 'x' }, { auth: { type: 1 } }]);
    assert.equal((await t.req('GET', path('PHONE'), { token: alice.token })).status, 200);
  });
});

describe('deleteDevices', () => {
  const path = `${V3}/delete_devices`;

  test("deletes the listed devices of the caller; unknown ids and other users' devices are left alone", async () => {
    const alice = await fresh('devs');
    const bob = await fresh('devs');
    const phone = await t.login(alice.userId, DEFAULT_PASSWORD, { device_id: 'PHONE' });
    const laptop = await t.login(alice.userId, DEFAULT_PASSWORD, { device_id: 'LAPTOP' });
    const bobPhone = await t.login(bob.userId, DEFAULT_PASSWORD, { device_id: 'PHONE' });
    const body = { devices: ['PHONE', 'LAPTOP', 'NOSUCH', bob.deviceId] };
    const session = expectChallenge(await t.req('POST', path, { token: alice.token, body }));
    const wrong = await t.req('POST', path, { token: alice.token, body: { ...body, auth: passwordAuth(alice, 'nope', session) } });
    expectChallenge(wrong, 'M_FORBIDDEN');
    await expectAlive(phone);

    const res = await t.req('POST', path, { token: alice.token, body: { ...body, auth: passwordAuth(alice, DEFAULT_PASSWORD, session) } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, {});
    await expectRevoked(phone);
    await expectRevoked(laptop);
    await expectAlive(alice);
    await expectAlive(bob);
    await expectAlive(bobPhone);
    const devices = await t.req('GET', `${V3}/devices`, { token: alice.token });
    assert.deepEqual(
      devices.json.devices.map((d: { device_id: string }) => d.device_id),
      [alice.deviceId],
    );
  });

  test('bad bodies: not JSON, a missing or mistyped device list', async () => {
    const alice = await fresh('devs');
    await expectBadBodies('POST', path, alice.token, [{}, { devices: 'PHONE' }, { devices: [1] }, { devices: [''] }, { devices: ['A'], auth: 7 }]);
    await expectAlive(alice);
  });
});

describe('logout_all', () => {
  test("every token of the user is revoked, and no one else's", async () => {
    const alice = await fresh('all');
    const other = await t.login(alice.userId);
    const bob = await fresh('all');
    const res = await t.req('POST', `${V3}/logout/all`, { token: other.token, body: {} });
    assert.equal(res.status, 200, res.text);
    await expectRevoked(alice);
    await expectRevoked(other);
    await expectAlive(bob);
    const devices = await t.req('GET', `${V3}/devices`, { token: (await t.login(alice.userId)).token });
    assert.equal(devices.json.devices.length, 1, 'only the new session remains');
  });
});

describe('getWellknown', () => {
  test('without public-base-url: 404 M_NOT_FOUND', async () => {
    expectError(await t.req('GET', '/.well-known/matrix/client'), 404, 'M_NOT_FOUND');
  });

  test('with public-base-url: m.homeserver.base_url, without a trailing slash', async () => {
    const t2 = await createTestApp({ config: { 'public-base-url': 'https://Matrix.Example.org/' } });
    try {
      const res = await t2.req('GET', '/.well-known/matrix/client');
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json, { 'm.homeserver': { base_url: 'https://matrix.example.org' } });
    } finally {
      await t2.close();
    }
  });

  test('public-base-url must be an http(s) URL without credentials, query or fragment', () => {
    for (const bad of ['matrix.example.org', 'ftp://example.org', 'https://u:p@example.org', 'https://example.org/?x=1', 'https://example.org/#a']) {
      assert.throws(() => resolveConfig({ 'public-base-url': bad }), /public-base-url/, bad);
    }
    assert.equal(resolveConfig({ 'public-base-url': 'http://localhost:8008/hush' }).publicBaseUrl, 'http://localhost:8008/hush');
  });
});
