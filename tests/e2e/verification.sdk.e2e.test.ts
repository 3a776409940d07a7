// Cross-signing verification through a real `hush serve`, with matrix-js-sdk 43 and its Rust crypto:
// two devices of one user bootstrap cross-signing (the second upload through user-interactive auth
// with the password, decision 0017), verify each other by SAS emoji, and the verified device ends
// up signed by the self-signing key on the server and receives the private keys by secret sharing
// over to-device; then one user verifies another in a DM, and the user-signing key's signature on
// the other's master key is served to the signer only. Last, a verification request from an
// ignored user never reaches the client, by to-device or in a room (docs/ignore-semantics.md VR1,
// VR2). Decision 0029.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { canonicalJson } from '@hush/protocol';
import { client, startHush, type ClientSession, type HushProcess } from '../support/server.ts';
import { cryptoClient as startCryptoClient, sdk, until, within, type MatrixClient } from './support/sdk.ts';
import type { Json } from './support/steps.ts';
import type { AuthDict } from 'matrix-js-sdk';
import {
  CryptoEvent,
  VerificationPhase,
  VerificationRequestEvent,
  VerifierEvent,
  type ShowSasCallbacks,
  type VerificationRequest,
} from 'matrix-js-sdk/lib/crypto-api/index.js';

const PASSWORD = 'correct horse';
const V3 = '/_matrix/client/v3';

let hush: HushProcess;
let http: ReturnType<typeof client>;
const clients: MatrixClient[] = [];

const cryptoClient = (session: ClientSession) => startCryptoClient(hush.baseUrl, session, { track: clients });

/** The first verification request `c` receives from `from` (any request counts when `from` is unset). */
function nextRequest(c: MatrixClient, from?: string): Promise<VerificationRequest> {
  return new Promise((resolve) => {
    const on = (req: VerificationRequest) => {
      if (from !== undefined && req.otherUserId !== from) return;
      c.off(CryptoEvent.VerificationRequestReceived, on);
      resolve(req);
    };
    c.on(CryptoEvent.VerificationRequestReceived, on);
  });
}

function phase(req: VerificationRequest, wanted: number, what: string): Promise<void> {
  return within(
    new Promise<void>((resolve) => {
      const look = () => {
        if (req.phase !== wanted) return;
        req.off(VerificationRequestEvent.Change, look);
        resolve();
      };
      req.on(VerificationRequestEvent.Change, look);
      look();
    }),
    30_000,
    what,
  );
}

/**
 * Runs SAS between the requester's request and the other side's, both already `Ready`: the requester
 * starts, both sides show their emoji, the test compares them and confirms on both.
 */
async function sas(mine: VerificationRequest, theirs: VerificationRequest): Promise<string[]> {
  const verifierA = await mine.startVerification('m.sas.v1');
  const shownA = new Promise<ShowSasCallbacks>((resolve) => verifierA.once(VerifierEvent.ShowSas, resolve));
  const verifiedA = verifierA.verify();
  await phase(theirs, VerificationPhase.Started, 'the other side to see the start');
  const verifierB = theirs.verifier;
  assert.ok(verifierB, 'the other side has a verifier');
  const shownB = new Promise<ShowSasCallbacks>((resolve) => verifierB.once(VerifierEvent.ShowSas, resolve));
  const verifiedB = verifierB.verify();
  const [a, b] = await within(Promise.all([shownA, shownB]), 30_000, 'both sides to show the SAS');
  const emojiA = (a.sas.emoji ?? []).map(([, name]) => name);
  const emojiB = (b.sas.emoji ?? []).map(([, name]) => name);
  assert.equal(emojiA.length, 7, 'seven emoji');
  assert.deepEqual(emojiA, emojiB, 'both sides show the same emoji');
  assert.deepEqual(a.sas.decimal, b.sas.decimal, 'and the same numbers');
  await Promise.all([a.confirm(), b.confirm()]);
  await within(Promise.all([verifiedA, verifiedB]), 30_000, 'both verifiers to finish');
  await phase(mine, VerificationPhase.Done, 'the request to be done');
  await phase(theirs, VerificationPhase.Done, "the other side's request to be done");
  return emojiA;
}

