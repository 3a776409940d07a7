// In-process tests of POST /_matrix/client/v3/search (room_events): full-text hits, order_by rank
// and recent, next_batch, count and highlights, the filter and keys, event_context with profiles,
// groups, include_state; history visibility and the ignore policy (pages refilled, counts of visible
// events only, an ignored user's messages never found, their state events found); redaction; the
// index back-filled by the migration; bad input.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { sql } from 'kysely';
import { createSuiteApp, createTestApp, type Session, type TestApp } from '../helpers.ts';
import { roomSteps, type RoomSteps } from '../room-helpers.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

let t: TestApp;
let r: RoomSteps;
let alice: Session;
let bob: Session;
let carol: Session;
let dave: Session;
let room: string;
let other: string;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const search = async (s: Session, criteria: Record<string, unknown>, nextBatch?: string) =>
  t.req('POST', `${V3}/search${nextBatch !== undefined ? `?next_batch=${enc(nextBatch)}` : ''}`, { token: s.token, body: { search_categories: { room_events: criteria } } });
const bodies = (res: { json: Json }): string[] => res.json.search_categories.room_events.results.map((x: Json) => x.result.content.body ?? x.result.content.name ?? x.result.content.topic);
const events = (res: { json: Json }) => res.json.search_categories.room_events;

before(async () => {
  t = await createSuiteApp();
  r = roomSteps(t);
  alice = await t.register('alice');
  bob = await t.register('bob');
  carol = await t.register('carol');
  dave = await t.register('dave');
  room = await r.createRoom(alice, { preset: 'public_chat', power_level_content_override: { users: { [alice.userId]: 100, [bob.userId]: 50 } } });
  await r.join(bob, room);
  await r.join(carol, room);
  for (let i = 0; i < 30; i++) await r.send(bob, room, `bob talks about apples ${i}`);
  for (let i = 0; i < 5; i++) await r.send(carol, room, `carol likes apples ${i}`);
  await r.send(alice, room, 'nothing to see here');
  await r.setState(bob, room, 'm.room.topic', { topic: 'apples and pears' });
  other = await r.createRoom(alice, { preset: 'public_chat' });
  await r.send(alice, other, 'apples in the other room');
  await r.ignore(alice, [bob.userId]);
});
after(() => t.close());

