// The ignore contract (docs/ignore-semantics.md), one test per cell, over plain HTTP against a
// real `hush serve` ("Ignoring Users" module). Test names start with the cell id of the table.
// One server for the file, a second one with `--ignored-user-invites reject` for the I3/I4 cells.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { client, startHush, type ClientSession, type HttpResult, type HushProcess } from '../support/server.ts';
import { bodies, enc, isState, joined, LIST, stateOf, steps, timelineOf, V1, V3, type Json } from './support/steps.ts';

/** No non-state event of `events` comes from `userId`. */
function assertNoneFrom(events: Json[], userId: string, where: string): void {
  const leaked = events.filter((e) => e.sender === userId && !isState(e));
  assert.deepEqual(
    leaked.map((e) => `${e.type} ${e.content?.body ?? ''}`),
    [],
    `${where}: non-state events from the ignored ${userId} were served`,
  );
}

function assertMatrixError(r: HttpResult, status: number, errcode: string): void {
  assert.equal(r.status, status, `expected ${status} ${errcode}, got ${r.status} ${r.text}`);
  assert.equal(r.json?.errcode, errcode, r.text);
  assert.equal(typeof r.json?.error, 'string', r.text);
}

function assertSenderIgnored(r: HttpResult, sender: string): void {
  assertMatrixError(r, 404, 'M_SENDER_IGNORED');
  assert.equal(r.json.sender, sender, 'the 404 names the ignored sender');
}

const threadSummary = (ev: Json): Json => ev?.unsigned?.['m.relations']?.['m.thread'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------

let hush: HushProcess;
let w: ReturnType<typeof steps>;

before(async () => {
  hush = await startHush();
  w = steps(client(hush.baseUrl));
});
after(() => hush?.stop());

describe('A — writing m.ignored_user_list (validated when written)', () => {
  const listPath = (s: ClientSession) => `${V3}/user/${enc(s.userId)}/account_data/${LIST}`;
  const put = (s: ClientSession, body: unknown, as: ClientSession = s) => w.http.request('PUT', listPath(s), { token: as.token, body });

  const malformed: unknown[] = [
    {},
    { ignored_users: [] },
    { ignored_users: ['@a1_bob:localhost'] },
    { ignored_users: 'x' },
    { ignored_users: null },
    { ignored_users: 7 },
    { ignored_users: { 'not-a-user-id': {} } },
    { ignored_users: { 'a1_bob:localhost': {} } },
    { ignored_users: { '@a1_bob': {} } },
    { ignored_users: { '!room:localhost': {} } },
    { ignored_users: { '@a1_bob:localhost': true } },
    { ignored_users: { '@a1_bob:localhost': [] } },
    { ignored_users: { '@a1_bob:localhost': null } },
    { ignored_users: { '@a1_bob:localhost': 'yes' } },
    { ignored_users: { '@a1_carol:localhost': {}, 'bad id': {} } },
  ];

  test('A1 account data: a malformed list is 400 M_BAD_JSON and nothing is stored', async () => {
    const alice = await w.user('a1_alice');
    for (const body of malformed) {
      assertMatrixError(await put(alice, body), 400, 'M_BAD_JSON');
      assertMatrixError(await w.get(alice, listPath(alice)), 404, 'M_NOT_FOUND');
    }
    const good = { ignored_users: { '@a1_carol:localhost': {} } };
    assert.equal((await put(alice, good)).status, 200);
    for (const body of malformed) {
      assertMatrixError(await put(alice, body), 400, 'M_BAD_JSON');
      const r = await w.get(alice, listPath(alice));
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, good, `after ${JSON.stringify(body)}: GET returns the previous content`);
    }
    const s = await w.sync(alice);
    const lists = s.account_data.events.filter((e: Json) => e.type === LIST);
    assert.deepEqual(lists.map((e: Json) => e.content), [good], '/sync carries only the last valid list');
  });

  test('A2 account data: ignoring yourself is 400 M_INVALID_PARAM and nothing is stored', async () => {
    const alice = await w.user('a2_alice');
    assertMatrixError(await put(alice, { ignored_users: { [alice.userId]: {} } }), 400, 'M_INVALID_PARAM');
    assertMatrixError(await put(alice, { ignored_users: { '@a2_other:localhost': {}, [alice.userId]: {} } }), 400, 'M_INVALID_PARAM');
    assertMatrixError(await w.get(alice, listPath(alice)), 404, 'M_NOT_FOUND');
  });

  test('A3 account data: GET of a list never written is 404 M_NOT_FOUND', async () => {
    const alice = await w.user('a3_alice');
    assertMatrixError(await w.get(alice, listPath(alice)), 404, 'M_NOT_FOUND');
    const s = await w.sync(alice);
    assert.equal(s.account_data.events.filter((e: Json) => e.type === LIST).length, 0);
  });

  test('A4 account data: a list of 10,000 users is accepted, and hides the one of them who talks', async () => {
    const { alice, bob, carol, room } = await w.trio('a4');
    const ignored_users: Record<string, Record<string, never>> = {};
    for (let i = 0; i < 9_999; i++) ignored_users[`@a4_ghost_${i}:example.org`] = {};
    ignored_users[bob.userId] = {};
    const r = await put(alice, { ignored_users });
    assert.equal(r.status, 200, r.text);
    const got = await w.get(alice, listPath(alice));
    assert.equal(got.status, 200);
    assert.equal(Object.keys(got.json.ignored_users).length, 10_000);
    assert.ok(bob.userId in got.json.ignored_users);

    await w.send(bob, room, 'a4 from bob');
    await w.send(carol, room, 'a4 from carol');
    const s = await w.sync(alice);
    assertNoneFrom(timelineOf(s, room), bob.userId, '/sync');
    assert.ok(bodies(timelineOf(s, room)).includes('a4 from carol'));
    const m = await w.get(alice, `${V3}/rooms/${enc(room)}/messages?dir=b&limit=50`);
    assertNoneFrom(m.json.chunk, bob.userId, '/messages');
    assert.ok(bodies(m.json.chunk).includes('a4 from carol'));
  });

  test("A5 account data: another user's list is 403 M_FORBIDDEN to read and to write", async () => {
    const [alice, bob] = await Promise.all([w.user('a5_alice'), w.user('a5_bob')]);
    const list = { ignored_users: { '@a5_someone:localhost': {} } };
    assert.equal((await put(alice, list)).status, 200);
    assertMatrixError(await w.get(bob, listPath(alice)), 403, 'M_FORBIDDEN');
    assertMatrixError(await put(alice, { ignored_users: {} }, bob), 403, 'M_FORBIDDEN');
    assert.deepEqual((await w.get(alice, listPath(alice))).json, list, 'the refused write changed nothing');
  });
});

