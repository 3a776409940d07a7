// End-to-end encryption keys for local users, in-process: device and one-time key upload, query,
// claim (fallback keys included), device-list changes in /sync and /keys/changes (long-polls woken
// by key changes, device deletion), cross-signing keys behind UIA, signature uploads, and key backup
// with its replacement rules and version checks. Keys are real ed25519 keys signed with node:crypto.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as edSign, type KeyObject } from 'node:crypto';
import { canonicalJson } from '@hush/protocol';
import { createSuiteApp, DEFAULT_PASSWORD, type Session, type TestApp } from '../helpers.ts';
import { roomSteps, type RoomSteps } from '../room-helpers.ts';
import { encodeBase64, publicKeyBase64 } from '../../src/services/events/crypto.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

interface Signer {
  priv: KeyObject;
  pub: string;
}
const newKey = (): Signer => {
  const { privateKey } = generateKeyPairSync('ed25519');
  return { priv: privateKey, pub: publicKeyBase64(privateKey) };
};
/** Signs `obj` as `userId` with key `ed25519:<name>` ("Signing JSON"; key names may be public keys). */
function sign<T extends object>(obj: T, userId: string, name: string, k: Signer): T & { signatures: Record<string, Record<string, string>> } {
  const { signatures, unsigned: _u, ...rest } = obj as T & { signatures?: Record<string, Record<string, string>>; unsigned?: unknown };
  const signature = encodeBase64(edSign(null, Buffer.from(canonicalJson(rest)), k.priv));
  return { ...obj, signatures: { ...signatures, [userId]: { ...signatures?.[userId], [`ed25519:${name}`]: signature } } };
}

function deviceKeys(s: Session, k: Signer, extra: Record<string, unknown> = {}) {
  return sign(
    {
      user_id: s.userId,
      device_id: s.deviceId,
      algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
      keys: { [`curve25519:${s.deviceId}`]: 'curve' + s.deviceId, [`ed25519:${s.deviceId}`]: k.pub },
      ...extra,
    },
    s.userId,
    s.deviceId,
    k,
  );
}

const crossKey = (s: Session, usage: string, k: Signer) => ({ user_id: s.userId, usage: [usage], keys: { [`ed25519:${k.pub}`]: k.pub } });

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

describe('POST /keys/upload', () => {
  test('device keys signed by the device are stored; one-time and fallback keys are counted', async () => {
    const a = await t.register('up1');
    const k = newKey();
    const res = await upload(a, {
      device_keys: deviceKeys(a, k),
      one_time_keys: { 'signed_curve25519:AAAA': sign({ key: 'k1' }, a.userId, a.deviceId, k), 'signed_curve25519:AAAB': sign({ key: 'k2' }, a.userId, a.deviceId, k) },
      fallback_keys: { 'signed_curve25519:FB1': sign({ key: 'fb', fallback: true }, a.userId, a.deviceId, k) },
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.one_time_key_counts, { signed_curve25519: 2 });
    // An empty upload answers the counts; the same device keys again are accepted.
    assert.deepEqual((await upload(a, {})).json.one_time_key_counts, { signed_curve25519: 2 });
    assert.equal((await upload(a, { device_keys: deviceKeys(a, k) })).status, 200);
    const sync = await steps.sync(a);
    assert.deepEqual(sync.device_one_time_keys_count, { signed_curve25519: 2 });
    assert.deepEqual(sync.device_unused_fallback_key_types, ['signed_curve25519']);
  });

  test('device keys for another user or device, unsigned or badly signed, are refused', async () => {
    const a = await t.register('up2');
    const k = newKey();
    const other = { ...a, deviceId: 'SOMEONEELSE' };
    assert.equal((await upload(a, { device_keys: deviceKeys(other, k) })).json.errcode, 'M_INVALID_PARAM');
    assert.equal((await upload(a, { device_keys: deviceKeys({ ...a, userId: '@x:localhost' }, k) })).status, 400);
    const signedByAnother = deviceKeys(a, newKey(), {});
    (signedByAnother.keys as Record<string, string>)[`ed25519:${a.deviceId}`] = k.pub;
    const bad = await upload(a, { device_keys: signedByAnother });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.errcode, 'M_INVALID_SIGNATURE');
    const { signatures: _s, ...unsigned } = deviceKeys(a, k);
    assert.equal((await upload(a, { device_keys: unsigned })).json.errcode, 'M_INVALID_SIGNATURE');
    assert.equal((await upload(a, { device_keys: { ...deviceKeys(a, k), algorithms: 'x' } })).json.errcode, 'M_BAD_JSON');
    assert.equal((await upload(a, { one_time_keys: { nocolon: 'x' } })).json.errcode, 'M_INVALID_PARAM');
    assert.equal((await upload(a, { one_time_keys: { 'curve25519:x': 5 } })).json.errcode, 'M_BAD_JSON');
    assert.equal((await upload(a, { one_time_keys: { 'signed_curve25519:x': { key: 'no signatures' } } })).json.errcode, 'M_BAD_JSON');
    assert.equal((await upload(a, { device_keys: [] })).json.errcode, 'M_BAD_JSON');
    // Nothing was stored by the refused uploads.
    assert.deepEqual((await query(a, { [a.userId]: [] })).json.device_keys[a.userId], {});
  });

  test('different device keys for the same device, or a one-time key id reused with other content, are 400', async () => {
    const a = await t.register('up3');
    const k = newKey();
    assert.equal((await upload(a, { device_keys: deviceKeys(a, k), one_time_keys: { 'curve25519:K1': 'one' } })).status, 200);
    const again = await upload(a, { device_keys: deviceKeys(a, newKey()) });
    assert.equal(again.status, 400);
    assert.equal(again.json.errcode, 'M_INVALID_PARAM');
    assert.equal((await upload(a, { one_time_keys: { 'curve25519:K1': 'one' } })).status, 200, 'the same key again is fine');
    const reused = await upload(a, { one_time_keys: { 'curve25519:K1': 'two', 'curve25519:K2': 'x' } });
    assert.equal(reused.status, 400);
    assert.equal(reused.json.errcode, 'M_INVALID_PARAM');
    assert.deepEqual((await upload(a, {})).json.one_time_key_counts, { signed_curve25519: 0, curve25519: 1 }, 'the refused upload stored nothing');
  });
});