describe('search', () => {
  test('finds matching messages; recent order is newest first; count and highlights', async () => {
    const res = await search(carol, { search_term: 'apples', order_by: 'recent', filter: { limit: 3 } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(bodies(res), ['apples and pears', 'carol likes apples 4', 'carol likes apples 3']);
    assert.equal(events(res).count, 36, 'carol ignores nobody: 30 + 5 messages and the topic');
    assert.deepEqual(events(res).highlights, ['apples']);
    assert.ok(typeof events(res).next_batch === 'string');
  });

  test('H1 an ignored user\'s messages are never found; pages are refilled and count is of visible events only', async () => {
    const seen: string[] = [];
    let batch: string | undefined;
    let first: Json;
    for (let page = 0; page < 10; page++) {
      const res = await search(alice, { search_term: 'apples', order_by: 'recent', keys: ['content.body'], filter: { limit: 2 } }, batch);
      assert.equal(res.status, 200, res.text);
      first ??= events(res);
      const b = bodies(res);
      if (events(res).next_batch !== undefined) assert.equal(b.length, 2, `page ${page} is full`);
      seen.push(...b);
      batch = events(res).next_batch;
      if (batch === undefined) break;
    }
    assert.ok(seen.every((b) => !b.startsWith('bob')), seen.join(' | '));
    assert.deepEqual(seen, ['apples in the other room', 'carol likes apples 4', 'carol likes apples 3', 'carol likes apples 2', 'carol likes apples 1', 'carol likes apples 0']);
    assert.equal(first.count, 6);
  });

  test('H2 an ignored user\'s state event (the topic) is found', async () => {
    const res = await search(alice, { search_term: 'pears' });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(bodies(res), ['apples and pears']);
    assert.equal(events(res).count, 1);
  });

  test('rank order: the best match first, every page full, no repeats', async () => {
    await r.send(carol, room, 'apples apples apples apples');
    const all: string[] = [];
    let batch: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await search(alice, { search_term: 'apples', keys: ['content.body'], filter: { limit: 4 } }, batch);
      assert.equal(res.status, 200, res.text);
      all.push(...bodies(res));
      for (const x of events(res).results) assert.equal(typeof x.rank, 'number');
      batch = events(res).next_batch;
      if (batch === undefined) break;
    }
    assert.equal(all[0], 'apples apples apples apples');
    assert.equal(new Set(all).size, all.length);
    assert.equal(all.length, 7);
    assert.ok(all.every((b) => !b.startsWith('bob')));
  });

  test('the filter: rooms, senders, limit; keys', async () => {
    const inOther = await search(alice, { search_term: 'apples', filter: { rooms: [other] } });
    assert.deepEqual(bodies(inOther), ['apples in the other room']);
    const fromCarol = await search(dave, { search_term: 'apples', order_by: 'recent', filter: { senders: [carol.userId], limit: 2 } });
    assert.equal(fromCarol.status, 200);
    assert.deepEqual(bodies(fromCarol), [], 'dave is in no room');
    const carolOnly = await search(carol, { search_term: 'apples', order_by: 'recent', filter: { senders: [carol.userId], limit: 2 } });
    assert.deepEqual(bodies(carolOnly), ['apples apples apples apples', 'carol likes apples 4']);
    assert.equal(events(carolOnly).count, 6);
    const topics = await search(carol, { search_term: 'apples', keys: ['content.topic'] });
    assert.deepEqual(bodies(topics), ['apples and pears']);
    const notTypes = await search(carol, { search_term: 'apples', filter: { not_types: ['m.room.message'] } });
    assert.deepEqual(bodies(notTypes), ['apples and pears']);
  });

  test('event_context: neighbours without the ignored user, profiles, tokens', async () => {
    await t.req('PUT', `${V3}/profile/${enc(carol.userId)}/displayname`, { token: carol.token, body: { displayname: 'Carol C' } });
    const res = await search(alice, {
      search_term: 'likes',
      order_by: 'recent',
      filter: { limit: 1 },
      event_context: { before_limit: 2, after_limit: 2, include_profile: true },
    });
    assert.equal(res.status, 200, res.text);
    const hit = events(res).results[0];
    assert.equal(hit.result.content.body, 'carol likes apples 4');
    assert.deepEqual(hit.context.events_before.map((e: Json) => e.content.body), ['carol likes apples 3', 'carol likes apples 2']);
    // Bob's topic (a state event) is shown; his messages are not.
    assert.deepEqual(hit.context.events_after.map((e: Json) => e.content.body ?? e.content.topic), ['nothing to see here', 'apples and pears']);
    assert.match(hit.context.start, /^t[0-9]+$/);
    assert.match(hit.context.end, /^t[0-9]+$/);
    assert.deepEqual(hit.context.profile_info[carol.userId], { displayname: 'carol' }, 'the profile as it was at the result, before the rename');
  });

  test('groups by room_id and sender; include_state', async () => {
    const res = await search(alice, { search_term: 'apples', order_by: 'recent', filter: { limit: 3 }, groupings: { group_by: [{ key: 'room_id' }, { key: 'sender' }] }, include_state: true });
    assert.equal(res.status, 200, res.text);
    const g = events(res).groups;
    assert.deepEqual(bodies(res), ['apples apples apples apples', 'apples in the other room', 'apples and pears'], JSON.stringify(g));
    assert.deepEqual(Object.keys(g.room_id).sort(), [other, room].sort());
    assert.equal(g.room_id[room].results.length, 2);
    assert.equal(g.sender[carol.userId].results.length, 1);
    assert.equal(g.sender[alice.userId].results.length, 1);
    assert.equal(g.sender[bob.userId].results.length, 1, 'his topic, a state event');
    assert.equal(g.room_id[room].order, 1);
    assert.ok(Array.isArray(events(res).state[room]));
    assert.ok(events(res).state[room].some((e: Json) => e.type === 'm.room.create'));
  });

  test('history visibility: nothing after the searcher left, nothing before joining a joined-only room', async () => {
    const hv = await r.createRoom(alice, { preset: 'public_chat', initial_state: [{ type: 'm.room.history_visibility', content: { history_visibility: 'joined' } }] });
    await r.send(alice, hv, 'bananas before dave');
    await r.join(dave, hv);
    await r.send(alice, hv, 'bananas while dave is here');
    await r.leave(dave, hv);
    await r.send(alice, hv, 'bananas after dave left');
    const res = await search(dave, { search_term: 'bananas' });
    assert.deepEqual(bodies(res), ['bananas while dave is here']);
    assert.equal(events(res).count, 1);
  });

  test('a redacted message is no longer found', async () => {
    const id = await r.send(carol, room, 'cherries to be redacted');
    assert.equal(bodies(await search(carol, { search_term: 'cherries' })).length, 1);
    const red = await t.req('PUT', `${V3}/rooms/${enc(room)}/redact/${enc(id)}/red1`, { token: carol.token, body: {} });
    assert.equal(red.status, 200);
    const res = await search(carol, { search_term: 'cherries' });
    assert.deepEqual(bodies(res), []);
    assert.equal(events(res).count, 0);
  });

  test('un-ignoring finds the user\'s messages again', async () => {
    await r.ignore(alice, []);
    const res = await search(alice, { search_term: 'talks', filter: { limit: 1 } });
    assert.equal(events(res).count, 30);
    await r.ignore(alice, [bob.userId]);
    assert.equal(events(await search(alice, { search_term: 'talks' })).count, 0);
  });

  test('bad input: missing search_term, bad next_batch, next_batch of another order, bad order_by, no category', async () => {
    const noTerm = await t.req('POST', `${V3}/search`, { token: alice.token, body: { search_categories: { room_events: {} } } });
    assert.equal(noTerm.status, 400);
    assert.equal(noTerm.json.errcode, 'M_BAD_JSON');
    const badBatch = await search(alice, { search_term: 'apples' }, 'nonsense');
    assert.equal(badBatch.status, 400);
    assert.equal(badBatch.json.errcode, 'M_INVALID_PARAM');
    const mixed = await search(alice, { search_term: 'apples', order_by: 'rank' }, 's1_t5');
    assert.equal(mixed.status, 400);
    const order = await search(alice, { search_term: 'apples', order_by: 'sideways' });
    assert.equal(order.status, 400);
    assert.equal(order.json.errcode, 'M_BAD_JSON');
    const operators = await search(alice, { search_term: '"apples" OR NEAR( * ) -pears ^' });
    assert.equal(operators.status, 200, 'query syntax in the term is taken as words');
    const empty = await search(alice, { search_term: '' });
    assert.equal(empty.status, 200);
    assert.equal(events(empty).count, 0);
    const none = await t.req('POST', `${V3}/search`, { token: alice.token, body: { search_categories: {} } });
    assert.equal(none.status, 200);
    assert.deepEqual(none.json, { search_categories: {} });
    const noAuth = await t.req('POST', `${V3}/search`, { body: { search_categories: {} } });
    assert.equal(noAuth.status, 401);
  });
});

describe('search index migration', () => {
  test('events stored before the index existed are found (the migration back-fills the index)', async () => {
    const file = `${process.env['TMPDIR'] ?? '/tmp'}/hush-search-${process.pid}-${Date.now()}.sqlite`;
    const pgMode = process.env['HUSH_API_DIALECT'] === 'postgres';
    let location = file;
    let drop = async () => undefined as void;
    if (pgMode) {
      const { freshPgDatabase } = await import('../../../../tests/support/postgres.ts');
      const pg = await freshPgDatabase();
      location = pg.url;
      drop = pg.drop;
    }
    try {
      const first = await createTestApp({ database: location });
      const rr = roomSteps(first);
      const u = await first.register('olduser');
      const rid = await rr.createRoom(u, {});
      await rr.send(u, rid, 'durian stored long ago');
      // What the app holds for the index is written first (decision 0047); then back to the schema
      // before the index: drop what migration 7 made and forget it ran.
      await first.services.caches.heldRows?.flush();
      const db = first.database.db;
      await sql`drop table event_search`.execute(db);
      await sql`drop table reports`.execute(db);
      await sql`drop table room_predecessors`.execute(db);
      await sql`delete from schema_migrations where version = 7`.execute(db);
      await first.close();
      const again = await createTestApp({ database: location });
      try {
        const session = await again.login('olduser');
        const res = await again.req('POST', `${V3}/search`, { token: session.token, body: { search_categories: { room_events: { search_term: 'durian' } } } });
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.json.search_categories.room_events.results.map((x: Json) => x.result.content.body), ['durian stored long ago']);
      } finally {
        await again.close();
      }
    } finally {
      await drop();
      for (const suffix of ['', '-wal', '-shm', '.lock']) rmSync(`${file}${suffix}`, { force: true });
    }
  });
});