describe('S — /sync timeline and state', () => {
  test("S1 /sync initial timeline: bob's messages hidden, refilled to the limit (carol's 5 behind bob's 20), limited right", async () => {
    const { alice, bob, carol, room } = await w.trio('s1');
    for (let i = 1; i <= 5; i++) await w.send(carol, room, `s1 carol ${i}`);
    for (let i = 1; i <= 20; i++) await w.send(bob, room, `s1 bob ${i}`);
    await w.ignore(alice, [bob.userId]);

    const s = await w.sync(alice, { filter: { room: { timeline: { limit: 5 } } } });
    const tl = timelineOf(s, room);
    assertNoneFrom(tl, bob.userId, 'initial /sync');
    assert.deepEqual(bodies(tl), ['s1 carol 1', 's1 carol 2', 's1 carol 3', 's1 carol 4', 's1 carol 5'], 'the timeline is refilled, not short');
    assert.equal(tl.length, 5);
    assert.equal(joined(s, room).timeline.limited, true, 'older events (the room setup) were left out by the limit');

    // Only messages, limit 6: the five visible ones are all there are, so nothing was cut.
    const only = await w.sync(alice, { filter: { room: { timeline: { limit: 6, types: ['m.room.message'] } } } });
    assert.deepEqual(bodies(timelineOf(only, room)), ['s1 carol 1', 's1 carol 2', 's1 carol 3', 's1 carol 4', 's1 carol 5']);
    assert.equal(joined(only, room).timeline.limited, false, 'every visible event fit: not limited');
  });

  test("S2 /sync initial timeline: an ignored user's state event (room name) is served", async () => {
    const { alice, bob, room } = await w.trio('s2');
    await w.ignore(alice, [bob.userId]);
    const nameId = await w.setState(bob, room, 'm.room.name', { name: 'Named by bob' });
    await w.send(bob, room, 's2 bob talks');

    const s = await w.sync(alice, { filter: { room: { timeline: { limit: 10 } } } });
    const tl = timelineOf(s, room);
    assertNoneFrom(tl, bob.userId, 'initial /sync');
    const name = tl.find((e) => e.event_id === nameId);
    assert.ok(name, 'the m.room.name event from the ignored bob is in the timeline');
    assert.equal(name.sender, bob.userId);
    assert.deepEqual(name.content, { name: 'Named by bob' });
  });

  test("S3 /sync incremental timeline: bob's messages hidden, refilled to the limit, limited only when visible events were cut", async () => {
    const { alice, bob, carol, room } = await w.trio('s3');
    await w.ignore(alice, [bob.userId]);
    const t = (await w.sync(alice)).next_batch;
    for (let i = 1; i <= 5; i++) await w.send(carol, room, `s3 carol ${i}`);
    for (let i = 1; i <= 20; i++) await w.send(bob, room, `s3 bob ${i}`);

    const s3 = await w.sync(alice, { since: t, filter: { room: { timeline: { limit: 3 } } } });
    assertNoneFrom(timelineOf(s3, room), bob.userId, 'incremental /sync (limit 3)');
    assert.deepEqual(bodies(timelineOf(s3, room)), ['s3 carol 3', 's3 carol 4', 's3 carol 5'], 'refilled to 3, the newest visible');
    assert.equal(joined(s3, room).timeline.limited, true, 'two visible events were cut by the limit');

    const s5 = await w.sync(alice, { since: t, filter: { room: { timeline: { limit: 5 } } } });
    const tl = timelineOf(s5, room);
    assertNoneFrom(tl, bob.userId, 'incremental /sync (limit 5)');
    assert.deepEqual(bodies(tl), ['s3 carol 1', 's3 carol 2', 's3 carol 3', 's3 carol 4', 's3 carol 5'], 'refilled to 5, not short');
    assert.equal(tl.length, 5);
    assert.equal(
      joined(s5, room).timeline.limited,
      false,
      'all 5 visible events since the token were returned: the hidden ones are not a gap, so the timeline is not limited',
    );
  });

  test("S4 /sync incremental timeline: an ignored user's state change (topic) arrives, his message does not", async () => {
    const { alice, bob, room } = await w.trio('s4');
    await w.ignore(alice, [bob.userId]);
    const t = (await w.sync(alice)).next_batch;
    const topicId = await w.setState(bob, room, 'm.room.topic', { topic: 'Topic by bob' });
    await w.send(bob, room, 's4 bob talks');

    const s = await w.sync(alice, { since: t });
    const tl = timelineOf(s, room);
    assertNoneFrom(tl, bob.userId, 'incremental /sync');
    const topic = tl.find((e) => e.event_id === topicId);
    assert.ok(topic, 'the m.room.topic event from the ignored bob is in the incremental timeline');
    assert.deepEqual(topic.content, { topic: 'Topic by bob' });
  });

  test("S5 /sync state: an ignored user's state is in `state` (initial, and incremental after a gap)", async () => {
    const { alice, bob, carol, room } = await w.trio('s5');
    await w.ignore(alice, [bob.userId]);
    const nameId = await w.setState(bob, room, 'm.room.name', { name: 'Named by bob' });
    for (let i = 1; i <= 5; i++) await w.send(carol, room, `s5 carol ${i}`);

    const initial = await w.sync(alice, { filter: { room: { timeline: { limit: 3 } } } });
    assert.ok(!timelineOf(initial, room).some((e) => e.event_id === nameId), 'the name event is before the timeline window');
    const name = stateOf(initial, room).find((e) => e.type === 'm.room.name');
    assert.ok(name, 'm.room.name is in the initial state');
    assert.equal(name.event_id, nameId);
    assert.equal(name.sender, bob.userId);

    const t = initial.next_batch;
    const topicId = await w.setState(bob, room, 'm.room.topic', { topic: 'Topic by bob' });
    for (let i = 6; i <= 10; i++) await w.send(carol, room, `s5 carol ${i}`);
    const inc = await w.sync(alice, { since: t, filter: { room: { timeline: { limit: 3 } } } });
    assert.equal(joined(inc, room).timeline.limited, true);
    assert.deepEqual(bodies(timelineOf(inc, room)), ['s5 carol 8', 's5 carol 9', 's5 carol 10']);
    const topic = stateOf(inc, room).find((e) => e.type === 'm.room.topic');
    assert.ok(topic, 'the topic bob set in the gap is in the incremental state');
    assert.equal(topic.event_id, topicId);
  });
});

