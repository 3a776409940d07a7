// A revoked token ends what it holds open: a /sync long-poll waiting on a token answers 401
// M_UNKNOWN_TOKEN as soon as the token is revoked — by logout, logout/all, a password change,
// device deletion (one or several), deactivation or a login that replaces the device's token —
// and nothing sent after the revocation reaches it. A user-wide revocation that spares the
// waiting token (the password change's own device) leaves that long-poll a normal answer.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSuiteApp, DEFAULT_PASSWORD, type Res, type Session, type TestApp } from '../helpers.ts';
import { roomSteps, type RoomSteps } from '../room-helpers.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;
/** The long-poll's own timeout: far longer than a revocation may take to end it. */
const POLL_MS = 8_000;
/** How soon after the revoking request answers the long-poll must have answered. */
const PROMPT_MS = 1_000;

let t: TestApp;
let r: RoomSteps;
let n = 0;

before(async () => {
  t = await createSuiteApp();
  r = roomSteps(t);
});
after(() => t.close());

const passwordAuth = (s: Session, password = DEFAULT_PASSWORD) => ({ type: 'm.login.password', identifier: { type: 'm.id.user', user: s.userId }, password });

async function until(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 5_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 5));
  }
}

/** A user with two devices (A from registration, B from a login) in a room of their own. */
async function twoDevices(): Promise<{ a: Session; b: Session; roomId: string }> {
  const a = await t.register(`revoke${++n}`);
  const b = await t.login(a.userId);
  const roomId = await r.createRoom(a);
  return { a, b, roomId };
}

/** Starts a long-poll for `s` from its current position; resolves once it is waiting, with its
 *  answer to come (wrapped, so that awaiting this does not await the answer too). */
async function longPoll(s: Session): Promise<{ answer: Promise<{ res: Res; at: number }> }> {
  const since = (await r.sync(s)).next_batch as string;
  const waitingBefore = t.services.notifier.waiting();
  const answer = t.req('GET', `${V3}/sync?timeout=${POLL_MS}&since=${enc(since)}`, { token: s.token }).then((res) => ({ res, at: Date.now() }));
  await until(() => t.services.notifier.waiting() > waitingBefore, 'the long-poll to wait');
  return { answer };
}

/**
 * The long-poll of `victim` ends with 401 M_UNKNOWN_TOKEN within PROMPT_MS of `revoke` answering,
 * and a message sent right after the revocation never reaches it.
 */
async function expectEndedBy(victim: Session, sender: Session | undefined, roomId: string, revoke: () => Promise<Res>): Promise<void> {
  const pending = await longPoll(victim);
  const res = await revoke();
  assert.ok(res.status === 200, `the revocation: ${res.status} ${res.text}`);
  const revokedAt = Date.now();
  // Sent after the revocation answered: on the code before this change it woke the long-poll and
  // was delivered to the revoked token.
  if (sender) await r.send(sender, roomId, 'after the revocation');
  const { res: sync, at } = await pending.answer;
  assert.equal(sync.status, 401, `the long-poll answered ${sync.status} ${sync.text.slice(0, 300)}`);
  assert.equal(sync.json.errcode, 'M_UNKNOWN_TOKEN');
  assert.equal(sync.json.soft_logout, false);
  assert.ok(at - revokedAt < PROMPT_MS, `answered ${at - revokedAt} ms after the revocation`);
}

describe('a revoked token ends its waiting /sync', () => {
  test('POST /logout from the waiting device itself', async () => {
    const { b, roomId, a } = await twoDevices();
    await expectEndedBy(b, a, roomId, () => t.req('POST', `${V3}/logout`, { token: b.token }));
  });

  test('POST /logout/all from another device: every device’s long-poll ends, the caller’s too', async () => {
    const { a, b, roomId } = await twoDevices();
    const other = await t.register(`other${++n}`);
    await r.invite(a, roomId, other.userId);
    await r.join(other, roomId);
    const pendingA = await longPoll(a);
    await expectEndedBy(b, other, roomId, () => t.req('POST', `${V3}/logout/all`, { token: a.token }));
    const { res } = await pendingA.answer;
    assert.equal(res.status, 401, res.text);
    assert.equal(res.json.errcode, 'M_UNKNOWN_TOKEN');
  });

  test('POST /account/password (logout_devices defaults to true): the other device’s long-poll ends; the caller’s answers normally', async () => {
    const { a, b, roomId } = await twoDevices();
    const pendingA = await longPoll(a);
    await expectEndedBy(b, a, roomId, () =>
      t.req('POST', `${V3}/account/password`, { token: a.token, body: { new_password: 'another secret', auth: passwordAuth(a) } }),
    );
    const { res } = await pendingA.answer;
    assert.equal(res.status, 200, `the caller's own long-poll: ${res.status} ${res.text}`);
  });

  test('DELETE /devices/{deviceId}', async () => {
    const { a, b, roomId } = await twoDevices();
    await expectEndedBy(b, a, roomId, () => t.req('DELETE', `${V3}/devices/${enc(b.deviceId)}`, { token: a.token, body: { auth: passwordAuth(a) } }));
  });

  test('POST /delete_devices', async () => {
    const { a, b, roomId } = await twoDevices();
    await expectEndedBy(b, a, roomId, () => t.req('POST', `${V3}/delete_devices`, { token: a.token, body: { devices: [b.deviceId], auth: passwordAuth(a) } }));
  });

  test('POST /account/deactivate', async () => {
    const { a, b, roomId } = await twoDevices();
    const other = await t.register(`witness${++n}`);
    await r.invite(a, roomId, other.userId);
    await r.join(other, roomId);
    await expectEndedBy(b, other, roomId, () => t.req('POST', `${V3}/account/deactivate`, { token: a.token, body: { auth: passwordAuth(a) } }));
  });

  test('a login that names the device again replaces its token: the old token’s long-poll ends', async () => {
    const { a, b, roomId } = await twoDevices();
    await expectEndedBy(b, a, roomId, () =>
      t.req('POST', `${V3}/login`, { body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: a.userId }, password: DEFAULT_PASSWORD, device_id: b.deviceId } }),
    );
  });

  test('a revocation between the token lookup and the wait is not missed', async () => {
    const { b } = await twoDevices();
    const accounts = t.services.accounts;
    const requester = await accounts.requesterForToken(b.token);
    assert.ok(requester);
    // Revoked after the request was authenticated but before it began to wait.
    assert.equal((await t.req('POST', `${V3}/logout`, { token: b.token })).status, 200);
    const watch = accounts.watchToken(requester);
    try {
      await until(() => watch.signal.aborted, 'the watch to abort');
      assert.equal(await accounts.stillValid(requester), false);
    } finally {
      watch.close();
    }
  });

  test('a revocation that spares the token (another user’s logout) does not end the long-poll', async () => {
    const { a, roomId } = await twoDevices();
    const stranger = await t.register(`stranger${++n}`);
    const pending = await longPoll(a);
    assert.equal((await t.req('POST', `${V3}/logout/all`, { token: stranger.token })).status, 200);
    await r.send(a, roomId, 'still here');
    const { res } = await pending.answer;
    assert.equal(res.status, 200, res.text);
    assert.ok(res.json.rooms.join[roomId], 'the message reached the untouched token');
  });
});
