// Push delivery against a real `hush serve` and a push gateway this test runs on loopback
// (cells PU1–PU4 of docs/ignore-semantics.md): a message is pushed with the spec's body; an ignored
// sender's message and invite are not, and un-ignoring pushes no backlog; a gateway that fails
// twice gets the notification once, and a restart in between loses nothing; a rejected pushkey
// loses its pusher. Loopback gateways need outbound_allow_private, set here in a config file.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client, startHush, type ClientSession, type HushProcess } from '../support/server.ts';
import { steps, V3 } from './support/steps.ts';
import { startPushGateway, type PushGateway } from './support/push-gateway.ts';

let dir: string;
let hush: HushProcess;
let gw: PushGateway;
let w: ReturnType<typeof steps>;

async function start(): Promise<void> {
  hush = await startHush({ database: join(dir, 'hush.sqlite'), args: ['--config', join(dir, 'hush.yaml')] });
  w = steps(client(hush.baseUrl));
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hush-push-'));
  writeFileSync(join(dir, 'hush.yaml'), 'outbound_allow_private: on\n');
  gw = await startPushGateway();
  await start();
});
after(async () => {
  await hush?.stop();
  await gw?.close();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function addPusher(s: ClientSession, pushkey: string, data: Record<string, unknown> = {}): Promise<void> {
  const r = await w.http.request('POST', `${V3}/pushers/set`, {
    token: s.token,
    body: { pushkey, kind: 'http', app_id: 'org.example.push', app_display_name: 'Push test', device_display_name: 'Phone', lang: 'en', data: { url: gw.url, custom: 'kept', ...data } },
  });
  assert.equal(r.status, 200, r.text);
}

describe('PU — push', () => {
  test('PU1 push: a message is pushed to the gateway with the spec body (event, counts, devices with pushkey/app_id/data minus url, prio)', async () => {
    const { alice, bob, room } = await w.trio('pu1');
    await addPusher(alice, 'pu1-key');
    const ev = await w.send(bob, room, 'pu1 hello');
    const got = await gw.waitFor(ev);
    assert.ok(got, 'the gateway received it');
    const n = got.notification;
    assert.equal(n.event_id, ev);
    assert.equal(n.room_id, room);
    assert.equal(n.type, 'm.room.message');
    assert.equal(n.sender, bob.userId);
    assert.equal(n.content.body, 'pu1 hello');
    assert.equal(n.counts.unread, 1);
    assert.equal(n.prio, 'low', 'a group-room message without sound or highlight');
    assert.deepEqual(n.devices.map((d: { app_id: string; pushkey: string; data: unknown }) => [d.app_id, d.pushkey, d.data]), [['org.example.push', 'pu1-key', { custom: 'kept' }]]);
    assert.equal(typeof n.devices[0].pushkey_ts, 'number');
    assert.equal(gw.received.filter((r) => r.notification?.event_id === ev).length, 1, 'once');
  });

  test("PU2 push: an ignored sender's message and invite are never pushed; un-ignoring pushes no backlog", async () => {
    const { alice, bob, carol, room } = await w.trio('pu2');
    await addPusher(alice, 'pu2-key');
    await w.ignore(alice, [bob.userId]);
    const fromBob = await w.send(bob, room, 'pu2 from bob');
    const other = await w.createRoom(bob, {});
    await w.invite(bob, other, alice.userId);
    const fromCarol = await w.send(carol, room, 'pu2 from carol');
    assert.ok(await gw.waitFor(fromCarol), "carol's message is pushed");
    await w.ignore(alice, []);
    await sleep(1500);
    const mine = gw.received.filter((r) => r.notification?.devices?.[0]?.pushkey === 'pu2-key');
    assert.deepEqual(
      mine.map((r) => r.notification.event_id),
      [fromCarol],
      `nothing from bob (message ${fromBob}, invite to ${other}), before or after un-ignoring`,
    );
    const later = await w.send(bob, room, 'pu2 bob after un-ignoring');
    assert.ok(await gw.waitFor(later), 'new messages from bob are pushed again');
  });

  test('PU3 push: a gateway that fails twice gets the notification once; a restart in between loses nothing', async () => {
    const { alice, bob, room } = await w.trio('pu3');
    await addPusher(alice, 'pu3-key', { format: 'event_id_only' });
    gw.failNext = 2;
    const ev = await w.send(bob, room, 'pu3 persistent');
    const deadline = Date.now() + 15_000;
    while (gw.received.filter((r) => r.notification?.event_id === ev).length < 2 && Date.now() < deadline) await sleep(50);
    assert.equal(gw.received.filter((r) => r.notification?.event_id === ev && r.status === 500).length, 2, 'two failed attempts');
    await sleep(200);
    await hush.stop();
    await start();
    const got = await gw.waitFor(ev, 20_000);
    assert.ok(got, 'delivered after the restart');
    assert.deepEqual(Object.keys(got.notification).sort(), ['counts', 'devices', 'event_id', 'prio', 'room_id'], 'event_id_only: no event fields');
    await sleep(500);
    assert.equal(gw.received.filter((r) => r.notification?.event_id === ev && r.status === 200).length, 1, 'delivered once');
  });

  test('PU4 push: a pushkey the gateway rejects loses its pusher', async () => {
    const { alice, bob, room } = await w.trio('pu4');
    await addPusher(alice, 'pu4-key');
    gw.reject.add('pu4-key');
    const ev = await w.send(bob, room, 'pu4 rejected');
    assert.ok(await gw.waitFor(ev));
    await sleep(300);
    const list = await w.get(alice, `${V3}/pushers`);
    assert.deepEqual(list.json.pushers, [], 'the pusher is gone');
  });
});
