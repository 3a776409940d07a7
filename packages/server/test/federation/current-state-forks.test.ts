// The room's current state follows its forks (decision 0043), in process: crafted, signed PDUs of
// remote users (BOB, power 100; CAROL) over /send. A received event that follows every forward
// extremity (a merge) makes the current state its state after — every key that differs, not only
// its own; a key that state resolution drops leaves the current state (a history tombstone, the
// membership gone, /sync told); the forward and backward extremities a hostile transaction leaves
// are bounded (tested in hostile-prev-events.test.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { eventIdFor, hashAndSignEvent } from '../../src/services/events/crypto.ts';
import { eventsStore } from '../../src/storage/events.store.ts';
import { stateStore } from '../../src/storage/state.store.ts';
import { BOB, REMOTE, V3, enc, forkRoom, keys, sendPdu, setup, signed, type Ctx, type ForkRoom } from '../federation-fixture.ts';

const CAROL = `@carol:${REMOTE}`;

type Room = ForkRoom;
const send = sendPdu;

const current = (r: Room, type: string, key = '') => stateStore.currentStateEventId(r.c.t.database.db, r.roomId, type, key);

async function orderingOf(r: Room, eventId: string): Promise<number> {
  const row = await eventsStore.byId(r.c.t.database.db, eventId);
  assert.ok(row);
  return row.stream_ordering;
}

async function historyAt(r: Room, ordering: number, type: string, key = ''): Promise<string | undefined> {
  return (await stateStore.stateAt(r.c.t.database.db, r.roomId, ordering)).find((s) => s.type === type && s.stateKey === key)?.eventId;
}

interface SyncJson {
  next_batch: string;
  rooms?: {
    join?: Record<string, { state: { events: { event_id: string }[] }; summary?: Record<string, unknown> }>;
    leave?: Record<string, unknown>;
  };
  device_lists?: { changed?: string[]; left?: string[] };
}

async function sync(c: Ctx, token: string, since?: string): Promise<SyncJson> {
  const res = await c.t.req('GET', `${V3}/sync?timeout=0${since ? `&since=${enc(since)}` : ''}`, { token });
  assert.equal(res.status, 200, res.text);
  return res.json;
}

/**
 * Two steps of BOB's on one line whose later events carry the earlier timestamps: T (topic
 * "side") and M1 (his display name "side"), then U (topic "other") and M2 (display name "other").
 * Each is linear, so the current state ends {U, M2}; but resolving the states after M1 and after
 * M2 (v2: same mainline, the later origin_server_ts applied last) gives {T, M1}.
 */
async function twoSteps(r: Room) {
  const t0 = Date.now();
  const T = await send(r, [r.base], r.depth + 1, { type: 'm.room.topic', stateKey: '', content: { topic: 'side' }, ts: t0 + 5000 });
  const M1 = await send(r, [T], r.depth + 2, { type: 'm.room.member', stateKey: BOB, content: { membership: 'join', displayname: 'side' }, ts: t0 + 5000 });
  const U = await send(r, [M1], r.depth + 3, { type: 'm.room.topic', stateKey: '', content: { topic: 'other' }, ts: t0 + 1000 });
  const M2 = await send(r, [U], r.depth + 4, { type: 'm.room.member', stateKey: BOB, content: { membership: 'join', displayname: 'other' }, ts: t0 + 1000 });
  assert.equal(await current(r, 'm.room.topic'), U);
  assert.equal(await current(r, 'm.room.member', BOB), M2);
  return { T, M1, U, M2, t0 };
}

