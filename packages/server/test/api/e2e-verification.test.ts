// What real clients need from the key endpoints while they set up cross-signing and verify devices
// (matrix-js-sdk 43 with its Rust crypto, tests/e2e/verification.sdk.e2e.test.ts), in-process: each
// test here is a defect those clients met, kept from coming back.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSuiteApp, type Session, type TestApp } from '../helpers.ts';
import { roomSteps, type RoomSteps } from '../room-helpers.ts';
import { crossSigningKeys, deviceKeys, newKey, sign } from '../e2e-signing.ts';

const V3 = '/_matrix/client/v3';

let t: TestApp;
let steps: RoomSteps;
before(async () => {
  t = await createSuiteApp();
  steps = roomSteps(t);
});
after(() => t.close());

const post = (s: Session, path: string, body: unknown) => t.req('POST', `${V3}${path}`, { token: s.token, body });
const upload = (s: Session, body: unknown) => post(s, '/keys/upload', body);
const query = (s: Session, users: Record<string, string[]>) => post(s, '/keys/query', { device_keys: users });

describe('device keys uploaded again with new signatures', () => {
  test('the same keys signed also by the self-signing key are accepted, the signature kept, and peers told', async () => {
    const a = await t.register('vr1');
    const peer = await t.register('vr1peer');
    const room = await steps.createRoom(a, { preset: 'public_chat' });
    await steps.join(peer, room);
    const k = newKey();
    const plain = deviceKeys(a, k);
    assert.equal((await upload(a, { device_keys: plain })).status, 200);
    const cross = crossSigningKeys(a);
    assert.equal((await post(a, '/keys/device_signing/upload', cross.body)).status, 200);
    const since = (await steps.sync(peer)).next_batch;

    // The Rust crypto's bootstrap uploads the device keys again, signed by the new self-signing key.
    const resigned = sign(plain, a.userId, cross.selfSigning.pub, cross.selfSigning);
    const res = await upload(a, { device_keys: resigned });
    assert.equal(res.status, 200, res.text);
    const served = (await query(peer, { [a.userId]: [] })).json.device_keys[a.userId][a.deviceId];
    assert.deepEqual(served.signatures, resigned.signatures, "both the device's and the self-signing key's signature");
    const sync = await steps.sync(peer, { since });
    assert.ok(sync.device_lists?.changed?.includes(a.userId), 'a room peer is told to query again');

    // Its first upload arriving late (the two race at start-up) drops nothing.
    assert.equal((await upload(a, { device_keys: plain })).status, 200);
    const again = (await query(peer, { [a.userId]: [] })).json.device_keys[a.userId][a.deviceId];
    assert.deepEqual(again.signatures, resigned.signatures);
  });

  test('different keys are still refused, with or without new signatures, and change nothing', async () => {
    const a = await t.register('vr2');
    const k = newKey();
    const plain = deviceKeys(a, k);
    assert.equal((await upload(a, { device_keys: plain })).status, 200);
    const other = deviceKeys(a, newKey());
    const refused = await upload(a, { device_keys: sign(other, a.userId, 'EXTRA', newKey()) });
    assert.equal(refused.status, 400);
    assert.equal(refused.json.errcode, 'M_INVALID_PARAM');
    const changedField = sign({ ...plain, algorithms: ['m.megolm.v1.aes-sha2'] }, a.userId, a.deviceId, k);
    assert.equal((await upload(a, { device_keys: changedField })).json.errcode, 'M_INVALID_PARAM');
    const served = (await query(a, { [a.userId]: [] })).json.device_keys[a.userId][a.deviceId];
    assert.deepEqual(served.signatures, plain.signatures);
    assert.deepEqual(served.algorithms, plain.algorithms);
  });
});
