// The ignore contract seen through matrix-js-sdk (a client nobody here wrote) against a real
// `hush serve`: setIgnoredUsers / getIgnoredUsers, the timeline afterwards, un-ignoring, and an
// invite from an ignored user, MSC4406's M_SENDER_IGNORED as the SDK reports it (cells K1–K4 of
// docs/ignore-semantics.md), and to-device events from an ignored user (TD8). Other users act over HTTP.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { client, startHush, type ClientSession, type HushProcess } from '../support/server.ts';
import { sdk, startedClient, waitFor, type MatrixClient } from './support/sdk.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

let hush: HushProcess;
let http: ReturnType<typeof client>;
const running: MatrixClient[] = [];

before(async () => {
  hush = await startHush();
  http = client(hush.baseUrl);
});
after(async () => {
  for (const c of running) c.stopClient();
  await hush?.stop();
});

let txn = 0;
async function ok(what: string, p: ReturnType<typeof http.request>) {
  const r = await p;
  if (r.status !== 200) throw new Error(`${what}: ${r.status} ${r.text}`);
  return r.json;
}
const send = async (s: ClientSession, roomId: string, body: string): Promise<string> =>
  (await ok('send', http.request('PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/k${++txn}`, { token: s.token, body: { msgtype: 'm.text', body } }))).event_id;
const createRoom = async (s: ClientSession, body: Record<string, unknown>): Promise<string> =>
  (await ok('createRoom', http.request('POST', `${V3}/createRoom`, { token: s.token, body }))).room_id;
const join = (s: ClientSession, roomId: string) => ok('join', http.request('POST', `${V3}/join/${enc(roomId)}`, { token: s.token, body: {} }));
const invite = (s: ClientSession, roomId: string, userId: string) =>
  ok('invite', http.request('POST', `${V3}/rooms/${enc(roomId)}/invite`, { token: s.token, body: { user_id: userId } }));

async function sdkClient(session: ClientSession): Promise<MatrixClient> {
  const c = await startedClient(hush.baseUrl, session);
  running.push(c);
  return c;
}

interface SeenEvent {
  getType(): string;
  getSender(): string | undefined;
  getContent(): Record<string, unknown>;
}

/** Records every timeline event the SDK delivers for one room from now on. */
function record(c: MatrixClient, roomId: string): { events: SeenEvent[]; stop(): void } {
  const events: SeenEvent[] = [];
  const on = (ev: SeenEvent, room: { roomId: string } | undefined) => {
    if (room?.roomId === roomId) events.push(ev);
  };
  c.on(sdk.RoomEvent.Timeline, on as never);
  return { events, stop: () => c.off(sdk.RoomEvent.Timeline, on as never) };
}

function heard(c: MatrixClient, roomId: string, body: string): Promise<void> {
  return waitFor<void>((done) => {
    const on = (ev: SeenEvent, room: { roomId: string } | undefined) => {
      if (room?.roomId === roomId && ev.getContent()['body'] === body) done();
    };
    c.on(sdk.RoomEvent.Timeline, on as never);
    return () => c.off(sdk.RoomEvent.Timeline, on as never);
  }, 10_000, `"${body}" to reach the SDK`);
}

function until(check: () => boolean, what: string): Promise<void> {
  return waitFor<void>((done) => {
    const t = setInterval(() => check() && done(), 25);
    return () => clearInterval(t);
  }, 10_000, what);
}

/** alice (an SDK client), bob (whom she will ignore) and carol, in one public room. */
async function cast(prefix: string) {
  const [alice, bob, carol] = await Promise.all([http.register(`${prefix}_alice`), http.register(`${prefix}_bob`), http.register(`${prefix}_carol`)]);
  const room = await createRoom(alice, { preset: 'public_chat' });
  await join(bob, room);
  await join(carol, room);
  const a = await sdkClient(alice);
  await until(() => a.getRoom(room)?.getMyMembership() === 'join', 'alice to have the room');
  return { alice, bob, carol, room, a };
}

async function sendToDevice(from: ClientSession, to: ClientSession, n: string): Promise<void> {
  const r = await http.request('PUT', `${V3}/sendToDevice/org.example.ping/sdk${++txn}`, { token: from.token, body: { messages: { [to.userId]: { [to.deviceId]: { n } } } } });
  assert.equal(r.status, 200, r.text);
}

interface ToDevice {
  getType(): string;
  getSender(): string | undefined;
  getContent(): Record<string, unknown>;
}

const messageBodies = (events: SeenEvent[]) => events.filter((e) => e.getType() === 'm.room.message').map((e) => String(e.getContent()['body']));

describe('K — matrix-js-sdk', () => {
  test('K5 matrix-js-sdk keeping its store: un-ignoring resets the room (limited), and paging back shows what was sent while ignored', async () => {
    const { bob, carol, room, a } = await cast('k5');
    await a.setIgnoredUsers([bob.userId]);
    await send(bob, room, 'k5 while ignored 1');
    await send(bob, room, 'k5 while ignored 2');
    const marker = heard(a, room, 'k5 carol');
    await send(carol, room, 'k5 carol');
    await marker;
    const bodies = () => a.getRoom(room)!.getLiveTimeline().getEvents().map((e) => String(e.getContent()['body']));
    assert.ok(!bodies().includes('k5 while ignored 1'), 'hidden while ignored');
    const reset = waitFor<void>((done) => {
      const on = (r: { roomId: string } | undefined) => r?.roomId === room && done();
      a.on(sdk.RoomEvent.TimelineReset, on as never);
      return () => a.off(sdk.RoomEvent.TimelineReset, on as never);
    }, 10_000, 'the SDK to reset the room timeline after the un-ignore');
    await a.setIgnoredUsers([]);
    await reset;
    // What a person does next: scroll up.
    for (let i = 0; i < 5 && !bodies().includes('k5 while ignored 1'); i++) await a.scrollback(a.getRoom(room)!, 30);
    const shown = bodies();
    assert.ok(shown.includes('k5 while ignored 1') && shown.includes('k5 while ignored 2'), `the messages sent while ignored are back (got ${shown.join(' | ')})`);
    assert.ok(shown.indexOf('k5 while ignored 2') < shown.indexOf('k5 carol'), 'in order');
  });

  test("K1 matrix-js-sdk: after setIgnoredUsers([bob]) bob's new messages never reach alice's timeline, carol's do; getIgnoredUsers() reflects the list", async () => {
    const { bob, carol, room, a } = await cast('k1');
    await send(bob, room, 'k1 bob before');
    await heard(a, room, 'k1 bob before');
    assert.deepEqual(a.getIgnoredUsers(), []);

    const t0 = Date.now();
    // setIgnoredUsers resolves only once the SDK's own /sync has echoed the new list back.
    await a.setIgnoredUsers([bob.userId]);
    assert.ok(Date.now() - t0 < 10_000, 'the write woke the SDK long-poll (its timeout is 30 s)');
    assert.deepEqual(a.getIgnoredUsers(), [bob.userId]);
    assert.equal(a.isUserIgnored(bob.userId), true);
    assert.equal(a.isUserIgnored(carol.userId), false);

    const rec = record(a, room);
    const last = heard(a, room, 'k1 carol 2');
    await send(bob, room, 'k1 bob 1');
    await send(carol, room, 'k1 carol 1');
    await send(bob, room, 'k1 bob 2');
    await send(carol, room, 'k1 carol 2');
    await last;
    rec.stop();
    assert.deepEqual(messageBodies(rec.events), ['k1 carol 1', 'k1 carol 2'], "only carol's messages reached the timeline");
    assert.ok(!rec.events.some((e) => e.getSender() === bob.userId), 'nothing from bob at all');
    const live = a.getRoom(room)?.getLiveTimeline().getEvents() ?? [];
    assert.ok(!messageBodies(live).some((b) => b.startsWith('k1 bob ') && b !== 'k1 bob before'), "the live timeline holds none of bob's new messages");
  });

  test("K2 matrix-js-sdk: setIgnoredUsers([]) un-ignores; getIgnoredUsers() is empty and bob's next messages arrive again", async () => {
    const { bob, carol, room, a } = await cast('k2');
    await a.setIgnoredUsers([bob.userId, carol.userId]);
    assert.deepEqual([...a.getIgnoredUsers()].sort(), [bob.userId, carol.userId].sort());
    await a.setIgnoredUsers([carol.userId]);
    assert.deepEqual(a.getIgnoredUsers(), [carol.userId]);

    const rec = record(a, room);
    const back = heard(a, room, 'k2 bob back');
    await send(carol, room, 'k2 carol ignored');
    await send(bob, room, 'k2 bob back');
    await back;
    rec.stop();
    assert.deepEqual(messageBodies(rec.events), ['k2 bob back'], 'bob is heard again; carol, still ignored, is not');
    await a.setIgnoredUsers([]);
    assert.deepEqual(a.getIgnoredUsers(), []);
  });

  test('K3 matrix-js-sdk: an invite from an ignored user never reaches the client; one from anyone else does', async () => {
    const [alice, dave, frank] = await Promise.all([http.register('k3_alice'), http.register('k3_dave'), http.register('k3_frank')]);
    const a = await sdkClient(alice);
    await a.setIgnoredUsers([dave.userId]);
    const daveRoom = await createRoom(dave, { name: 'From dave' });
    await invite(dave, daveRoom, alice.userId);
    const frankRoom = await createRoom(frank, { name: 'From frank' });
    await invite(frank, frankRoom, alice.userId);
    await until(() => a.getRoom(frankRoom)?.getMyMembership() === 'invite', "frank's invite to reach the SDK");
    assert.equal(a.getRoom(daveRoom), null, "dave's invite never reached the SDK");
  });

  test("K4 matrix-js-sdk (MSC4406): fetching an ignored user's event by id fails with M_SENDER_IGNORED naming the sender, on /event, /context and /relations", async () => {
    const { bob, carol, room, a } = await cast('k4');
    const bobEvent = await send(bob, room, 'k4 bob says');
    const carolEvent = await send(carol, room, 'k4 carol says');
    await heard(a, room, 'k4 carol says');
    await a.setIgnoredUsers([bob.userId]);

    const failure = async (what: string, p: Promise<unknown>) => {
      const err = (await p.then(
        () => assert.fail(`${what} should fail`),
        (e: unknown) => e,
      )) as { errcode?: string; httpStatus?: number; data?: Record<string, unknown> };
      assert.equal(err.httpStatus, 404, what);
      assert.equal(err.errcode, 'M_SENDER_IGNORED', what);
      assert.equal(err.data?.['sender'], bob.userId, `${what}: the error names the ignored sender`);
    };
    await failure('fetchRoomEvent', a.fetchRoomEvent(room, bobEvent));
    await failure('/context', a.http.authedRequest(sdk.Method.Get, `/rooms/${enc(room)}/context/${enc(bobEvent)}`));
    await failure('/relations', a.fetchRelations(room, bobEvent, null));
    const shown = await a.fetchRoomEvent(room, carolEvent);
    assert.equal(shown['sender'], carol.userId, "carol's event is served (control)");
    await a.setIgnoredUsers([]);
    assert.equal((await a.fetchRoomEvent(room, bobEvent))['sender'], bob.userId, 'served again after un-ignoring');
  });

  test('TD8 matrix-js-sdk: to-device events from an ignored user never reach the client; others do', async () => {
    const [alice, bob, carol] = await Promise.all([http.register('td8_alice'), http.register('td8_bob'), http.register('td8_carol')]);
    const a = await sdkClient(alice);
    const seen: ToDevice[] = [];
    a.on(sdk.ClientEvent.ToDeviceEvent, ((ev: ToDevice) => seen.push(ev)) as never);

    const first = until(() => seen.some((e) => e.getContent()['n'] === 'carol 1'), "carol's first message");
    await sendToDevice(carol, alice, 'carol 1');
    await first;

    await a.setIgnoredUsers([bob.userId]);
    const last = until(() => seen.some((e) => e.getContent()['n'] === 'carol 2'), "carol's second message");
    await sendToDevice(bob, alice, 'bob 1');
    await sendToDevice(carol, alice, 'carol 2');
    await last;
    assert.deepEqual(
      seen.filter((e) => e.getType() === 'org.example.ping').map((e) => `${e.getSender()} ${String(e.getContent()['n'])}`),
      [`${carol.userId} carol 1`, `${carol.userId} carol 2`],
      "bob's message never reached the SDK",
    );
  });
});