describe('POST /keys/query and /keys/claim', () => {
  test('query answers device keys with the display name, and remote servers under failures', async () => {
    const a = await t.register('q1');
    const b = await t.register('q2');
    const k = newKey();
    await t.req('PUT', `${V3}/devices/${enc(a.deviceId)}`, { token: a.token, body: { display_name: 'Laptop' } });
    await upload(a, { device_keys: deviceKeys(a, k) });
    const res = await query(b, { [a.userId]: [], '@nobody:localhost': [], '@far:remote.example': [] });
    assert.equal(res.status, 200, res.text);
    const got = res.json.device_keys[a.userId][a.deviceId];
    assert.equal(got.unsigned.device_display_name, 'Laptop');
    assert.equal(got.keys[`ed25519:${a.deviceId}`], k.pub);
    assert.ok(got.signatures[a.userId][`ed25519:${a.deviceId}`]);
    assert.deepEqual(res.json.device_keys['@nobody:localhost'], {});
    assert.ok(res.json.failures['remote.example'], 'the unreachable server is named');
    assert.deepEqual((await query(b, { [a.userId]: ['NOPE'] })).json.device_keys[a.userId], {});
    assert.equal((await query(b, { 'not-a-user': [] })).json.errcode, 'M_INVALID_PARAM');
  });

  test('claim takes one key per device, removes it, then falls back to the fallback key and marks it used', async () => {
    const a = await t.register('c1');
    const b = await t.register('c2');
    const k = newKey();
    const otk = (key: string, fallback?: true) => sign({ key, ...(fallback ? { fallback } : {}) }, a.userId, a.deviceId, k);
    await upload(a, {
      device_keys: deviceKeys(a, k),
      one_time_keys: { 'signed_curve25519:A1': otk('one'), 'signed_curve25519:A2': otk('two') },
      fallback_keys: { 'signed_curve25519:F1': otk('fb', true) },
    });
    const claim = () => post(b, '/keys/claim', { one_time_keys: { [a.userId]: { [a.deviceId]: 'signed_curve25519' } } });
    const first = await claim();
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(first.json.one_time_keys[a.userId][a.deviceId], { 'signed_curve25519:A1': otk('one') });
    assert.deepEqual((await claim()).json.one_time_keys[a.userId][a.deviceId], { 'signed_curve25519:A2': otk('two') });
    assert.deepEqual((await steps.sync(a)).device_unused_fallback_key_types, ['signed_curve25519']);
    const fb = await claim();
    assert.deepEqual(fb.json.one_time_keys[a.userId][a.deviceId], { 'signed_curve25519:F1': otk('fb', true) });
    assert.deepEqual((await claim()).json.one_time_keys[a.userId][a.deviceId], { 'signed_curve25519:F1': otk('fb', true) }, 'handed out again');
    const sync = await steps.sync(a);
    assert.deepEqual(sync.device_one_time_keys_count, { signed_curve25519: 0 });
    assert.deepEqual(sync.device_unused_fallback_key_types, [], 'the used fallback key is no longer unused');
    // A new fallback key is unused again.
    await upload(a, { fallback_keys: { 'signed_curve25519:F2': otk('fb2', true) } });
    assert.deepEqual((await steps.sync(a)).device_unused_fallback_key_types, ['signed_curve25519']);
    const none = await post(b, '/keys/claim', { one_time_keys: { [a.userId]: { [a.deviceId]: 'curve25519' }, '@far:remote.example': { D: 'signed_curve25519' } } });
    assert.deepEqual(none.json.one_time_keys, {});
    assert.ok(none.json.failures['remote.example']);
  });
  test('claims hand one-time keys out in the order they were uploaded, not by key id (spec v1.13)', async () => {
    const a = await t.register('order1');
    const b = await t.register('order2');
    const k = newKey();
    const otk = (key: string) => sign({ key }, a.userId, a.deviceId, k);
    await upload(a, { device_keys: deviceKeys(a, k), one_time_keys: { 'signed_curve25519:ZZZ': otk('first') } });
    await upload(a, { one_time_keys: { 'signed_curve25519:MMM': otk('second') } });
    await upload(a, { one_time_keys: { 'signed_curve25519:AAA': otk('third') } });
    const claim = async () => Object.keys((await post(b, '/keys/claim', { one_time_keys: { [a.userId]: { [a.deviceId]: 'signed_curve25519' } } })).json.one_time_keys[a.userId][a.deviceId]);
    assert.deepEqual([...(await claim()), ...(await claim())], ['signed_curve25519:ZZZ', 'signed_curve25519:MMM']);
    await upload(a, { one_time_keys: { 'signed_curve25519:AAB': otk('fourth') } });
    assert.deepEqual([...(await claim()), ...(await claim())], ['signed_curve25519:AAA', 'signed_curve25519:AAB']);
  });
});