/** A `bootstrapCrossSigning` UIA callback: first without auth, then with the password and the
 *  server's session. Records the challenges it met. */
function passwordUia(userId: string, challenges: Json[]) {
  return async <T>(makeRequest: (auth: AuthDict | null) => Promise<T>): Promise<T> => {
    try {
      return await makeRequest(null);
    } catch (e) {
      const err = e as { httpStatus?: number; data?: Json };
      if (err.httpStatus !== 401 || typeof err.data?.session !== 'string') throw e;
      challenges.push(err.data);
      return makeRequest({ type: 'm.login.password', identifier: { type: 'm.id.user', user: userId }, password: PASSWORD, session: err.data.session });
    }
  };
}

async function queryKeys(as: ClientSession, users: string[]): Promise<Json> {
  const res = await http.request('POST', `${V3}/keys/query`, { token: as.token, body: { device_keys: Object.fromEntries(users.map((u) => [u, []])) } });
  assert.equal(res.status, 200, res.text);
  return res.json;
}

/** The cross-signing key's one public key. */
const publicKeyOf = (key: Json): string => Object.values(key.keys as Record<string, string>)[0] as string;

/** Whether `obj` carries a valid ed25519 signature by `signer` with the key `publicKey` (unpadded base64). */
function validlySigned(obj: Json, signer: string, publicKey: string): boolean {
  const signature = obj.signatures?.[signer]?.[`ed25519:${publicKey}`];
  if (typeof signature !== 'string') return false;
  const { signatures: _s, unsigned: _u, ...content } = obj;
  const der = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(publicKey, 'base64')]);
  return verify(null, Buffer.from(canonicalJson(content)), createPublicKey({ key: der, format: 'der', type: 'spki' }), Buffer.from(signature, 'base64'));
}

before(async () => {
  hush = await startHush();
  http = client(hush.baseUrl);
});

after(async () => {
  for (const c of clients) c.stopClient();
  await hush?.stop();
});

/** alice's two devices: A (`a`) and B (`b`). */
let alice: ClientSession;
let aliceB: ClientSession;
let a: MatrixClient;
let b: MatrixClient;