describe('I — invites from ignored users', () => {
  /** erin (the invitee), dave (whom she ignores), frank (a control inviter). */
  async function inviteCast(ws: ReturnType<typeof steps>, prefix: string) {
    const [erin, dave, frank] = await Promise.all([ws.user(`${prefix}_erin`), ws.user(`${prefix}_dave`), ws.user(`${prefix}_frank`)]);
    return { erin, dave, frank };
  }
  const membershipOf = async (ws: ReturnType<typeof steps>, as: ClientSession, roomId: string, userId: string) => {
    const r = await ws.get(as, `${V3}/rooms/${enc(roomId)}/state/m.room.member/${enc(userId)}`);
    assert.equal(r.status, 200, r.text);
    return r.json.membership as string;
  };

  test('I1 rooms.invite: an invite from an ignored user is not served (incremental and initial sync)', async () => {
    const { erin, dave, frank } = await inviteCast(w, 'i1');
    await w.ignore(erin, [dave.userId]);
    const t = (await w.sync(erin)).next_batch;
    const daveRoom = await w.createRoom(dave, { name: 'From dave' });
    await w.invite(dave, daveRoom, erin.userId);
    const frankRoom = await w.createRoom(frank, { name: 'From frank' });
    await w.invite(frank, frankRoom, erin.userId);

    const inc = await w.sync(erin, { since: t });
    assert.ok(inc.rooms.invite[frankRoom], "frank's invite is served (control)");
    assert.equal(inc.rooms.invite[daveRoom], undefined, "dave's invite is not served in an incremental sync");
    const fresh = await w.sync(erin);
    assert.ok(fresh.rooms.invite[frankRoom]);
    assert.equal(fresh.rooms.invite[daveRoom], undefined, "dave's invite is not served in an initial sync");
    for (const section of ['join', 'leave'] as const) assert.equal(fresh.rooms[section]?.[daveRoom], undefined, `not in rooms.${section} either`);
  });

  test('I2 rooms.invite: the hidden invite is kept; after un-ignoring, a fresh sync shows it again', async () => {
    const { erin, dave } = await inviteCast(w, 'i2');
    await w.ignore(erin, [dave.userId]);
    const daveRoom = await w.createRoom(dave, { name: 'Kept invite' });
    await w.invite(dave, daveRoom, erin.userId);
    assert.equal((await w.sync(erin)).rooms.invite[daveRoom], undefined);
    assert.equal(await membershipOf(w, dave, daveRoom, erin.userId), 'invite', 'hidden, not rejected: dave still sees erin invited');

    await w.ignore(erin, []);
    const fresh = await w.sync(erin);
    const inv = fresh.rooms.invite[daveRoom];
    assert.ok(inv, 'a fresh sync after un-ignoring shows the kept invite');
    const member = inv.invite_state.events.find((e: Json) => e.type === 'm.room.member' && e.state_key === erin.userId);
    assert.equal(member?.content?.membership, 'invite');
    assert.equal(member?.sender, dave.userId);
    await w.join(erin, daveRoom);
  });

  describe('with --ignored-user-invites reject', () => {
    let rejecting: HushProcess;
    let wr: ReturnType<typeof steps>;
    before(async () => {
      rejecting = await startHush({ args: ['--ignored-user-invites', 'reject'] });
      wr = steps(client(rejecting.baseUrl));
    });
    after(() => rejecting?.stop());

    const leaveBy = (events: Json[], userId: string) =>
      events.find((e) => e.type === 'm.room.member' && e.state_key === userId && e.sender === userId && e.content?.membership === 'leave');

    test("I3 invites (reject): an invite from an ignored user is rejected on the user's behalf; the inviter sees it", async () => {
      const { erin, dave, frank } = await inviteCast(wr, 'i3');
      await wr.ignore(erin, [dave.userId]);
      const daveRoom = await wr.createRoom(dave, { name: 'Rejected' });
      const td = (await wr.sync(dave)).next_batch;
      const te = (await wr.sync(erin)).next_batch;
      await wr.invite(dave, daveRoom, erin.userId);
      const frankRoom = await wr.createRoom(frank, {});
      await wr.invite(frank, frankRoom, erin.userId);

      assert.equal(await membershipOf(wr, dave, daveRoom, erin.userId), 'leave', "erin's membership is leave");
      const ds = await wr.sync(dave, { since: td });
      assert.ok(leaveBy(timelineOf(ds, daveRoom), erin.userId), "dave's sync shows erin's rejection (leave sent by erin)");
      const es = await wr.sync(erin, { since: te });
      assert.equal(es.rooms.invite[daveRoom], undefined, 'erin is not shown the invite');
      assert.ok(es.rooms.invite[frankRoom], "frank's invite is still served (control)");
      assert.equal(await membershipOf(wr, frank, frankRoom, erin.userId), 'invite', "frank's invite is not rejected");
    });

    test('I4 invites (reject): ignoring someone rejects their pending invites at that moment', async () => {
      const { erin, dave, frank } = await inviteCast(wr, 'i4');
      const daveRoom = await wr.createRoom(dave, { name: 'Pending' });
      await wr.invite(dave, daveRoom, erin.userId);
      const frankRoom = await wr.createRoom(frank, {});
      await wr.invite(frank, frankRoom, erin.userId);
      assert.ok((await wr.sync(erin)).rooms.invite[daveRoom], 'before ignoring, the invite is served');
      const td = (await wr.sync(dave)).next_batch;

      await wr.ignore(erin, [dave.userId]);
      assert.equal(await membershipOf(wr, dave, daveRoom, erin.userId), 'leave', 'the pending invite was rejected');
      const ds = await wr.sync(dave, { since: td });
      assert.ok(leaveBy(timelineOf(ds, daveRoom), erin.userId), "dave's sync shows erin's rejection");
      const fresh = await wr.sync(erin);
      assert.equal(fresh.rooms.invite[daveRoom], undefined);
      assert.ok(fresh.rooms.invite[frankRoom], "frank's pending invite is untouched");
      assert.equal(await membershipOf(wr, frank, frankRoom, erin.userId), 'invite');
    });
  });
});