async function assertMerged(r: Room, s: { T: string; M1: string }, merge: string, since: string) {
  const db = r.c.t.database.db;
  assert.equal(await current(r, 'm.room.topic'), s.T, 'the topic of the state after the merge');
  assert.equal(await current(r, 'm.room.member', BOB), s.M1, "BOB's membership of the state after the merge");
  const at = await orderingOf(r, merge);
  assert.equal(await historyAt(r, at, 'm.room.topic'), s.T, 'the state history says so from the merge on');
  assert.equal(await historyAt(r, at, 'm.room.member', BOB), s.M1);
  assert.equal((await stateStore.membership(db, r.roomId, BOB))?.event_id, s.M1, 'the membership row');
  const topic = await r.c.t.req('GET', `${V3}/rooms/${enc(r.roomId)}/state/m.room.topic`, { token: r.c.alice.token });
  assert.deepEqual(topic.json, { topic: 'side' });
  const members = await r.c.t.req('GET', `${V3}/rooms/${enc(r.roomId)}/joined_members`, { token: r.c.alice.token });
  assert.equal(members.json.joined[BOB]?.display_name, 'side');
  // /sync: the keys the merge changed reach a client that holds the room as it was.
  const next = await sync(r.c, r.c.alice.token, since);
  const room = next.rooms?.join?.[r.roomId];
  assert.ok(room, 'the room has news');
  const stateIds = room.state.events.map((e) => e.event_id);
  assert.ok(stateIds.includes(s.T), `the topic in the state section: ${stateIds.join(', ')}`);
  assert.ok(stateIds.includes(s.M1), "BOB's membership in the state section");
  // The state before a local event after it is that state too.
  const local = await r.c.t.req('PUT', `${V3}/rooms/${enc(r.roomId)}/send/m.room.message/after-${merge.slice(1, 9)}`, { token: r.c.alice.token, body: { msgtype: 'm.text', body: 'after the merge' } });
  assert.equal(local.status, 200, local.text);
  const ids = (await r.c.get(`/_matrix/federation/v1/state_ids/${enc(r.roomId)}?event_id=${enc(local.json.event_id)}`)).json.pdu_ids as string[];
  assert.ok(ids.includes(s.T) && ids.includes(s.M1), 'the state at the next local event');
}

test('a state event following every forward extremity (a merge) makes the current state its state after: every key that differs, not only its own', async () => {
  const r = await forkRoom();
  const s = await twoSteps(r);
  const since = (await sync(r.c, r.c.alice.token)).next_batch;
  const merge = await send(r, [s.M2, s.M1], r.depth + 5, { type: 'm.room.name', stateKey: '', content: { name: 'merged' }, ts: s.t0 + 6000 });
  assert.equal(await current(r, 'm.room.name'), merge, 'its own key');
  await assertMerged(r, s, merge, since);
});

test('a message following every forward extremity (a merge) makes the current state its state after', async () => {
  const r = await forkRoom();
  const s = await twoSteps(r);
  const since = (await sync(r.c, r.c.alice.token)).next_batch;
  const merge = await send(r, [s.M2, s.M1], r.depth + 5, { type: 'm.room.message', content: { msgtype: 'm.text', body: 'merging' } });
  await assertMerged(r, s, merge, since);
});