describe('one user, two devices', () => {
  before(async () => {
    alice = await http.register('alice');
    aliceB = await http.login('alice');
    a = await cryptoClient(alice);
    b = await cryptoClient(aliceB);
  });

  test('both devices bootstrap cross-signing; replacing the keys asks for the password, with a session bound to cross_signing', async () => {
    // B first: nothing to protect yet, so the server asks for no authentication (decision 0019).
    const firstChallenges: Json[] = [];
    await b.getCrypto()!.bootstrapCrossSigning({ authUploadDeviceSigningKeys: passwordUia(alice.userId, firstChallenges) });
    assert.deepEqual(firstChallenges, [], 'the first upload needs no authentication');
    const first = await queryKeys(alice, [alice.userId]);
    assert.ok(first.master_keys[alice.userId], 'a master key is served');

    // A takes in B's keys before making its own (the Rust crypto drops private keys that differ from
    // the public ones it reads later: a query answered after the reset must not hold B's keys).
    await until(a, async () => (await a.getCrypto()!.getCrossSigningStatus()).publicKeysOnDevice, "A to see B's cross-signing keys");
    // A holds no private keys and there is no secret storage, so it makes new ones: the server now
    // protects the master key, and A goes through the password stage.
    const challenges: Json[] = [];
    await a.getCrypto()!.bootstrapCrossSigning({ authUploadDeviceSigningKeys: passwordUia(alice.userId, challenges) });
    assert.equal(challenges.length, 1, 'one challenge');
    assert.ok(
      (challenges[0].flows as { stages: string[] }[]).some((f) => f.stages.includes('m.login.password')),
      JSON.stringify(challenges[0]),
    );
    await until(a, () => a.getCrypto()!.isCrossSigningReady(), 'A to be ready for cross-signing');
    // The session names the cross-signing upload: it does not authorise deleting a device.
    const reused = await http.request('POST', `${V3}/delete_devices`, {
      token: alice.token,
      body: { devices: [aliceB.deviceId], auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: alice.userId }, password: PASSWORD, session: challenges[0].session } },
    });
    assert.equal(reused.status, 403, reused.text);
    assert.equal(reused.json.errcode, 'M_FORBIDDEN');
    const now = await queryKeys(alice, [alice.userId]);
    assert.notEqual(publicKeyOf(now.master_keys[alice.userId]), publicKeyOf(first.master_keys[alice.userId]), 'the master key was replaced');
    const status = await a.getCrypto()!.getCrossSigningStatus();
    assert.equal(status.publicKeysOnDevice && status.privateKeysCachedLocally.masterKey && status.privateKeysCachedLocally.selfSigningKey, true);
  });

  test('A verifies B by SAS; afterwards B is cross-signed, on A and on the server', async () => {
    const ca = a.getCrypto()!;
    await until(a, async () => (await ca.getDeviceVerificationStatus(alice.userId, aliceB.deviceId)) !== null, "A to know B's device");
    assert.equal((await ca.getDeviceVerificationStatus(alice.userId, aliceB.deviceId))!.crossSigningVerified, false, 'B is not cross-signed before');
    const before = await queryKeys(alice, [alice.userId]);
    const ssk = publicKeyOf(before.self_signing_keys[alice.userId]);
    assert.equal(validlySigned(before.device_keys[alice.userId][aliceB.deviceId], alice.userId, ssk), false, "B's keys carry no signature by the current self-signing key");

    const received = nextRequest(b, alice.userId);
    const mine = await ca.requestDeviceVerification(alice.userId, aliceB.deviceId);
    const theirs = await within(received, 30_000, 'B to receive the request');
    assert.equal(theirs.isSelfVerification, true);
    assert.equal(theirs.otherDeviceId, alice.deviceId);
    await theirs.accept();
    await phase(mine, VerificationPhase.Ready, 'A to see B accept');
    await sas(mine, theirs);

    await until(a, async () => (await ca.getDeviceVerificationStatus(alice.userId, aliceB.deviceId))?.crossSigningVerified === true, 'A to see B cross-signed');
    // B, now trusting A, asks it for the private cross-signing keys (m.secret.request / m.secret.send,
    // to-device, Olm-encrypted) and trusts A's device in turn.
    await until(b, () => b.getCrypto()!.isCrossSigningReady(), 'B to receive the cross-signing keys from A');
    const onB = await b.getCrypto()!.getDeviceVerificationStatus(alice.userId, alice.deviceId);
    assert.equal(onB?.crossSigningVerified, true, 'B sees A cross-signed');
    const after = await queryKeys(alice, [alice.userId]);
    assert.equal(publicKeyOf(after.self_signing_keys[alice.userId]), ssk);
    assert.ok(validlySigned(after.device_keys[alice.userId][aliceB.deviceId], alice.userId, ssk), "B's device keys carry the self-signing key's signature");
    assert.ok(validlySigned(after.self_signing_keys[alice.userId], alice.userId, publicKeyOf(after.master_keys[alice.userId])), 'the self-signing key is signed by the master key');
  });
});