describe('E — ephemeral: typing and receipts', () => {
  test('E1 m.typing: an ignored user typing is not served (initial and incremental)', async () => {
    const { alice, bob, carol, room } = await w.trio('e1');
    await w.ignore(alice, [bob.userId]);
    await w.typing(bob, room, true);
    await w.typing(carol, room, true);
    const typingOf = (s: Json): string[][] =>
      (joined(s, room)?.ephemeral?.events ?? []).filter((e: Json) => e.type === 'm.typing').map((e: Json) => e.content.user_ids);

    const s = await w.sync(alice);
    assert.deepEqual(typingOf(s), [[carol.userId]], 'm.typing lists carol, not bob');

    await w.typing(carol, room, false);
    const t = s.next_batch;
    await w.typing(bob, room, false);
    await w.typing(bob, room, true);
    const inc = await w.sync(alice, { since: t });
    for (const ids of typingOf(inc)) assert.ok(!ids.includes(bob.userId), `incremental m.typing ${JSON.stringify(ids)} leaks bob`);
    await w.typing(bob, room, false);
  });

  test('E2 m.receipt: read receipts of an ignored user are not served (initial and incremental)', async () => {
    const { alice, bob, carol, room } = await w.trio('e2');
    await w.ignore(alice, [bob.userId]);
    const m1 = await w.send(alice, room, 'e2 read me');
    await w.receipt(bob, room, m1);
    await w.receipt(carol, room, m1);
    const readers = (s: Json): string[] => {
      const out: string[] = [];
      for (const e of joined(s, room)?.ephemeral?.events ?? []) {
        if (e.type !== 'm.receipt') continue;
        for (const byType of Object.values(e.content as Record<string, Record<string, Record<string, unknown>>>)) {
          for (const byUser of Object.values(byType)) out.push(...Object.keys(byUser));
        }
      }
      return out;
    };
    const s = await w.sync(alice);
    assert.ok(readers(s).includes(carol.userId), "carol's receipt is served (control)");
    assert.ok(!readers(s).includes(bob.userId), "bob's receipt is not served");

    const m2 = await w.send(alice, room, 'e2 read me too');
    const t = s.next_batch;
    await w.receipt(bob, room, m2);
    await w.receipt(carol, room, m2);
    const inc = await w.sync(alice, { since: t });
    assert.ok(readers(inc).includes(carol.userId));
    assert.ok(!readers(inc).includes(bob.userId), "bob's new receipt is not served incrementally");
  });
});

describe('U — unread_notifications', () => {
  const count = (s: Json, room: string): number | undefined => joined(s, room)?.unread_notifications?.notification_count;

  test('U1 unread_notifications: messages from an ignored user are not counted (initial and incremental)', async () => {
    const { alice, bob, carol, room } = await w.trio('u1');
    await w.ignore(alice, [bob.userId]);
    for (let i = 0; i < 3; i++) await w.send(bob, room, `u1 bob ${i}`);
    for (let i = 0; i < 2; i++) await w.send(carol, room, `u1 carol ${i}`);
    const s = await w.sync(alice);
    assert.equal(count(s, room), 2, "only carol's two messages count");

    for (let i = 0; i < 2; i++) await w.send(bob, room, `u1 bob more ${i}`);
    await w.send(carol, room, 'u1 carol more');
    const inc = await w.sync(alice, { since: s.next_batch });
    assert.equal(count(inc, room), 3);
  });

  test('U2 unread_notifications: ignoring corrects the count of earlier unread messages on the next sync', async () => {
    const { alice, bob, carol, room } = await w.trio('u2');
    for (let i = 0; i < 3; i++) await w.send(bob, room, `u2 bob ${i}`);
    for (let i = 0; i < 2; i++) await w.send(carol, room, `u2 carol ${i}`);
    const s = await w.sync(alice);
    assert.equal(count(s, room), 5, 'before ignoring, all five count');

    await w.ignore(alice, [bob.userId]);
    const inc = await w.sync(alice, { since: s.next_batch });
    assert.ok(joined(inc, room), 'the next (incremental) sync carries the room, since its count changed');
    assert.equal(count(inc, room), 2, "the next sync counts only carol's two");
    assert.equal(count(await w.sync(alice), room), 2, 'a fresh sync agrees');
  });

  test('U3 unread_notifications: un-ignoring restores the count on the next sync', async () => {
    const { alice, bob, carol, room } = await w.trio('u3');
    await w.ignore(alice, [bob.userId]);
    for (let i = 0; i < 3; i++) await w.send(bob, room, `u3 bob ${i}`);
    for (let i = 0; i < 2; i++) await w.send(carol, room, `u3 carol ${i}`);
    const s = await w.sync(alice);
    assert.equal(count(s, room), 2);

    await w.ignore(alice, []);
    const inc = await w.sync(alice, { since: s.next_batch });
    assert.ok(joined(inc, room), 'the next (incremental) sync carries the room, since its count changed');
    assert.equal(count(inc, room), 5, "bob's three unread messages count again");
    assert.equal(count(await w.sync(alice), room), 5, 'a fresh sync agrees');
  });

  test('U4 unread_notifications: an invite from an ignored user counts nowhere', async () => {
    const [erin, dave] = await Promise.all([w.user('u4_erin'), w.user('u4_dave')]);
    await w.ignore(erin, [dave.userId]);
    const room = await w.createRoom(dave, { preset: 'public_chat' });
    await w.invite(dave, room, erin.userId);
    for (let i = 0; i < 3; i++) await w.send(dave, room, `u4 dave ${i}`);
    const s = await w.sync(erin);
    for (const section of ['join', 'invite', 'leave'] as const) {
      assert.equal(s.rooms[section]?.[room], undefined, `the room is not in rooms.${section}`);
    }
    const counted = Object.values((s.rooms.join ?? {}) as Record<string, Json>).reduce((n, r) => n + (r.unread_notifications?.notification_count ?? 0), 0);
    assert.equal(counted, 0, 'no unread count anywhere');
  });
});