describe('device lists', () => {
  test('a key upload wakes a waiting /sync of a user sharing a room, which lists the uploader in device_lists.changed', async () => {
    const a = await t.register('dl1');
    const b = await t.register('dl2');
    const room = await steps.createRoom(a, { preset: 'public_chat' });
    await steps.join(b, room);
    const since = (await steps.sync(b)).next_batch;
    const started = Date.now();
    const waiting = steps.sync(b, { since, timeout: 20_000 });
    await new Promise((r) => setTimeout(r, 100));
    await upload(a, { device_keys: deviceKeys(a, newKey()) });
    const res = await waiting;
    assert.ok(Date.now() - started < 10_000, 'woken by the upload, not the timeout');
    assert.deepEqual(res.device_lists.changed, [a.userId]);
    assert.deepEqual(res.device_lists.left, []);
    const changes = await t.req('GET', `${V3}/keys/changes?from=${enc(since)}&to=${enc(res.next_batch)}`, { token: b.token });
    assert.equal(changes.status, 200, changes.text);
    assert.deepEqual(changes.json, { changed: [a.userId], left: [] });
    // Someone who shares no room hears nothing.
    const c = await t.register('dl3');
    const cSince = (await steps.sync(c)).next_batch;
    await upload(a, { one_time_keys: { 'curve25519:Z': 'z' } });
    const dSince = (await steps.sync(b)).next_batch;
    const b2 = await t.login('dl1');
    await upload(b2, { device_keys: deviceKeys(b2, newKey()) });
    assert.deepEqual((await steps.sync(c, { since: cSince })).device_lists.changed, []);
    assert.deepEqual((await steps.sync(b, { since: dSince })).device_lists.changed, [a.userId]);
  });

  test('joining lists the other members as changed; leaving the last shared room lists them as left', async () => {
    const a = await t.register('dl4');
    const b = await t.register('dl5');
    const room = await steps.createRoom(a, { preset: 'public_chat' });
    const since = (await steps.sync(a)).next_batch;
    const bSince = (await steps.sync(b)).next_batch;
    await steps.join(b, room);
    assert.deepEqual((await steps.sync(a, { since })).device_lists.changed, [b.userId]);
    assert.deepEqual((await steps.sync(b, { since: bSince })).device_lists.changed, [a.userId]);
    const before = (await steps.sync(a)).next_batch;
    await steps.leave(b, room);
    const res = await steps.sync(a, { since: before });
    assert.deepEqual(res.device_lists, { changed: [], left: [b.userId] });
  });

  test('deleting a device removes its keys and counts as a device-list change', async () => {
    const a = await t.register('dl6');
    const b = await t.register('dl7');
    const room = await steps.createRoom(a, { preset: 'public_chat' });
    await steps.join(b, room);
    const phone = await t.login('dl6');
    await upload(phone, { device_keys: deviceKeys(phone, newKey()), one_time_keys: { 'curve25519:P': 'p' } });
    assert.ok((await query(b, { [a.userId]: [] })).json.device_keys[a.userId][phone.deviceId]);
    const since = (await steps.sync(b)).next_batch;
    const waiting = steps.sync(b, { since, timeout: 20_000 });
    await new Promise((r) => setTimeout(r, 100));
    const del = await t.req('DELETE', `${V3}/devices/${enc(phone.deviceId)}`, {
      token: a.token,
      body: { auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: a.userId }, password: DEFAULT_PASSWORD } },
    });
    if (del.status === 401) {
      // A UIA flow that must be begun first: answer its session.
      const again = await t.req('DELETE', `${V3}/devices/${enc(phone.deviceId)}`, {
        token: a.token,
        body: { auth: { type: 'm.login.password', session: del.json.session, identifier: { type: 'm.id.user', user: a.userId }, password: DEFAULT_PASSWORD } },
      });
      assert.equal(again.status, 200, again.text);
    } else {
      assert.equal(del.status, 200, del.text);
    }
    assert.deepEqual((await waiting).device_lists.changed, [a.userId]);
    assert.equal((await query(b, { [a.userId]: [] })).json.device_keys[a.userId][phone.deviceId], undefined);
    const claim = await post(b, '/keys/claim', { one_time_keys: { [a.userId]: { [phone.deviceId]: 'curve25519' } } });
    assert.deepEqual(claim.json.one_time_keys, {}, 'its one-time keys are gone');
    // Logging out works the same way.
    const tablet = await t.login('dl6');
    await upload(tablet, { device_keys: deviceKeys(tablet, newKey()) });
    const s2 = (await steps.sync(b)).next_batch;
    assert.equal((await post(tablet, '/logout', {})).status, 200);
    assert.deepEqual((await steps.sync(b, { since: s2 })).device_lists.changed, [a.userId]);
    assert.equal((await query(b, { [a.userId]: [] })).json.device_keys[a.userId][tablet.deviceId], undefined);
  });

  test('an idle long-poll leaves the key counts out rather than report 0 (clients would upload keys they do not need)', async () => {
    const a = await t.register('dl11');
    await upload(a, { device_keys: deviceKeys(a, newKey()), one_time_keys: { 'curve25519:Q': 'q' }, fallback_keys: { 'curve25519:F': 'f' } });
    const first = await steps.sync(a);
    assert.deepEqual(first.device_one_time_keys_count, { signed_curve25519: 0, curve25519: 1 });
    const second = await steps.sync(a, { since: first.next_batch });
    const idle = await steps.sync(a, { since: second.next_batch, timeout: 50 });
    assert.equal(idle.next_batch, second.next_batch, 'nothing happened');
    assert.equal(idle.device_one_time_keys_count, undefined);
    assert.equal(idle.device_unused_fallback_key_types, undefined);
  });

  test('DL1 device_lists.changed lists a user the requester ignores (their keys are still needed)', async () => {
    const a = await t.register('dl8');
    const b = await t.register('dl9');
    const room = await steps.createRoom(a, { preset: 'public_chat' });
    await steps.join(b, room);
    await steps.ignore(b, [a.userId]);
    const since = (await steps.sync(b)).next_batch;
    await upload(a, { device_keys: deviceKeys(a, newKey()) });
    assert.deepEqual((await steps.sync(b, { since })).device_lists.changed, [a.userId]);
  });

  test('/keys/changes refuses tokens that are not sync tokens', async () => {
    const a = await t.register('dl10');
    const res = await t.req('GET', `${V3}/keys/changes?from=nope&to=h1_1_1`, { token: a.token });
    assert.equal(res.status, 400);
    assert.equal((await t.req('GET', `${V3}/keys/changes?from=h1_1_1`, { token: a.token })).json.errcode, 'M_MISSING_PARAM');
  });
});

