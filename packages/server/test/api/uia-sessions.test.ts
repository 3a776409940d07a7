// User-interactive-auth sessions are bound to the operation that began them: a session begun by
// DELETE /devices/A cannot complete DELETE /devices/B, nor a different POST /delete_devices list,
// another password change, a deactivation, or another user's request (403 M_FORBIDDEN, nothing
// done). An unknown or expired session is answered with a fresh challenge; a session minted by one
// process completes on another sharing the database.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSuiteApp, createTestApp, DEFAULT_PASSWORD, type Res, type Session, type TestApp } from '../helpers.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

let t: TestApp;
let n = 0;

before(async () => {
  t = await createSuiteApp();
});
after(() => t.close());

const passwordAuth = (s: Session, session: string, password = DEFAULT_PASSWORD) => ({
  type: 'm.login.password',
  identifier: { type: 'm.id.user', user: s.userId },
  password,
  session,
});

/** The session of a 401 challenge. */
function sessionOf(res: Res): string {
  assert.equal(res.status, 401, res.text);
  assert.equal(typeof res.json.session, 'string');
  return res.json.session;
}

function expectChanged(res: Res): void {
  assert.equal(res.status, 403, res.text);
  assert.equal(res.json.errcode, 'M_FORBIDDEN');
}

/** A user with devices A (registration), B and C (logins). */
async function threeDevices(): Promise<{ a: Session; b: Session; c: Session }> {
  const a = await t.register(`uia${++n}`);
  return { a, b: await t.login(a.userId), c: await t.login(a.userId) };
}

async function deviceIds(s: Session): Promise<string[]> {
  const res = await t.req('GET', `${V3}/devices`, { token: s.token });
  return (res.json.devices as { device_id: string }[]).map((d) => d.device_id).sort();
}

const deleteDevice = (s: Session, deviceId: string, body: Record<string, unknown> = {}) => t.req('DELETE', `${V3}/devices/${enc(deviceId)}`, { token: s.token, body });