describe('M — /messages', () => {
  const page = async (as: ClientSession, room: string, dir: 'b' | 'f', from: string | undefined, limit: number) => {
    const q = new URLSearchParams({ dir, limit: String(limit) });
    if (from !== undefined) q.set('from', from);
    const r = await w.get(as, `${V3}/rooms/${enc(room)}/messages?${q}`);
    assert.equal(r.status, 200, r.text);
    return r.json as { chunk: Json[]; start: string; end?: string };
  };

  test('M1 /messages: pages stay full when 90% of senders are ignored (both directions)', async () => {
    const { alice, bob, carol, room } = await w.trio('m1');
    for (let i = 0; i < 200; i++) {
      if (i % 10 === 5) await w.send(carol, room, `m1 carol ${i}`);
      else await w.send(bob, room, `m1 bob ${i}`);
    }
    await w.ignore(alice, [bob.userId]);

    for (const dir of ['b', 'f'] as const) {
      const pages: Json[][] = [];
      let from: string | undefined;
      for (let n = 0; n < 100; n++) {
        const p = await page(alice, room, dir, from, 10);
        pages.push(p.chunk);
        if (p.end === undefined) break;
        from = p.end;
      }
      assert.ok(pages.length >= 3, `dir=${dir}: several pages`);
      // Every page with events carries `end` (decision 0016): the last one is empty, the one
      // before it may be short, all others are full.
      assert.equal(pages.at(-1)?.length, 0, `dir=${dir}: the page without end is empty`);
      pages.forEach((chunk, i) => {
        assertNoneFrom(chunk, bob.userId, `dir=${dir} page ${i}`);
        if (i < pages.length - 2) assert.equal(chunk.length, 10, `dir=${dir} page ${i} of ${pages.length} is full, not short or empty`);
      });
      const all = pages.flat();
      const carol20 = bodies(all).filter((b) => b.startsWith('m1 carol'));
      const expected = Array.from({ length: 20 }, (_, k) => `m1 carol ${k * 10 + 5}`);
      assert.deepEqual(carol20, dir === 'b' ? expected.reverse() : expected, `dir=${dir}: every visible message, once, in order`);
      assert.equal(new Set(all.map((e) => e.event_id)).size, all.length, `dir=${dir}: no duplicates`);
      assert.ok(all.some((e) => e.type === 'm.room.create'), `dir=${dir}: paginated to the room's start`);
    }
    const first = await page(alice, room, 'b', undefined, 10);
    assert.deepEqual(
      bodies(first.chunk),
      [195, 185, 175, 165, 155, 145, 135, 125, 115, 105].map((i) => `m1 carol ${i}`),
      'the newest page holds the 10 newest visible messages',
    );
  });

  test("M2 /messages: an ignored user's state events are served", async () => {
    const { alice, bob, carol, room } = await w.trio('m2');
    await w.ignore(alice, [bob.userId]);
    await w.send(bob, room, 'm2 bob before');
    const topicId = await w.setState(bob, room, 'm.room.topic', { topic: 'Topic by bob' });
    await w.send(bob, room, 'm2 bob after');
    await w.send(carol, room, 'm2 carol');
    const p = await page(alice, room, 'b', undefined, 50);
    assertNoneFrom(p.chunk, bob.userId, '/messages');
    const topic = p.chunk.find((e) => e.event_id === topicId);
    assert.ok(topic, "bob's m.room.topic is served");
    assert.equal(topic.sender, bob.userId);
    assert.ok(
      p.chunk.some((e) => e.type === 'm.room.member' && e.state_key === bob.userId && e.content.membership === 'join'),
      "bob's join (a state event) is served",
    );
  });
});