describe('cross-signing', () => {
  test('the first upload needs no UIA; replacing keys does; self-signing must be signed by the master key', async () => {
    const a = await t.register('x1');
    const b = await t.register('x2');
    const master = newKey();
    const ssk = newKey();
    const usk = newKey();
    const body = {
      master_key: crossKey(a, 'master', master),
      self_signing_key: sign(crossKey(a, 'self_signing', ssk), a.userId, master.pub, master),
      user_signing_key: sign(crossKey(a, 'user_signing', usk), a.userId, master.pub, master),
    };
    const bad = await post(a, '/keys/device_signing/upload', { ...body, self_signing_key: crossKey(a, 'self_signing', ssk) });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.errcode, 'M_INVALID_SIGNATURE');
    assert.equal((await post(a, '/keys/device_signing/upload', { ...body, master_key: crossKey(b, 'master', master) })).json.errcode, 'M_INVALID_PARAM');
    const first = await post(a, '/keys/device_signing/upload', body);
    assert.equal(first.status, 200, first.text);
    assert.equal((await post(a, '/keys/device_signing/upload', body)).status, 200, 'the same keys again: nothing to authorise');

    const master2 = newKey();
    const replace = { master_key: crossKey(a, 'master', master2), self_signing_key: sign(crossKey(a, 'self_signing', ssk), a.userId, master2.pub, master2) };
    const challenge = await post(a, '/keys/device_signing/upload', replace);
    assert.equal(challenge.status, 401);
    assert.deepEqual(challenge.json.flows, [{ stages: ['m.login.password'] }]);
    const wrong = await post(a, '/keys/device_signing/upload', { ...replace, auth: { type: 'm.login.password', session: challenge.json.session, password: 'wrong' } });
    assert.equal(wrong.status, 401);
    const ok = await post(a, '/keys/device_signing/upload', { ...replace, auth: { type: 'm.login.password', session: challenge.json.session, password: DEFAULT_PASSWORD } });
    assert.equal(ok.status, 200, ok.text);

    const mine = await query(a, { [a.userId]: [] });
    assert.equal(mine.json.master_keys[a.userId].keys[`ed25519:${master2.pub}`], master2.pub);
    assert.ok(mine.json.self_signing_keys[a.userId]);
    assert.equal(mine.json.user_signing_keys[a.userId], undefined, 'the old user-signing key went with the old master key');
    const theirs = await query(b, { [a.userId]: [] });
    assert.ok(theirs.json.master_keys[a.userId]);
  });

  test('user_signing keys are shown only to their owner; signatures are checked and stored', async () => {
    const a = await t.register('x3');
    const b = await t.register('x4');
    const k = newKey();
    await upload(a, { device_keys: deviceKeys(a, k) });
    const keys = { master: newKey(), ssk: newKey(), usk: newKey() };
    const setup = (s: Session, m: Signer, ss: Signer, us: Signer) =>
      post(s, '/keys/device_signing/upload', {
        master_key: crossKey(s, 'master', m),
        self_signing_key: sign(crossKey(s, 'self_signing', ss), s.userId, m.pub, m),
        user_signing_key: sign(crossKey(s, 'user_signing', us), s.userId, m.pub, m),
      });
    assert.equal((await setup(a, keys.master, keys.ssk, keys.usk)).status, 200);
    const bKeys = { master: newKey(), ssk: newKey(), usk: newKey() };
    assert.equal((await setup(b, bKeys.master, bKeys.ssk, bKeys.usk)).status, 200);
    assert.ok((await query(a, { [a.userId]: [] })).json.user_signing_keys[a.userId]);
    assert.equal((await query(b, { [a.userId]: [] })).json.user_signing_keys[a.userId], undefined);

    // a signs its own device with its self-signing key, and b's master key with its user-signing key.
    const stored = (await query(a, { [a.userId]: [a.deviceId] })).json.device_keys[a.userId][a.deviceId];
    const { unsigned: _u, signatures: _s, ...device } = stored;
    const bMaster = crossKey(b, 'master', bKeys.master);
    const res = await post(a, '/keys/signatures/upload', {
      [a.userId]: { [a.deviceId]: sign(device, a.userId, keys.ssk.pub, keys.ssk) },
      [b.userId]: { [bKeys.master.pub]: sign(bMaster, a.userId, keys.usk.pub, keys.usk), NOTAKEY: sign(bMaster, a.userId, keys.usk.pub, keys.usk) },
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json.failures), [b.userId]);
    assert.equal(res.json.failures[b.userId].NOTAKEY.errcode, 'M_NOT_FOUND');
    const seen = await query(b, { [a.userId]: [a.deviceId] });
    assert.ok(seen.json.device_keys[a.userId][a.deviceId].signatures[a.userId][`ed25519:${keys.ssk.pub}`], 'the self-signing signature is published');
    assert.ok((await query(a, { [b.userId]: [] })).json.master_keys[b.userId].signatures[a.userId][`ed25519:${keys.usk.pub}`], "a sees its signature on b's master key");
    assert.equal((await query(b, { [b.userId]: [] })).json.master_keys[b.userId].signatures?.[a.userId], undefined, "b does not see a's user-signing signature");

    // A forged signature fails and stores nothing.
    const forged = await post(a, '/keys/signatures/upload', { [a.userId]: { [a.deviceId]: sign(device, a.userId, keys.ssk.pub, newKey()) } });
    assert.equal(forged.json.failures[a.userId][a.deviceId].errcode, 'M_INVALID_SIGNATURE');
    const changed = await post(a, '/keys/signatures/upload', { [a.userId]: { [a.deviceId]: sign({ ...device, algorithms: [] }, a.userId, keys.ssk.pub, keys.ssk) } });
    assert.equal(changed.json.failures[a.userId][a.deviceId].errcode, 'M_INVALID_PARAM');
  });
});

