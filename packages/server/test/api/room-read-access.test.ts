// In-process tests of who may read a room through /messages, /context and /event, what an outsider
// is told (the same 403 whether the room exists or not), the state /context serves to users who
// left or were only invited, and the `end` token of /messages (decision 0016, issue 17).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSuiteApp, type Res, type Session, type TestApp } from '../helpers.ts';
import { roomSteps, type RoomSteps } from '../room-helpers.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

let t: TestApp;
let r: RoomSteps;
let alice: Session;
let bob: Session;
let carol: Session;
let dave: Session;

before(async () => {
  t = await createSuiteApp();
  r = roomSteps(t);
  alice = await t.register('alice');
  bob = await t.register('bob');
  carol = await t.register('carol');
  dave = await t.register('dave');
});
after(() => t.close());

interface Ev {
  event_id: string;
  type: string;
  state_key?: string;
  sender: string;
  content: Record<string, unknown>;
}

const ids = (evs: readonly Ev[]) => evs.map((e) => e.event_id);
const messages = (s: Session, roomId: string, q = 'dir=b&limit=100') => t.req('GET', `${V3}/rooms/${enc(roomId)}/messages?${q}`, { token: s.token });
const context = (s: Session, roomId: string, eventId: string, q = 'limit=10') => t.req('GET', `${V3}/rooms/${enc(roomId)}/context/${enc(eventId)}?${q}`, { token: s.token });
const ok = (res: Res, what: string) => assert.equal(res.status, 200, `${what}: ${res.status} ${res.text}`);

/** The outsider's answer: 403 M_FORBIDDEN, compared as a whole between rooms. */
function outsiderAnswer(res: Res): { status: number; body: unknown } {
  return { status: res.status, body: res.json };
}

describe('outsiders see nothing', () => {
  test('/messages of a private room never joined is 403 M_FORBIDDEN, the same answer as for a room that does not exist', async () => {
    const secret = await r.createRoom(alice, { preset: 'private_chat', name: 'secret' });
    await r.send(alice, secret, 'private talk');
    const open = await r.createRoom(alice, { preset: 'public_chat' });
    const missing = `!doesnotexist:${t.serverName}`;
    const answers = [await messages(carol, secret), await messages(carol, open), await messages(carol, missing), await messages(carol, secret, 'dir=f')];
    for (const a of answers) {
      assert.equal(a.status, 403, a.text);
      assert.equal(a.json.errcode, 'M_FORBIDDEN');
    }
    const [first, ...rest] = answers.map(outsiderAnswer);
    for (const a of rest) assert.deepEqual(a, first, 'one answer whether the room exists or not');
  });

  test('/context and /event of a room never joined are the same 403 as for a room that does not exist', async () => {
    const secret = await r.createRoom(alice, { preset: 'private_chat' });
    const msg = await r.send(alice, secret, 'private talk');
    const missing = `!doesnotexist:${t.serverName}`;
    const answers = [
      await context(carol, secret, msg),
      await context(carol, secret, '$nosuchevent'),
      await context(carol, missing, msg),
      await context(carol, missing, '$nosuchevent'),
      await t.req('GET', `${V3}/rooms/${enc(secret)}/event/${enc(msg)}`, { token: carol.token }),
      await t.req('GET', `${V3}/rooms/${enc(missing)}/event/${enc(msg)}`, { token: carol.token }),
    ];
    for (const a of answers) {
      assert.equal(a.status, 403, a.text);
      assert.equal(a.json.errcode, 'M_FORBIDDEN');
    }
    const [first, ...rest] = answers.map(outsiderAnswer);
    for (const a of rest) assert.deepEqual(a, first, 'one answer whether the room or the event exists or not');
  });

  test('a world_readable room is readable by anyone (/messages, /context); a former member keeps the history up to the leave', async () => {
    const world = await r.createRoom(alice, { preset: 'public_chat', initial_state: [{ type: 'm.room.history_visibility', content: { history_visibility: 'world_readable' } }] });
    const hello = await r.send(alice, world, 'hello world');
    const page = await messages(carol, world);
    ok(page, 'world_readable /messages');
    assert.ok(ids(page.json.chunk).includes(hello));
    const ctx = await context(carol, world, hello);
    ok(ctx, 'world_readable /context');
    assert.equal(ctx.json.event.event_id, hello);

    const room = await r.createRoom(alice, { preset: 'public_chat' });
    await r.join(bob, room);
    const seen = await r.send(alice, room, 'while bob is here');
    await r.leave(bob, room);
    const unseen = await r.send(alice, room, 'after bob left');
    const left = await messages(bob, room);
    ok(left, 'former member /messages');
    assert.ok(ids(left.json.chunk).includes(seen));
    assert.ok(!ids(left.json.chunk).includes(unseen));
    ok(await context(bob, room, seen), 'former member /context');
  });

  test('an invitee may page the room: only what history visibility shows (their own invite in a shared room)', async () => {
    const room = await r.createRoom(alice, { preset: 'private_chat' });
    await r.send(alice, room, 'before the invite');
    await r.invite(alice, room, dave.userId);
    const page = await messages(dave, room);
    ok(page, 'invitee /messages');
    assert.deepEqual(
      page.json.chunk.map((e: Ev) => [e.type, e.state_key]),
      [['m.room.member', dave.userId]],
      'nothing but the invite',
    );
  });
});

