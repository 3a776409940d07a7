// matrix-js-sdk, a real client, against a real `hush serve`: PREPARED, rooms, invites, messages,
// state changes seen by others, back-pagination, and long-poll wake-up.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { client, startHush, type HushProcess } from '../support/server.ts';
import { sdk, startedClient, waitFor, type MatrixClient } from './support/sdk.ts';

let hush: HushProcess;
let a: MatrixClient;
let b: MatrixClient;

before(async () => {
  hush = await startHush();
  const http = client(hush.baseUrl);
  const alice = await http.register('alice');
  const bob = await http.register('bob');
  a = await startedClient(hush.baseUrl, alice);
  b = await startedClient(hush.baseUrl, bob);
});

after(async () => {
  a?.stopClient();
  b?.stopClient();
  await hush?.stop();
});

function waitForTimeline(c: MatrixClient, roomId: string, match: (ev: { getType(): string; getContent(): Record<string, unknown> }) => boolean, what: string) {
  return waitFor<void>((done) => {
    const onEvent = (ev: Parameters<typeof match>[0], room: { roomId: string } | undefined) => {
      if (room?.roomId === roomId && match(ev)) done();
    };
    c.on(sdk.RoomEvent.Timeline, onEvent as never);
    return () => c.off(sdk.RoomEvent.Timeline, onEvent as never);
  }, 10_000, what);
}

test('both clients reach PREPARED', () => {
  assert.equal(a.getSyncState(), 'SYNCING');
  assert.equal(b.getSyncState(), 'SYNCING');
});

test('create, invite, join, talk; the other side sees the messages and the name change', async () => {
  const { room_id: roomId } = await a.createRoom({ name: 'Garden', preset: sdk.Preset.PrivateChat });
  const invited = waitFor<void>((done) => {
    const onMember = (_e: unknown, member: { userId: string; membership?: string; roomId: string }) => {
      if (member.userId === b.getUserId() && member.membership === 'invite' && member.roomId === roomId) done();
    };
    b.on(sdk.RoomMemberEvent.Membership, onMember as never);
    return () => b.off(sdk.RoomMemberEvent.Membership, onMember as never);
  }, 10_000, 'the invite to reach bob');
  await a.invite(roomId, b.getUserId()!);
  await invited;
  await b.joinRoom(roomId);

  const heard = waitForTimeline(b, roomId, (ev) => ev.getType() === 'm.room.message' && ev.getContent()['body'] === 'hello bob', 'bob to hear alice');
  await a.sendTextMessage(roomId, 'hello bob');
  await heard;

  const renamed = waitForTimeline(a, roomId, (ev) => ev.getType() === 'm.room.name' && ev.getContent()['name'] === 'Orchard', 'alice to see the rename');
  // Bob has power 0 in a private chat; alice renames, bob sees it too.
  await a.setRoomName(roomId, 'Orchard');
  await renamed;
  await waitFor<void>((done) => {
    const check = () => {
      if (b.getRoom(roomId)?.name === 'Orchard') done();
    };
    const t = setInterval(check, 50);
    check();
    return () => clearInterval(t);
  }, 10_000, 'bob to see the new room name');
});

test('back-pagination through /messages returns earlier history', async () => {
  const { room_id: roomId } = await a.createRoom({ preset: sdk.Preset.PublicChat });
  for (let i = 0; i < 40; i++) await a.sendTextMessage(roomId, `history ${i}`);
  await b.joinRoom(roomId);
  const room = await waitFor<NonNullable<ReturnType<MatrixClient['getRoom']>>>((done) => {
    const t = setInterval(() => {
      const r = b.getRoom(roomId);
      if (r && r.getMyMembership() === 'join') done(r);
    }, 50);
    return () => clearInterval(t);
  }, 10_000, 'bob to have the room');
  const timeline = room.getLiveTimeline();
  for (let i = 0; i < 10 && (await b.paginateEventTimeline(timeline, { backwards: true, limit: 20 })); i++);
  const bodies = timeline.getEvents().filter((e) => e.getType() === 'm.room.message').map((e) => e.getContent()['body']);
  assert.ok(bodies.includes('history 0'), 'the oldest message was reached by back-pagination');
  assert.ok(bodies.includes('history 39'));
  assert.equal(new Set(bodies).size, bodies.length, 'no duplicates');
});

test('a send wakes the other side long-poll promptly', async () => {
  const { room_id: roomId } = await a.createRoom({ preset: sdk.Preset.PublicChat });
  await b.joinRoom(roomId);
  await new Promise((r) => setTimeout(r, 200));
  const heard = waitForTimeline(a, roomId, (ev) => ev.getContent()['body'] === 'ping', 'alice to hear ping');
  const t0 = Date.now();
  await b.sendTextMessage(roomId, 'ping');
  await heard;
  // Not a timing assertion of speed, only that it came through the waiting sync, well within its 30 s timeout.
  assert.ok(Date.now() - t0 < 10_000);
});