describe('C — /context', () => {
  let cast: Awaited<ReturnType<ReturnType<typeof steps>['trio']>>;
  const ids: Record<string, string> = {};
  before(async () => {
    cast = await w.trio('ctx');
    const { bob, carol, room } = cast;
    const bobSends = async (n: number, tag: string) => {
      for (let i = 0; i < n; i++) ids[`${tag}${i}`] = await w.send(bob, room, `ctx bob ${tag}${i}`);
    };
    ids['c1'] = await w.send(carol, room, 'c1');
    await bobSends(5, 'x');
    ids['c2'] = await w.send(carol, room, 'c2');
    await bobSends(4, 'y');
    ids['topic'] = await w.setState(bob, room, 'm.room.topic', { topic: 'Topic by bob' });
    await bobSends(1, 'z');
    ids['c3'] = await w.send(carol, room, 'c3');
    await bobSends(3, 'u');
    ids['c4'] = await w.send(carol, room, 'c4');
    await bobSends(5, 'v');
    ids['c5'] = await w.send(carol, room, 'c5');
    await w.ignore(cast.alice, [bob.userId]);
  });
  const context = (eventId: string, limit: number) => w.get(cast.alice, `${V3}/rooms/${enc(cast.room)}/context/${enc(eventId)}?limit=${limit}`);

  test("C1 /context neighbours: an ignored user's messages are skipped and the neighbours stay full", async () => {
    const r = await context(ids['c3'] as string, 6);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.event.event_id, ids['c3']);
    assertNoneFrom(r.json.events_before, cast.bob.userId, 'events_before');
    assertNoneFrom(r.json.events_after, cast.bob.userId, 'events_after');
    assert.deepEqual(
      r.json.events_before.map((e: Json) => e.event_id),
      [ids['topic'], ids['c2'], ids['c1']],
      'three before (newest first), past 10 hidden messages',
    );
    assert.deepEqual(r.json.events_after.map((e: Json) => e.event_id), [ids['c4'], ids['c5']], 'after: everything visible there is');
  });

  test("C2 /context neighbours: an ignored user's state event is served", async () => {
    const r = await context(ids['c3'] as string, 2);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.events_before.map((e: Json) => e.event_id), [ids['topic']], 'the nearest visible event before is bob\'s topic');
    assert.equal(r.json.events_before[0].sender, cast.bob.userId);
    assert.deepEqual(r.json.events_after.map((e: Json) => e.event_id), [ids['c4']]);
    assert.ok(r.json.state.some((e: Json) => e.event_id === ids['topic']), "bob's topic is in the context's state");
  });

  test('C3 /context target from an ignored sender: 404 M_SENDER_IGNORED with the sender', async () => {
    assertSenderIgnored(await context(ids['u0'] as string, 4), cast.bob.userId);
  });

  test("C4 /context target that is an ignored user's state event: served", async () => {
    const r = await context(ids['topic'] as string, 2);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.event.event_id, ids['topic']);
    assert.equal(r.json.event.sender, cast.bob.userId);
    assert.deepEqual(r.json.events_before.map((e: Json) => e.event_id), [ids['c2']]);
    assert.deepEqual(r.json.events_after.map((e: Json) => e.event_id), [ids['c3']]);
  });
});

