// "No trace": what an ignored user does must not show through a waiting /sync — neither as a room
// entry nor through when the long-poll answers — and what the request's filter drops must not end
// it either. Real `hush serve`, plain HTTP. (Ignoring Users: "the client will no longer receive
// events sent by that user"; a response that ends early with an empty room is a received trace.)

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { client, startHush, type ClientSession, type HushProcess } from '../support/server.ts';
import { bodies, enc, steps, timelineOf, V3, type Json } from './support/steps.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let hush: HushProcess;
let w: ReturnType<typeof steps>;

before(async () => {
  hush = await startHush();
  w = steps(client(hush.baseUrl));
});
after(() => hush?.stop());

/** A long-poll from `since` with `timeout` ms; resolves with the response and how long it took. */
function longPoll(s: ClientSession, since: string, timeout: number, filter?: Json): Promise<{ sync: Json; ms: number }> {
  const t0 = Date.now();
  return w.sync(s, { since, timeout, filter }).then((sync) => ({ sync, ms: Date.now() - t0 }));
}

function sendToDevice(from: ClientSession, to: ClientSession, n: number, txn: string) {
  return w.http.request('PUT', `${V3}/sendToDevice/m.test.ping/${enc(txn)}`, {
    token: from.token,
    body: { messages: { [to.userId]: { [to.deviceId]: { n } } } },
  });
}

const roomsNamed = (sync: Json): string[] => ['join', 'invite', 'leave', 'knock'].flatMap((k) => Object.keys(sync?.rooms?.[k] ?? {}));

describe('NT — an ignored user leaves no trace in a waiting /sync', () => {
  test('NT1 messages, typing, a receipt and to-device from the ignored user neither end the long-poll nor name the room; a visible event ends the next one', async () => {
    const { alice, bob, carol, room } = await w.trio('nt1');
    await w.ignore(alice, [bob.userId]);
    const since = (await w.sync(alice)).next_batch as string;

    const poll = longPoll(alice, since, 5_000);
    await sleep(300); // let the /sync park on the server
    let last = '';
    for (let i = 1; i <= 3; i++) last = await w.send(bob, room, `bob ${i}`);
    await w.typing(bob, room, true);
    await w.receipt(bob, room, last);
    assert.equal((await sendToDevice(bob, alice, 1, 'nt1-td')).status, 200);
    const { sync, ms } = await poll;
    assert.ok(ms >= 4_500, `the long-poll answered after ${ms} ms: the ignored user's activity ended it before its 5 s timeout`);
    assert.deepEqual(roomsNamed(sync), [], 'no room is named');
    assert.deepEqual(sync.to_device?.events ?? [], [], 'no to-device message from the ignored user');

    const next = longPoll(alice, sync.next_batch as string, 20_000);
    await sleep(300);
    await w.send(carol, room, 'carol here');
    const woken = await next;
    assert.ok(woken.ms < 15_000, `a visible event ended the long-poll (after ${woken.ms} ms, timeout 20 s)`);
    assert.deepEqual(bodies(timelineOf(woken.sync, room)), ['carol here'], 'only the visible event, none of the hidden ones');
  });

  test('NT2 an ignored user stopping typing and a flood of their to-device messages leave no trace either', async () => {
    const { alice, bob, room } = await w.trio('nt2');
    await w.typing(bob, room, true);
    await w.ignore(alice, [bob.userId]);
    const since = (await w.sync(alice)).next_batch as string;
    const poll = longPoll(alice, since, 3_000);
    await sleep(300);
    await w.typing(bob, room, false);
    // More than one response's worth (100): the hidden ones must not make an empty answer early.
    for (let i = 0; i < 120; i++) assert.equal((await sendToDevice(bob, alice, i, `nt2-${i}`)).status, 200);
    const { sync, ms } = await poll;
    assert.ok(ms >= 2_500, `the long-poll answered after ${ms} ms, before its 3 s timeout`);
    assert.deepEqual(roomsNamed(sync), []);
    assert.deepEqual(sync.to_device?.events ?? [], []);
  });

  test('NT3 a visible user typing still ends the long-poll with the room', async () => {
    const { alice, bob, carol, room } = await w.trio('nt3');
    await w.ignore(alice, [bob.userId]);
    const since = (await w.sync(alice)).next_batch as string;
    const poll = longPoll(alice, since, 20_000);
    await sleep(300);
    await w.typing(bob, room, true); // hidden: must not end it
    await w.typing(carol, room, true);
    const { sync, ms } = await poll;
    assert.ok(ms < 15_000, `carol's typing ended the long-poll (after ${ms} ms)`);
    const typing = (sync.rooms?.join?.[room]?.ephemeral?.events ?? []).find((e: Json) => e.type === 'm.typing');
    assert.deepEqual(typing?.content?.user_ids, [carol.userId], 'carol is shown typing, bob is not');
  });
});

describe('NF — what the request filter drops does not end a long-poll', () => {
  test('NF1 with a timeline filter of m.room.message only, a state change neither ends the long-poll nor names the room', async () => {
    const { alice, carol, room } = await w.trio('nf1');
    const filter = { room: { timeline: { types: ['m.room.message'] }, state: { types: ['m.room.message'] }, ephemeral: { types: [] } } };
    const since = (await w.sync(alice, { filter })).next_batch as string;
    const poll = longPoll(alice, since, 3_000, filter);
    await sleep(300);
    await w.setState(carol, room, 'm.room.topic', { topic: 'filtered out' });
    await w.typing(carol, room, true); // ephemeral types [] drops typing too
    const { sync, ms } = await poll;
    assert.ok(ms >= 2_500, `the long-poll answered after ${ms} ms, before its 3 s timeout`);
    assert.deepEqual(roomsNamed(sync), []);

    const next = longPoll(alice, sync.next_batch as string, 20_000, filter);
    await sleep(300);
    await w.send(carol, room, 'wanted');
    const woken = await next;
    assert.ok(woken.ms < 15_000, `a matching event ended the long-poll (after ${woken.ms} ms)`);
    assert.deepEqual(bodies(timelineOf(woken.sync, room)), ['wanted']);
  });
});