describe('/context state is what the requester may see', () => {
  test('a user who left and was later banned gets the state at the leave through /context of the ban, and nothing after the leave', async () => {
    const room = await r.createRoom(alice, { preset: 'public_chat', name: 'ctx room' });
    await r.setState(alice, room, 'm.room.topic', { topic: 'old topic' });
    await r.join(bob, room);
    const seen = await r.send(alice, room, 'while bob is here');
    await r.leave(bob, room);
    const hiddenMsg = await r.send(alice, room, 'after bob left');
    await r.setState(alice, room, 'm.room.topic', { topic: 'new topic' });
    await r.join(carol, room);
    const ban = await t.req('POST', `${V3}/rooms/${enc(room)}/ban`, { token: alice.token, body: { user_id: bob.userId, reason: 'later' } });
    ok(ban, 'ban');
    const afterBan = await r.send(alice, room, 'after the ban');
    const banEvent = (await messages(alice, room, 'dir=b&limit=5')).json.chunk.find((e: Ev) => e.type === 'm.room.member' && e.state_key === bob.userId && e.content['membership'] === 'ban') as Ev;
    assert.ok(banEvent, 'the ban event');

    const ctx = await context(bob, room, banEvent.event_id, 'limit=20');
    ok(ctx, '/context of the ban');
    const state = ctx.json.state as Ev[];
    const topic = state.find((e) => e.type === 'm.room.topic');
    assert.equal(topic?.content['topic'], 'old topic', 'the topic as it was at the leave');
    assert.ok(!state.some((e) => e.type === 'm.room.member' && e.state_key === carol.userId), 'no member who joined after the leave');
    const bobState = state.find((e) => e.type === 'm.room.member' && e.state_key === bob.userId);
    assert.equal(bobState?.content['membership'], 'leave', "bob's membership as of the leave");
    const around = [...ids(ctx.json.events_before), ...ids(ctx.json.events_after)];
    assert.ok(around.includes(seen), 'history up to the leave');
    for (const id of [hiddenMsg, afterBan]) assert.ok(!around.includes(id), 'nothing sent after the leave');
    assert.ok(!(ctx.json.events_after as Ev[]).some((e) => e.sender !== bob.userId && e.state_key !== bob.userId), 'events_after holds only his own membership changes');

    // /state follows the same bound (it was 403 for a user who left and was then banned).
    const st = await t.req('GET', `${V3}/rooms/${enc(room)}/state`, { token: bob.token });
    ok(st, '/state after leave and ban');
    assert.equal((st.json as Ev[]).find((e) => e.type === 'm.room.topic')?.content['topic'], 'old topic');
  });

  test('an invitee gets no member list and no power levels through /context of the invite', async () => {
    const room = await r.createRoom(alice, { preset: 'private_chat', name: 'invite room' });
    await r.invite(alice, room, bob.userId);
    await r.join(bob, room);
    await r.invite(alice, room, dave.userId);
    const invite = (await messages(dave, room)).json.chunk[0] as Ev;
    assert.equal(invite.state_key, dave.userId);
    const ctx = await context(dave, room, invite.event_id);
    ok(ctx, 'invitee /context of the invite');
    const state = ctx.json.state as Ev[];
    assert.ok(!state.some((e) => e.type === 'm.room.power_levels'), 'no power levels');
    assert.deepEqual(
      state.filter((e) => e.type === 'm.room.member').map((e) => e.state_key),
      [dave.userId],
      'no other member events',
    );
  });

  test('lazy-loaded members on /messages stop at the leave too', async () => {
    const room = await r.createRoom(alice, { preset: 'public_chat' });
    await r.join(bob, room);
    await r.send(alice, room, 'hi bob');
    await r.leave(bob, room);
    await r.setState(alice, room, 'm.room.member', { membership: 'join', displayname: 'Renamed Alice' }, alice.userId);
    const filter = enc(JSON.stringify({ lazy_load_members: true }));
    const page = await messages(bob, room, `dir=b&limit=50&filter=${filter}`);
    ok(page, 'lazy /messages');
    const aliceMember = (page.json.state as Ev[]).find((e) => e.state_key === alice.userId);
    assert.ok(aliceMember, "alice's member event");
    assert.notEqual(aliceMember.content['displayname'], 'Renamed Alice', 'not the rename after bob left');
  });
});