describe('a UIA session is bound to the operation that began it', () => {
  test('begun by DELETE /devices/B, it cannot delete device C (403, nothing deleted); it still completes B', async () => {
    const { a, b, c } = await threeDevices();
    const session = sessionOf(await deleteDevice(a, b.deviceId));
    expectChanged(await deleteDevice(a, c.deviceId, { auth: passwordAuth(a, session) }));
    assert.deepEqual(await deviceIds(a), [a.deviceId, b.deviceId, c.deviceId].sort(), 'no device was deleted');
    const done = await deleteDevice(a, b.deviceId, { auth: passwordAuth(a, session) });
    assert.equal(done.status, 200, done.text);
    assert.deepEqual(await deviceIds(a), [a.deviceId, c.deviceId].sort());
  });

  test('begun by POST /delete_devices for [B], it cannot delete [B, C]; the same set in another order is the same operation', async () => {
    const { a, b, c } = await threeDevices();
    const path = `${V3}/delete_devices`;
    const session = sessionOf(await t.req('POST', path, { token: a.token, body: { devices: [b.deviceId] } }));
    expectChanged(await t.req('POST', path, { token: a.token, body: { devices: [b.deviceId, c.deviceId], auth: passwordAuth(a, session) } }));
    assert.equal((await deviceIds(a)).length, 3, 'no device was deleted');
    const both = sessionOf(await t.req('POST', path, { token: a.token, body: { devices: [b.deviceId, c.deviceId] } }));
    const done = await t.req('POST', path, { token: a.token, body: { devices: [c.deviceId, b.deviceId, b.deviceId], auth: passwordAuth(a, both) } });
    assert.equal(done.status, 200, done.text);
    assert.deepEqual(await deviceIds(a), [a.deviceId]);
  });

  test('a device-deletion session cannot change the password or deactivate the account', async () => {
    const { a, b } = await threeDevices();
    const session = sessionOf(await deleteDevice(a, b.deviceId));
    expectChanged(await t.req('POST', `${V3}/account/password`, { token: a.token, body: { new_password: 'taken over', auth: passwordAuth(a, session) } }));
    expectChanged(await t.req('POST', `${V3}/account/deactivate`, { token: a.token, body: { auth: passwordAuth(a, session) } }));
    // The password is unchanged and the account alive.
    await t.login(a.userId, DEFAULT_PASSWORD);
    assert.equal((await t.req('GET', `${V3}/account/whoami`, { token: b.token })).status, 200);
  });

  test('a password change begun with logout_devices false cannot complete one that logs the devices out', async () => {
    const { a, b } = await threeDevices();
    const path = `${V3}/account/password`;
    const session = sessionOf(await t.req('POST', path, { token: a.token, body: { new_password: 'next one', logout_devices: false } }));
    expectChanged(await t.req('POST', path, { token: a.token, body: { new_password: 'next one', auth: passwordAuth(a, session) } }));
    assert.equal((await t.req('GET', `${V3}/account/whoami`, { token: b.token })).status, 200, 'device B is still logged in');
    const done = await t.req('POST', path, { token: a.token, body: { new_password: 'next one', logout_devices: false, auth: passwordAuth(a, session) } });
    assert.equal(done.status, 200, done.text);
  });

  test("another user's session, or a registration's, completes nothing", async () => {
    const { a, b } = await threeDevices();
    const mallory = await t.register(`mallory${++n}`);
    // Mallory names her device like Alice's device B: same kind of operation, same target id.
    const malloryDevice = await t.login(mallory.userId, DEFAULT_PASSWORD, { device_id: b.deviceId });
    const hers = sessionOf(await deleteDevice(mallory, malloryDevice.deviceId));
    // Same operation kind, same-looking target: but begun by another account.
    expectChanged(await deleteDevice(a, b.deviceId, { auth: passwordAuth(a, hers) }));
    const registration = sessionOf(await t.req('POST', `${V3}/register`, { body: { username: `newcomer${++n}`, password: 'x' } }));
    expectChanged(await deleteDevice(a, b.deviceId, { auth: passwordAuth(a, registration) }));
    assert.equal((await deviceIds(a)).length, 3);
  });

  test('an unknown session is answered with a fresh challenge (a new session), which then completes', async () => {
    const { a, b } = await threeDevices();
    for (const bogus of ['ABCDEFGHIJKLMNOPQRSTUVWX', 'a.b.c.d', '']) {
      const res = await deleteDevice(a, b.deviceId, { auth: passwordAuth(a, bogus) });
      const fresh = sessionOf(res);
      assert.notEqual(fresh, bogus);
      assert.equal(res.json.errcode, 'M_UNKNOWN');
      assert.deepEqual(res.json.flows, [{ stages: ['m.login.password'] }]);
    }
    const fresh = sessionOf(await deleteDevice(a, b.deviceId, { auth: passwordAuth(a, 'not ours') }));
    assert.equal((await deleteDevice(a, b.deviceId, { auth: passwordAuth(a, fresh) })).status, 200);
  });

  test('a session expires after an hour; a tampered one is unknown', () => {
    const uia = t.services.accounts.uia;
    const op = { kind: 'delete_device' as const, user: '@x:localhost', target: 'DEV' };
    const now = Date.now();
    const session = uia.begin(op, now);
    assert.equal(uia.check(session, op, now + 59 * 60_000), 'ok');
    assert.equal(uia.check(session, op, now + 61 * 60_000), 'unknown');
    assert.equal(uia.check(session, { ...op, target: 'OTHER' }, now), 'changed');
    const [nonce, expiry, tag, mac] = session.split('.') as [string, string, string, string];
    assert.equal(uia.check([nonce, String(Number(expiry) + 1e9), tag, mac].join('.'), op, now), 'unknown', 'a longer expiry breaks the mac');
  });
});

describe('UIA sessions across processes', () => {
  test('a session begun on one process completes on another sharing the database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hush-uia-'));
    const file = join(dir, 'hush.sqlite');
    const one = await createTestApp({ database: file });
    const two = await createTestApp({ database: file });
    try {
      const a = await one.register('shared');
      const b = await one.login(a.userId);
      const session = sessionOf(await one.req('DELETE', `${V3}/devices/${enc(b.deviceId)}`, { token: a.token, body: {} }));
      const res = await two.req('DELETE', `${V3}/devices/${enc(b.deviceId)}`, { token: a.token, body: { auth: passwordAuth(a, session) } });
      assert.equal(res.status, 200, res.text);
    } finally {
      await one.close();
      await two.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