describe('key backup', () => {
  const data = (first: number, forwarded: number, verified: boolean, tag: string) => ({
    first_message_index: first,
    forwarded_count: forwarded,
    is_verified: verified,
    session_data: { ciphertext: tag },
  });
  const ROOM = '!room:localhost';

  test('versions: create, read, update, delete; 404 without one', async () => {
    const a = await t.register('kb1');
    assert.equal((await t.req('GET', `${V3}/room_keys/version`, { token: a.token })).json.errcode, 'M_NOT_FOUND');
    const created = await post(a, '/room_keys/version', { algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: { public_key: 'abc' } });
    assert.equal(created.status, 200, created.text);
    const v = created.json.version;
    const current = await t.req('GET', `${V3}/room_keys/version`, { token: a.token });
    assert.deepEqual(current.json, { algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: { public_key: 'abc' }, count: 0, etag: '0', version: v });
    const put = (body: unknown) => t.req('PUT', `${V3}/room_keys/version/${v}`, { token: a.token, body });
    assert.equal((await put({ algorithm: 'other', auth_data: {} })).json.errcode, 'M_INVALID_PARAM');
    assert.equal((await put({ algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: {}, version: '999' })).json.errcode, 'M_INVALID_PARAM');
    assert.equal((await put({ algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: { public_key: 'def' } })).status, 200);
    assert.deepEqual((await t.req('GET', `${V3}/room_keys/version/${v}`, { token: a.token })).json.auth_data, { public_key: 'def' });
    assert.equal((await t.req('GET', `${V3}/room_keys/version/nonsense`, { token: a.token })).status, 404);
    // Another user sees none of it.
    const b = await t.register('kb2');
    assert.equal((await t.req('GET', `${V3}/room_keys/version/${v}`, { token: b.token })).status, 404);
    assert.equal((await t.req('DELETE', `${V3}/room_keys/version/${v}`, { token: a.token })).status, 200);
    assert.equal((await t.req('GET', `${V3}/room_keys/version/${v}`, { token: a.token })).status, 404);
    const next = await post(a, '/room_keys/version', { algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: {} });
    assert.notEqual(next.json.version, v, 'version numbers are not reused');
  });

  test('keys: the replacement rules, etag and count, and the version checks', async () => {
    const a = await t.register('kb3');
    const v1 = (await post(a, '/room_keys/version', { algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: {} })).json.version;
    const session = (v: string, sid = 'S1') => `${V3}/room_keys/keys/${enc(ROOM)}/${sid}?version=${v}`;
    const putKey = (body: unknown, v = v1, sid = 'S1') => t.req('PUT', session(v, sid), { token: a.token, body });
    const stored = async () => (await t.req('GET', session(v1), { token: a.token })).json.session_data.ciphertext;

    const first = await putKey(data(5, 1, false, 'first'));
    assert.equal(first.status, 200, first.text);
    assert.equal(first.json.count, 1);
    const etag1 = first.json.etag;
    // Worse keys are ignored (etag unchanged); better ones replace it, rule by rule.
    assert.equal((await putKey(data(9, 0, false, 'later index'))).json.etag, etag1);
    assert.equal(await stored(), 'first');
    assert.equal((await putKey(data(5, 2, false, 'more forwarded'))).json.etag, etag1);
    await putKey(data(5, 0, false, 'less forwarded'));
    assert.equal(await stored(), 'less forwarded');
    await putKey(data(2, 3, false, 'lower index'));
    assert.equal(await stored(), 'lower index');
    const verified = await putKey(data(9, 9, true, 'verified'));
    assert.notEqual(verified.json.etag, etag1);
    assert.equal(await stored(), 'verified');
    await putKey(data(0, 0, false, 'unverified'));
    assert.equal(await stored(), 'verified', 'an unverified key never replaces a verified one');

    // Whole-backup and per-room forms.
    const all = await t.req('PUT', `${V3}/room_keys/keys?version=${v1}`, { token: a.token, body: { rooms: { [ROOM]: { sessions: { S2: data(0, 0, false, 's2') } } } } });
    assert.deepEqual({ count: all.json.count }, { count: 2 });
    const room = await t.req('GET', `${V3}/room_keys/keys/${enc(ROOM)}?version=${v1}`, { token: a.token });
    assert.deepEqual(Object.keys(room.json.sessions).sort(), ['S1', 'S2']);
    assert.deepEqual((await t.req('GET', `${V3}/room_keys/keys/${enc('!other:localhost')}?version=${v1}`, { token: a.token })).json, { sessions: {} });
    const everything = await t.req('GET', `${V3}/room_keys/keys?version=${v1}`, { token: a.token });
    assert.deepEqual(Object.keys(everything.json.rooms), [ROOM]);
    assert.equal((await t.req('GET', session(v1, 'NOPE'), { token: a.token })).json.errcode, 'M_NOT_FOUND');
    assert.equal((await t.req('GET', `${V3}/room_keys/version`, { token: a.token })).json.count, 2);

    // A newer version: writing to the old one is refused with the current version named.
    const v2 = (await post(a, '/room_keys/version', { algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: {} })).json.version;
    const wrong = await putKey(data(0, 0, true, 'x'), v1);
    assert.equal(wrong.status, 403);
    assert.equal(wrong.json.errcode, 'M_WRONG_ROOM_KEYS_VERSION');
    assert.equal(wrong.json.current_version, v2);
    assert.equal((await putKey(data(0, 0, true, 'x'), '12345')).status, 404);
    assert.equal((await t.req('GET', `${V3}/room_keys/keys?version=12345`, { token: a.token })).status, 404);
    assert.equal((await t.req('GET', `${V3}/room_keys/keys`, { token: a.token })).json.errcode, 'M_MISSING_PARAM');
    assert.equal((await t.req('PUT', `${V3}/room_keys/keys/not-a-room/S?version=${v2}`, { token: a.token, body: data(0, 0, true, 'x') })).json.errcode, 'M_INVALID_PARAM');
    assert.equal((await t.req('PUT', session(v2), { token: a.token, body: { ...data(0, 0, true, 'x'), first_message_index: -1 } })).json.errcode, 'M_BAD_JSON');

    // Deleting keys changes the etag and the count.
    const del = await t.req('DELETE', session(v1), { token: a.token });
    assert.equal(del.status, 200, del.text);
    assert.equal(del.json.count, 1);
    const delRoom = await t.req('DELETE', `${V3}/room_keys/keys/${enc(ROOM)}?version=${v1}`, { token: a.token });
    assert.equal(delRoom.json.count, 0);
    assert.equal((await t.req('DELETE', `${V3}/room_keys/keys?version=${v1}`, { token: a.token })).json.count, 0);
  });
});