describe('one user verifies another', () => {
  let bob: ClientSession;
  let carol: ClientSession;
  let bobClient: MatrixClient;

  before(async () => {
    bob = await http.register('bob');
    carol = await http.register('carol');
    bobClient = await cryptoClient(bob);
    await bobClient.getCrypto()!.bootstrapCrossSigning({ authUploadDeviceSigningKeys: passwordUia(bob.userId, []) });
    await until(bobClient, () => bobClient.getCrypto()!.isCrossSigningReady(), 'bob to be ready for cross-signing');
  });

  test("alice verifies bob in an encrypted DM; her user-signing key's signature on his master key is served to her only", async () => {
    const ca = a.getCrypto()!;
    await ca.getUserDeviceInfo([bob.userId], true);
    assert.equal((await ca.getUserVerificationStatus(bob.userId)).isCrossSigningVerified(), false, 'bob is not verified before');
    const { room_id: dm } = await a.createRoom({
      preset: sdk.Preset.TrustedPrivateChat,
      is_direct: true,
      invite: [bob.userId],
      initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
    });
    await until(bobClient, () => bobClient.getRoom(dm)?.getMyMembership() === 'invite', 'the invite to reach bob');
    await bobClient.joinRoom(dm);
    await until(a, () => a.getRoom(dm)?.getMember(bob.userId)?.membership === 'join', 'alice to see bob join');

    const received = nextRequest(bobClient, alice.userId);
    const mine = await ca.requestVerificationDM(bob.userId, dm);
    const theirs = await within(received, 30_000, 'bob to receive the request');
    assert.equal(theirs.roomId, dm, 'an in-room request');
    assert.equal(theirs.isSelfVerification, false);
    await theirs.accept();
    await phase(mine, VerificationPhase.Ready, 'alice to see bob accept');
    await sas(mine, theirs);
    const stored = await http.request('GET', `${V3}/rooms/${encodeURIComponent(dm)}/messages?dir=b&limit=50`, { token: alice.token });
    // The SAS ran through the room: both sides' events are in its timeline (in the clear: the SDK
    // does not encrypt verification events, only their request's room is).
    const flow = (stored.json.chunk as Json[]).filter((e) => e.type.startsWith('m.key.verification.')).map((e) => `${e.type.slice(19)}:${e.sender === alice.userId ? 'a' : 'b'}`);
    for (const step of ['ready:b', 'start:a', 'accept:b', 'key:a', 'key:b', 'mac:a', 'mac:b', 'done:a', 'done:b']) assert.ok(flow.includes(step), `${step} in ${flow.join(' ')}`);

    await until(a, async () => (await ca.getUserVerificationStatus(bob.userId)).isCrossSigningVerified(), 'alice to see bob verified');
    const mineServed = await queryKeys(alice, [alice.userId, bob.userId]);
    const usk = publicKeyOf(mineServed.user_signing_keys[alice.userId]);
    assert.ok(validlySigned(mineServed.master_keys[bob.userId], alice.userId, usk), "bob's master key carries alice's user-signing signature, for alice");
    for (const [who, as] of [['bob', bob], ['carol', carol]] as const) {
      const served = await queryKeys(as, [alice.userId, bob.userId]);
      assert.equal(served.master_keys[bob.userId].signatures[alice.userId], undefined, `${who} does not see alice's signature on bob's key`);
      assert.equal(served.user_signing_keys[alice.userId], undefined, `${who} does not see alice's user-signing key`);
      assert.ok(served.master_keys[alice.userId], `${who} sees alice's master key`);
    }
  });
});