test('a key state resolution drops leaves the current state: joins racing a join rule change — history tombstone, memberships, members lists, /sync of the members and of the one dropped', async () => {
  const r = await forkRoom();
  const db = r.c.t.database.db;
  const dave = await r.c.t.register('dave');
  // CAROL (remote) and dave (local) join the public room on one side…
  const joinRules = await current(r, 'm.room.join_rules');
  assert.ok(joinRules);
  const base = r.base;
  const carol = await send(r, [base], r.depth + 1, {
    type: 'm.room.member',
    stateKey: CAROL,
    sender: CAROL,
    content: { membership: 'join' },
    auth: [r.auth[0] as string, r.auth[1] as string, joinRules],
  });
  const joined = await r.c.t.req('POST', `${V3}/join/${enc(r.roomId)}`, { token: dave.token, body: {} });
  assert.equal(joined.status, 200, joined.text);
  const daveJoin = await current(r, 'm.room.member', dave.userId);
  assert.ok(daveJoin);
  assert.equal((await stateStore.membership(db, r.roomId, CAROL))?.membership, 'join');
  const aliceSince = (await sync(r.c, r.c.alice.token)).next_batch;
  const daveSince = (await sync(r.c, dave.token)).next_batch;
  // …while on the other BOB makes the room invite-only (a fork on the event before both joins).
  const inviteOnly = await send(r, [base], r.depth + 1, { type: 'm.room.join_rules', stateKey: '', content: { join_rule: 'invite' }, ts: Date.now() + 1000 });
  // Resolution applies the join rule first; both joins fail against it: neither key is in the result.
  assert.equal(await current(r, 'm.room.join_rules'), inviteOnly);
  assert.equal(await current(r, 'm.room.member', CAROL), undefined, "CAROL's join left the current state");
  assert.equal(await current(r, 'm.room.member', dave.userId), undefined, "dave's join left the current state");
  const at = await orderingOf(r, inviteOnly);
  assert.equal(await historyAt(r, at, 'm.room.member', CAROL), undefined, 'the history: absent from the join rule on');
  assert.equal(await historyAt(r, at - 1, 'm.room.member', CAROL), carol, 'and present before it');
  for (const u of [CAROL, dave.userId]) assert.notEqual((await stateStore.membership(db, r.roomId, u))?.membership, 'join', u);
  const members = await r.c.t.req('GET', `${V3}/rooms/${enc(r.roomId)}/members`, { token: r.c.alice.token });
  const memberKeys = (members.json.chunk as { state_key: string }[]).map((e) => e.state_key).sort();
  assert.deepEqual(memberKeys, [BOB, r.c.alice.userId].sort());
  const joinedMembers = await r.c.t.req('GET', `${V3}/rooms/${enc(r.roomId)}/joined_members`, { token: r.c.alice.token });
  assert.deepEqual(Object.keys(joinedMembers.json.joined).sort(), [BOB, r.c.alice.userId].sort());
  // The state before a later event lacks them (the history tombstone under stateAtEvent).
  const local = await r.c.t.req('PUT', `${V3}/rooms/${enc(r.roomId)}/send/m.room.message/after-drop`, { token: r.c.alice.token, body: { msgtype: 'm.text', body: 'after' } });
  assert.equal(local.status, 200, local.text);
  const ids = (await r.c.get(`/_matrix/federation/v1/state_ids/${enc(r.roomId)}?event_id=${enc(local.json.event_id)}`)).json.pdu_ids as string[];
  assert.ok(!ids.includes(carol) && !ids.includes(daveJoin), 'no dropped join in the state at the next event');
  // /sync: the members' summary counts them out, the device lists of CAROL are no longer shared…
  const aliceNext = await sync(r.c, r.c.alice.token, aliceSince);
  const room = aliceNext.rooms?.join?.[r.roomId];
  assert.ok(room);
  assert.equal(room.summary?.['m.joined_member_count'], 2, JSON.stringify(room.summary));
  assert.ok((aliceNext.device_lists?.left ?? []).includes(CAROL), JSON.stringify(aliceNext.device_lists));
  // …and dave's own /sync moves the room to the rooms he left.
  const daveNext = await sync(r.c, dave.token, daveSince);
  assert.equal(daveNext.rooms?.join?.[r.roomId], undefined, 'no longer joined');
  assert.ok(daveNext.rooms?.leave?.[r.roomId], `in the left rooms: ${JSON.stringify(daveNext.rooms)}`);
  // He may join again (the room is invite-only now: refused like anyone uninvited).
  const again = await r.c.t.req('POST', `${V3}/join/${enc(r.roomId)}`, { token: dave.token, body: {} });
  assert.equal(again.status, 403, again.text);
});

test("events stored outside /send in a room we are in (a remote user's send_join) advance the forward extremities: the next local event follows them", async () => {
  const c = await setup();
  const roomId = await c.room({ preset: 'public_chat' });
  const db = c.t.database.db;
  const made = await c.get(`/_matrix/federation/v1/make_join/${enc(roomId)}/${enc(BOB)}?ver=11`);
  assert.equal(made.status, 200, made.text);
  const k = keys[REMOTE] as { keyId: string; privateKey: KeyObject };
  const join = hashAndSignEvent({ ...made.json.event, origin_server_ts: Date.now() }, REMOTE, k.keyId, k.privateKey, '11') as Record<string, unknown>;
  const joinId = eventIdFor(join, '11');
  const uri = `/_matrix/federation/v2/send_join/${enc(roomId)}/${enc(joinId)}`;
  const res = await c.t.req('PUT', uri, { body: join, headers: signed('PUT', uri, join, REMOTE) });
  assert.equal(res.status, 200, res.text);
  assert.equal(await stateStore.currentStateEventId(db, roomId, 'm.room.member', BOB), joinId);
  const local = await c.t.req('PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/after-join`, { token: c.alice.token, body: { msgtype: 'm.text', body: 'welcome' } });
  assert.equal(local.status, 200, local.text);
  const prevs = JSON.parse((await eventsStore.byId(db, local.json.event_id))?.json ?? '{}').prev_events as string[];
  assert.deepEqual(prevs, [joinId], "the local message follows BOB's join");
});