describe('V — /rooms/{roomId}/event/{eventId}', () => {
  test('V1 /event from an ignored sender: 404 M_SENDER_IGNORED with the sender; served again after un-ignoring', async () => {
    const { alice, bob, carol, room } = await w.trio('v1');
    const fromBob = await w.send(bob, room, 'v1 bob');
    const fromCarol = await w.send(carol, room, 'v1 carol');
    await w.ignore(alice, [bob.userId]);
    const path = (id: string) => `${V3}/rooms/${enc(room)}/event/${enc(id)}`;
    assertSenderIgnored(await w.get(alice, path(fromBob)), bob.userId);
    const c = await w.get(alice, path(fromCarol));
    assert.equal(c.status, 200, c.text);
    assert.equal(c.json.content.body, 'v1 carol');
    await w.ignore(alice, []);
    const again = await w.get(alice, path(fromBob));
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.content.body, 'v1 bob');
  });

  test("V2 /event: an ignored user's state event is served", async () => {
    const { alice, bob, room } = await w.trio('v2');
    await w.ignore(alice, [bob.userId]);
    const nameId = await w.setState(bob, room, 'm.room.name', { name: 'Named by bob' });
    const r = await w.get(alice, `${V3}/rooms/${enc(room)}/event/${enc(nameId)}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.sender, bob.userId);
    assert.deepEqual(r.json.content, { name: 'Named by bob' });
  });
});

describe('R — /relations', () => {
  let cast: Awaited<ReturnType<ReturnType<typeof steps>['trio']>>;
  const ids: Record<string, string> = {};
  before(async () => {
    cast = await w.trio('rel');
    const { bob, carol, room } = cast;
    ids['root'] = await w.send(carol, room, 'rel root');
    ids['cReact'] = await w.react(carol, room, ids['root'], '👍');
    ids['ct1'] = await w.threadReply(carol, room, ids['root'], 'c-t1');
    for (let i = 1; i <= 3; i++) ids[`bt${i}`] = await w.threadReply(bob, room, ids['root'], `b-t${i}`);
    ids['ct2'] = await w.threadReply(carol, room, ids['root'], 'c-t2');
    for (let i = 4; i <= 6; i++) ids[`bt${i}`] = await w.threadReply(bob, room, ids['root'], `b-t${i}`);
    ids['bReact'] = await w.react(bob, room, ids['root'], '👎');
    ids['bobRoot'] = await w.send(bob, room, 'rel bob root');
    await w.threadReply(carol, room, ids['bobRoot'], 'carol answers bob');
    ids['topic'] = await w.setState(bob, room, 'm.room.topic', { topic: 'Topic by bob' });
    ids['topicReact'] = await w.react(carol, room, ids['topic'], '🎉');
    await w.ignore(cast.alice, [bob.userId]);
  });
  const relations = (eventId: string, tail = '', query = '') =>
    w.get(cast.alice, `${V1}/rooms/${enc(cast.room)}/relations/${enc(eventId)}${tail}${query ? `?${query}` : ''}`);

  test('R1 /relations chunk: relations from ignored senders are left out, and pages stay full', async () => {
    const all = await relations(ids['root'] as string);
    assert.equal(all.status, 200, all.text);
    assertNoneFrom(all.json.chunk, cast.bob.userId, '/relations');
    assert.deepEqual(all.json.chunk.map((e: Json) => e.event_id), [ids['ct2'], ids['ct1'], ids['cReact']], "carol's relations, newest first");

    const threads = await relations(ids['root'] as string, '/m.thread');
    assert.equal(threads.status, 200, threads.text);
    assert.deepEqual(threads.json.chunk.map((e: Json) => e.event_id), [ids['ct2'], ids['ct1']]);

    const first = await relations(ids['root'] as string, '', 'limit=2');
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(first.json.chunk.map((e: Json) => e.event_id), [ids['ct2'], ids['ct1']], 'a page of 2 holds 2 visible relations');
    assert.equal(typeof first.json.next_batch, 'string', 'and says there is more');
    const second = await relations(ids['root'] as string, '', `limit=2&from=${enc(first.json.next_batch)}`);
    assert.equal(second.status, 200, second.text);
    assert.deepEqual(second.json.chunk.map((e: Json) => e.event_id), [ids['cReact']]);
    assert.equal(second.json.next_batch, undefined);
  });

  test('R2 /relations parent from an ignored sender: 404 M_SENDER_IGNORED with the sender', async () => {
    assertSenderIgnored(await relations(ids['bobRoot'] as string), cast.bob.userId);
    assertSenderIgnored(await relations(ids['bobRoot'] as string, '/m.thread'), cast.bob.userId);
  });

  test("R3 /relations parent that is an ignored user's state event: served", async () => {
    const r = await relations(ids['topic'] as string);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.chunk.map((e: Json) => e.event_id), [ids['topicReact']]);
  });
});

describe('T — bundled thread summaries', () => {
  test('T1 thread summary: count and latest_event leave out ignored senders (/event, /messages, /sync)', async () => {
    const { alice, bob, carol, room } = await w.trio('t1');
    const root = await w.send(carol, room, 't1 root');
    await w.threadReply(carol, room, root, 't1 c1');
    await w.threadReply(bob, room, root, 't1 b1');
    const c2 = await w.threadReply(carol, room, root, 't1 c2');
    await w.threadReply(bob, room, root, 't1 b2');
    const bobOnly = await w.send(carol, room, 't1 root answered only by bob');
    await w.threadReply(bob, room, bobOnly, 't1 b3');

    const before = await w.get(alice, `${V3}/rooms/${enc(room)}/event/${enc(root)}`);
    assert.equal(threadSummary(before.json)?.count, 4, 'before ignoring: all four replies count');

    await w.ignore(alice, [bob.userId]);
    const check = (ev: Json, where: string) => {
      const t = threadSummary(ev);
      assert.ok(t, `${where}: the root has a thread summary`);
      assert.equal(t.count, 2, `${where}: only carol's replies count`);
      assert.equal(t.latest_event?.event_id, c2, `${where}: latest_event is carol's newest reply, not bob's`);
      assert.equal(t.latest_event?.sender, carol.userId);
    };
    const ev = await w.get(alice, `${V3}/rooms/${enc(room)}/event/${enc(root)}`);
    check(ev.json, '/event');
    const msgs = await w.get(alice, `${V3}/rooms/${enc(room)}/messages?dir=b&limit=50`);
    check(msgs.json.chunk.find((e: Json) => e.event_id === root), '/messages');
    const s = await w.sync(alice, { filter: { room: { timeline: { limit: 50 } } } });
    check(timelineOf(s, room).find((e) => e.event_id === root), '/sync');

    const only = await w.get(alice, `${V3}/rooms/${enc(room)}/event/${enc(bobOnly)}`);
    assert.equal(only.status, 200);
    assert.equal(threadSummary(only.json), undefined, 'a thread whose only reply is from bob has no summary');
  });
});

describe('N — /notifications', () => {
  const list = async (as: ClientSession, query = '') => {
    const r = await w.get(as, `${V3}/notifications${query ? `?${query}` : ''}`);
    assert.equal(r.status, 200, r.text);
    return r.json as { notifications: Json[]; next_token?: string };
  };

  test('N1 /notifications: nothing from ignored senders (earlier ones included, pages full); un-ignoring restores them', async () => {
    const { alice, bob, carol, room } = await w.trio('n1');
    for (let i = 0; i < 3; i++) await w.send(bob, room, `n1 bob ${i}`);
    await w.send(carol, room, 'n1 carol 0');
    for (let i = 3; i < 6; i++) await w.send(bob, room, `n1 bob ${i}`);
    await w.send(carol, room, 'n1 carol 1');
    for (let i = 6; i < 9; i++) await w.send(bob, room, `n1 bob ${i}`);
    const mine = (n: { notifications: Json[] }) => n.notifications.filter((x) => x.room_id === room);

    const beforeIgnore = mine(await list(alice));
    assert.equal(beforeIgnore.length, 11, 'before ignoring, bob notifies too (the baseline)');

    await w.ignore(alice, [bob.userId]);
    await w.send(bob, room, 'n1 bob after');
    const n = mine(await list(alice));
    assert.deepEqual(n.map((x) => x.event.content.body), ['n1 carol 1', 'n1 carol 0'], "only carol's, newest first");
    for (const x of n) assert.equal(x.event.sender, carol.userId);

    const p1 = await list(alice, 'limit=1');
    assert.deepEqual(p1.notifications.map((x) => x.event.content.body), ['n1 carol 1'], 'a page of 1 is not empty');
    assert.equal(typeof p1.next_token, 'string', 'a full page with more notifications behind it carries next_token');
    const p2 = await list(alice, `limit=1&from=${enc(p1.next_token as string)}`);
    assert.deepEqual(p2.notifications.map((x) => x.event.content.body), ['n1 carol 0'], 'the next page skips bob and is full');

    await w.ignore(alice, []);
    const restored = mine(await list(alice));
    assert.equal(restored.length, 12, "un-ignoring restores bob's notifications, including the one sent while ignored");
    assert.equal(restored.filter((x) => x.event.sender === bob.userId).length, 10);
  });

  test('N2 /notifications: an invite from an ignored user is not a notification', async () => {
    const [erin, dave] = await Promise.all([w.user('n2_erin'), w.user('n2_dave')]);
    await w.ignore(erin, [dave.userId]);
    const room = await w.createRoom(dave, {});
    await w.invite(dave, room, erin.userId);
    await w.send(dave, room, `n2 hello ${erin.userId}`);
    const n = await list(erin);
    assert.deepEqual(n.notifications.filter((x) => x.room_id === room || x.event?.sender === dave.userId), []);
  });
});