describe('VR1, VR2: verification requests from an ignored user', () => {
  let dan: ClientSession;
  let erin: ClientSession;
  let mallory: ClientSession;
  let d: MatrixClient;
  let e: MatrixClient;
  let m: MatrixClient;
  let room: string;
  /** Every request dan's client was told of, in order. */
  const seen: VerificationRequest[] = [];

  before(async () => {
    [dan, erin, mallory] = await Promise.all([http.register('dan'), http.register('erin'), http.register('mallory')]);
    [d, e, m] = await Promise.all([cryptoClient(dan), cryptoClient(erin), cryptoClient(mallory)]);
    d.on(CryptoEvent.VerificationRequestReceived, (req) => seen.push(req));
    // Encrypted, so that each client tracks the others' devices (the SDK tracks members of encrypted rooms).
    ({ room_id: room } = await e.createRoom({
      preset: sdk.Preset.PublicChat,
      initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
    }));
    await d.joinRoom(room);
    await m.joinRoom(room);
    await until(d, () => d.getRoom(room)?.getMember(mallory.userId)?.membership === 'join', 'dan to see mallory join');
    // An in-room request needs the other user's cross-signing identity; all know each other's devices.
    await d.getCrypto()!.bootstrapCrossSigning({ authUploadDeviceSigningKeys: passwordUia(dan.userId, []) });
    const knows = async (c: MatrixClient, s: ClientSession) => Boolean((await c.getCrypto()!.getUserDeviceInfo([s.userId])).get(s.userId)?.has(s.deviceId));
    for (const c of [e, m]) {
      await until(c, async () => (await knows(c, dan)) && (await c.getCrypto()!.userHasCrossSigningKeys(dan.userId)), "dan's keys to be known");
    }
    await until(d, async () => (await knows(d, erin)) && (await knows(d, mallory)), "erin's and mallory's devices to be known to dan");
    await d.setIgnoredUsers([mallory.userId]);
  });

  /** Waits for the next request dan's client receives from erin (sent after mallory's), then
   *  checks that none from mallory came before it. */
  async function erinsArrivesAlone(start: number, sent: Promise<VerificationRequest>): Promise<VerificationRequest> {
    const fromErin = nextRequest(d, erin.userId);
    await sent;
    const req = await within(fromErin, 30_000, "erin's request to reach dan");
    assert.deepEqual(seen.slice(start).filter((r) => r.otherUserId === mallory.userId), [], "no request of mallory's reached dan");
    return req;
  }

  test('VR1 a to-device m.key.verification.request from an ignored user never reaches the client; one sent after un-ignoring does', async () => {
    const start = seen.length;
    await m.getCrypto()!.requestDeviceVerification(dan.userId, dan.deviceId);
    const erins = await erinsArrivesAlone(start, e.getCrypto()!.requestDeviceVerification(dan.userId, dan.deviceId));
    assert.equal(erins.roomId, undefined, 'a to-device request');
    await erins.cancel();

    await d.setIgnoredUsers([]);
    const fromMallory = nextRequest(d, mallory.userId);
    await m.getCrypto()!.requestDeviceVerification(dan.userId, dan.deviceId);
    const later = await within(fromMallory, 30_000, "mallory's request after un-ignoring");
    assert.equal(seen.slice(start).filter((r) => r.otherUserId === mallory.userId).length, 1, 'only the one sent after un-ignoring');
    await later.cancel();
    await d.setIgnoredUsers([mallory.userId]);
  });

  test('VR2 an in-room verification request from an ignored user never reaches the client, nor the room as the server serves it', async () => {
    const start = seen.length;
    await m.getCrypto()!.requestVerificationDM(dan.userId, room);
    const erins = await erinsArrivesAlone(start, e.getCrypto()!.requestVerificationDM(dan.userId, room));
    assert.equal(erins.roomId, room, 'an in-room request');
    // What mallory sent into the room (not state): her request, whichever way the SDK wrapped it.
    const fromMallory = (events: { sender?: string; state_key?: unknown }[]) => events.filter((ev) => ev.sender === mallory.userId && ev.state_key === undefined).length;
    const live = d.getRoom(room)!.getLiveTimeline().getEvents();
    assert.equal(fromMallory(live.map((ev) => ({ sender: ev.getSender(), state_key: ev.getStateKey() }))), 0, "nothing of mallory's in dan's timeline");
    assert.ok(live.some((ev) => ev.getSender() === erin.userId && !ev.isState() && ev.getId() === erins.transactionId), "erin's request is in it");
    const path = `${V3}/rooms/${encodeURIComponent(room)}/messages?dir=b&limit=50`;
    const forDan = await http.request('GET', path, { token: dan.token });
    assert.equal(fromMallory(forDan.json.chunk), 0, "/messages serves dan nothing of mallory's");
    const forErin = await http.request('GET', path, { token: erin.token });
    assert.equal(fromMallory(forErin.json.chunk), 1, "mallory's request was sent: erin is served it");
    await erins.cancel();
  });
});
