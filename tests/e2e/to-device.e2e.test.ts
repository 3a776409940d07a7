// Send-to-device messaging against a real `hush serve`, over plain HTTP (cells TD1–TD7 of
// docs/ignore-semantics.md): delivery per device, acknowledgement by the next `since`, wake-up,
// idempotent transactions, paging past 100 messages, bad input — and the ignore rule: messages from
// an ignored user are never delivered (TD5). The matrix-js-sdk side (TD8) is in ignore.sdk.e2e.test.ts.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { client, type ClientSession, type HttpResult, type HushProcess } from '../support/server.ts';
import { startSuiteHush } from '../support/postgres.ts';
import { enc, steps, V3, type Json } from './support/steps.ts';

let hush: HushProcess;
let w: ReturnType<typeof steps>;
let txn = 0;

before(async () => {
  hush = await startSuiteHush();
  w = steps(client(hush.baseUrl));
});
after(() => hush?.stop());

const sendRaw = (s: ClientSession, body: unknown, type = 'org.example.ping', txnId = `td${++txn}`): Promise<HttpResult> =>
  w.http.request('PUT', `${V3}/sendToDevice/${enc(type)}/${enc(txnId)}`, { token: s.token, body });
async function send(s: ClientSession, to: ClientSession | string, deviceId: string, content: Record<string, unknown>, txnId?: string): Promise<void> {
  const userId = typeof to === 'string' ? to : to.userId;
  const r = await sendRaw(s, { messages: { [userId]: { [deviceId]: content } } }, 'org.example.ping', txnId);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, {});
}
const messages = (sync: Json): Json[] => sync?.to_device?.events ?? [];
const bodies = (sync: Json): unknown[] => messages(sync).map((e) => e.content.n);