describe('/messages end token', () => {
  test('every page with events has an end, in both directions; the page after the last is empty without one', async () => {
    const room = await r.createRoom(alice);
    for (let i = 0; i < 5; i++) await r.send(alice, room, `e${i}`);
    for (const dir of ['b', 'f'] as const) {
      const seen: string[] = [];
      let from: string | undefined;
      let pages = 0;
      for (;;) {
        assert.ok(++pages < 50, 'pagination stops');
        const res = await messages(alice, room, `dir=${dir}&limit=4${from ? `&from=${enc(from)}` : ''}`);
        ok(res, `dir=${dir}`);
        const chunk = res.json.chunk as Ev[];
        if (chunk.length === 0) {
          assert.equal(res.json.end, undefined, `dir=${dir}: an empty chunk has no end`);
          break;
        }
        assert.equal(typeof res.json.end, 'string', `dir=${dir}: a page with events has an end`);
        seen.push(...ids(chunk));
        from = res.json.end;
      }
      assert.ok(seen.length >= 6, `dir=${dir}: the create event, the room's state and 5 messages`);
      assert.equal(new Set(seen).size, seen.length, `dir=${dir}: nothing twice`);
      const types = (await messages(alice, room, 'dir=f&limit=1000')).json.chunk.map((e: Ev) => e.event_id);
      assert.deepEqual(dir === 'b' ? [...seen].reverse() : seen, types, `dir=${dir}: every event, in order`);
    }
  });

  test('dir=f at the current end: the end token picks up what is sent later', async () => {
    const room = await r.createRoom(alice);
    const last = await r.send(alice, room, 'now');
    const page = await messages(alice, room, 'dir=f&limit=1000');
    ok(page, 'dir=f');
    assert.equal(page.json.chunk.at(-1).event_id, last);
    assert.equal(typeof page.json.end, 'string', 'the last page forwards has an end');
    const later = await r.send(alice, room, 'later');
    const next = await messages(alice, room, `dir=f&limit=10&from=${enc(page.json.end)}`);
    ok(next, 'dir=f from end');
    assert.deepEqual(ids(next.json.chunk), [later]);
  });
});