describe('G — /rooms/{roomId}/state', () => {
  test("G1 /rooms/{id}/state: an ignored user's state events are served", async () => {
    const { alice, bob, room } = await w.trio('g1');
    await w.ignore(alice, [bob.userId]);
    const nameId = await w.setState(bob, room, 'm.room.name', { name: 'Named by bob' });
    const all = await w.get(alice, `${V3}/rooms/${enc(room)}/state`);
    assert.equal(all.status, 200, all.text);
    const name = all.json.find((e: Json) => e.type === 'm.room.name');
    assert.equal(name?.event_id, nameId);
    assert.equal(name?.sender, bob.userId);
    assert.ok(all.json.some((e: Json) => e.type === 'm.room.member' && e.state_key === bob.userId), "bob's membership is served");
    const one = await w.get(alice, `${V3}/rooms/${enc(room)}/state/m.room.name/`);
    assert.equal(one.status, 200, one.text);
    assert.deepEqual(one.json, { name: 'Named by bob' });
  });
});

describe('P — push', () => {
  test('P1 push: /pushers is served; the push cells are PU1–PU4 (tests/e2e/push.e2e.test.ts, with a push gateway)', async () => {
    const alice = await w.user('p1_alice');
    const r = await w.get(alice, `${V3}/pushers`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { pushers: [] });
  });
});

describe('W — "immediately"', () => {
  test('W1 immediately: an ignore-list write wakes every waiting /sync of the user; their next responses apply it', async () => {
    const { alice, bob, carol, room } = await w.trio('w1');
    const alice2 = await w.http.login('w1_alice');
    assert.notEqual(alice2.deviceId, alice.deviceId);
    const devices = [alice, alice2];
    const tokens = await Promise.all(devices.map(async (d) => (await w.sync(d)).next_batch as string));

    const polls = devices.map((d, i) => {
      const t0 = Date.now();
      return w.sync(d, { since: tokens[i] as string, timeout: 20_000 }).then((s) => ({ s, ms: Date.now() - t0 }));
    });
    await sleep(500);
    const putAt = Date.now();
    await w.ignore(alice, [bob.userId]);
    const woke = await Promise.all(polls);
    woke.forEach(({ s }, i) => {
      const list = s.account_data.events.find((e: Json) => e.type === LIST);
      assert.ok(list, `device ${i} woke with the new list`);
      assert.deepEqual(Object.keys(list.content.ignored_users), [bob.userId]);
      assertNoneFrom(timelineOf(s, room), bob.userId, `device ${i} wake-up response`);
    });
    assert.ok(Date.now() - putAt < 10_000, `both long-polls answered ${Date.now() - putAt} ms after the PUT, not at their 20 s timeout`);

    await w.send(bob, room, 'w1 bob after the ignore');
    await w.send(carol, room, 'w1 carol after the ignore');
    await Promise.all(
      devices.map(async (d, i) => {
        let since = woke[i]?.s.next_batch as string;
        const seen: Json[] = [];
        for (let n = 0; n < 10 && !bodies(seen).includes('w1 carol after the ignore'); n++) {
          const s = await w.sync(d, { since, timeout: 20_000 });
          seen.push(...timelineOf(s, room));
          since = s.next_batch;
        }
        assert.ok(bodies(seen).includes('w1 carol after the ignore'), `device ${i} got carol's message`);
        assertNoneFrom(seen, bob.userId, `device ${i} syncs after the ignore`);
      }),
    );
  });
});

describe('X — un-ignoring', () => {
  test('X1 un-ignoring: events resume from that point; an incremental sync does not replay what was missed', async () => {
    const { alice, bob, room } = await w.trio('x1');
    await w.ignore(alice, [bob.userId]);
    const t1 = (await w.sync(alice)).next_batch;
    await w.send(bob, room, 'x1 missed');
    const s2 = await w.sync(alice, { since: t1 });
    assertNoneFrom(timelineOf(s2, room), bob.userId, 'while ignored');

    await w.ignore(alice, []);
    const s3 = await w.sync(alice, { since: s2.next_batch });
    assert.ok(!bodies(timelineOf(s3, room)).includes('x1 missed'), 'the missed message is not replayed');
    await w.send(bob, room, 'x1 after');
    const s4 = await w.sync(alice, { since: s3.next_batch });
    assert.deepEqual(bodies(timelineOf(s4, room)), ['x1 after'], "bob's new message arrives; the missed one does not");
    assert.equal(joined(s4, room).timeline.limited, false);
  });

  test('X2 un-ignoring: a fresh sync (no since) returns the events missed while ignored', async () => {
    const { alice, bob, carol, room } = await w.trio('x2');
    await w.ignore(alice, [bob.userId]);
    await w.send(bob, room, 'x2 missed 1');
    await w.send(carol, room, 'x2 carol');
    await w.send(bob, room, 'x2 missed 2');
    assert.deepEqual(bodies(timelineOf(await w.sync(alice), room)), ['x2 carol']);
    await w.ignore(alice, []);
    const fresh = await w.sync(alice);
    assert.deepEqual(bodies(timelineOf(fresh, room)), ['x2 missed 1', 'x2 carol', 'x2 missed 2']);
    const m = await w.get(alice, `${V3}/rooms/${enc(room)}/messages?dir=b&limit=3`);
    assert.deepEqual(bodies(m.json.chunk), ['x2 missed 2', 'x2 carol', 'x2 missed 1'], '/messages serves them again too');
  });
});