describe('TD — send-to-device', () => {
  test('TD1 a message reaches the named device only; "*" reaches every device of the user', async () => {
    const [alice, bob] = await Promise.all([w.user('td1_alice'), w.user('td1_bob')]);
    const bob2 = await w.http.login(bob.userId);
    const [s1, s2] = [await w.sync(bob), await w.sync(bob2)];
    await send(alice, bob, bob.deviceId, { n: 1 });
    await send(alice, bob, '*', { n: 2 });
    const one = await w.sync(bob, { since: s1.next_batch });
    assert.deepEqual(bodies(one), [1, 2]);
    assert.deepEqual(
      messages(one).map((e) => [e.sender, e.type]),
      [
        [alice.userId, 'org.example.ping'],
        [alice.userId, 'org.example.ping'],
      ],
    );
    assert.deepEqual(bodies(await w.sync(bob2, { since: s2.next_batch })), [2], 'the second device gets only the "*" message');
  });

  test('TD2 a message is sent again until a later `since` acknowledges it, then deleted', async () => {
    const [alice, bob] = await Promise.all([w.user('td2_alice'), w.user('td2_bob')]);
    const t0 = (await w.sync(bob)).next_batch;
    await send(alice, bob, bob.deviceId, { n: 'x' });
    const first = await w.sync(bob, { since: t0 });
    assert.deepEqual(bodies(first), ['x']);
    assert.deepEqual(bodies(await w.sync(bob, { since: t0 })), ['x'], 'the same token again: sent again (not acknowledged yet)');
    assert.deepEqual(bodies(await w.sync(bob, { since: first.next_batch })), [], 'acknowledged by the next token');
    assert.deepEqual(bodies(await w.sync(bob, { since: t0 })), [], 'and deleted: the old token no longer brings it');
  });

  test('TD3 a waiting /sync of the target wakes for a message', async () => {
    const [alice, bob] = await Promise.all([w.user('td3_alice'), w.user('td3_bob')]);
    const t0 = (await w.sync(bob)).next_batch;
    const waiting = w.sync(bob, { since: t0, timeout: 20_000 });
    await send(alice, bob, bob.deviceId, { n: 'wake' });
    assert.deepEqual(bodies(await waiting), ['wake']);
  });

  test('TD4 a retried transaction id delivers once', async () => {
    const [alice, bob] = await Promise.all([w.user('td4_alice'), w.user('td4_bob')]);
    const t0 = (await w.sync(bob)).next_batch;
    await send(alice, bob, bob.deviceId, { n: 'once' }, 'same-txn');
    await send(alice, bob, bob.deviceId, { n: 'once' }, 'same-txn');
    assert.deepEqual(bodies(await w.sync(bob, { since: t0 })), ['once']);
  });

  test('TD5 messages from an ignored user are not delivered; others are; un-ignoring lets new ones through', async () => {
    const [alice, bob, carol] = await Promise.all([w.user('td5_alice'), w.user('td5_bob'), w.user('td5_carol')]);
    await w.ignore(alice, [bob.userId]);
    const t0 = (await w.sync(alice)).next_batch;
    await send(bob, alice, alice.deviceId, { n: 'from bob' });
    await send(carol, alice, alice.deviceId, { n: 'from carol' });
    await send(bob, alice, '*', { n: 'bob to all' });
    const s = await w.sync(alice, { since: t0 });
    assert.deepEqual(bodies(s), ['from carol']);
    assert.ok(!messages(s).some((e) => e.sender === bob.userId));
    await w.sync(alice, { since: s.next_batch }); // acknowledges carol's message
    assert.deepEqual(bodies(await w.sync(alice)), [], "a fresh sync does not bring bob's either: they are gone");

    await w.ignore(alice, []);
    const t1 = (await w.sync(alice)).next_batch;
    await send(bob, alice, alice.deviceId, { n: 'bob again' });
    assert.deepEqual(bodies(await w.sync(alice, { since: t1 })), ['bob again'], 'after un-ignoring, new messages arrive');
  });

  test('TD6 more than 100 messages arrive over several syncs, in order, none lost or repeated', async () => {
    const [alice, bob] = await Promise.all([w.user('td6_alice'), w.user('td6_bob')]);
    let token = (await w.sync(bob)).next_batch;
    for (let i = 0; i < 250; i++) await send(alice, bob, bob.deviceId, { n: i });
    const got: unknown[] = [];
    for (let round = 0; round < 5; round++) {
      const s = await w.sync(bob, { since: token });
      assert.ok(messages(s).length <= 100, 'at most 100 a response');
      got.push(...bodies(s));
      token = s.next_batch;
    }
    assert.deepEqual(got, Array.from({ length: 250 }, (_, i) => i));
  });

  test('TD7 bad input is a Matrix error and stores nothing; unknown and remote targets are dropped', async () => {
    const [alice, bob] = await Promise.all([w.user('td7_alice'), w.user('td7_bob')]);
    const t0 = (await w.sync(bob)).next_batch;
    const bad: [unknown, number, string][] = [
      [{ messages: { 'not-a-user': { D: {} } } }, 400, 'M_INVALID_PARAM'],
      [{ messages: { [bob.userId]: { [bob.deviceId]: 'text' } } }, 400, 'M_BAD_JSON'],
      [{ messages: { [bob.userId]: [] } }, 400, 'M_BAD_JSON'],
      [{ messages: [] }, 400, 'M_BAD_JSON'],
      [{}, 400, 'M_BAD_JSON'],
      [null, 400, 'M_BAD_JSON'],
    ];
    for (const [body, status, errcode] of bad) {
      const r = await sendRaw(alice, body);
      assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
      assert.equal(r.json.errcode, errcode);
    }
    // A valid recipient next to an invalid one: nothing of the request is stored.
    assert.equal((await sendRaw(alice, { messages: { [bob.userId]: { [bob.deviceId]: { n: 'half' } }, bad: { D: {} } } })).status, 400);
    await send(alice, '@nobody_here:' + bob.userId.split(':').slice(1).join(':'), 'D', { n: 'unknown user' });
    await send(alice, '@someone:elsewhere.example', 'D', { n: 'remote' });
    await send(alice, bob, 'NO_SUCH_DEVICE', { n: 'unknown device' });
    assert.deepEqual(bodies(await w.sync(bob, { since: t0 })), [], 'nothing reached bob');
    const anonymous = await w.http.request('PUT', `${V3}/sendToDevice/x/${++txn}`, { body: { messages: {} } });
    assert.equal(anonymous.status, 401);
  });
});
