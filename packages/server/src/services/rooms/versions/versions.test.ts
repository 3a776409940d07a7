// Room versions 1-11: the descriptor table, level parsing, event identity, and every auth rule
// that differs between versions — each checked on the versions just before and after the change.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventId, JsonObject, Pdu, RoomId, UserId } from '@hush/protocol';
import { authEventKeys, checkAuth, checkAuthEvents, type AuthResult } from '../auth-rules.ts';
import { eventIdFor, redactEvent } from '../../events/crypto.ts';
import { ROOM_VERSIONS, V1, V10, V11, V2, V3, V4, V5, V6, V7, V8, V9, creatorOf, normalisePowerLevels, parseLevel, referencedIds, roomVersion, type RoomVersion } from './index.ts';
import { eventIdIn, eventReferences, newLocalEventId } from './events.ts';

const ROOM = '!room:hush.test' as RoomId;
const alice = '@alice:hush.test';
const bob = '@bob:hush.test';
const carol = '@carol:hush.test';

type Ev = Pdu & { event_id: EventId };
let n = 0;

/** A room of version `rv` in memory: events checked against the current state, applied when allowed. */
class Room {
  readonly state = new Map<string, Ev>();
  head: EventId | undefined;
  constructor(readonly rv: RoomVersion) {
    const create: JsonObject = rv.creatorInContent ? { creator: alice, room_version: rv.id } : { room_version: rv.id };
    this.ok('m.room.create', alice, create, '');
    this.ok('m.room.member', alice, { membership: 'join' }, alice);
    this.ok('m.room.power_levels', alice, { users: { [alice]: 100, [bob]: 50 } }, '');
    this.ok('m.room.join_rules', alice, { join_rule: 'public' }, '');
    this.ok('m.room.member', bob, { membership: 'join' }, bob);
  }

  send(type: string, sender: string, content: JsonObject, stateKey?: string, extra: Partial<Ev> = {}): AuthResult {
    const auth = type === 'm.room.create' ? [] : authEventKeys(type, stateKey, sender, content, this.rv).flatMap(([t, k]) => this.state.get(`${t}\u0000${k}`)?.event_id ?? []);
    const ev: Ev = {
      event_id: `$e${++n}:hush.test` as EventId,
      auth_events: auth as EventId[],
      prev_events: this.head ? [this.head] : [],
      content,
      depth: n,
      hashes: { sha256: 'x' },
      origin_server_ts: n,
      room_id: ROOM,
      sender: sender as UserId,
      signatures: { [sender.slice(sender.indexOf(':') + 1)]: { 'ed25519:k': 's' } },
      type,
      ...extra,
    };
    if (stateKey !== undefined) ev.state_key = stateKey;
    const r = checkAuth(ev, { get: (t, k) => this.state.get(`${t}\u0000${k}`) }, { roomVersion: this.rv });
    if (r.ok) {
      this.head = ev.event_id;
      if (stateKey !== undefined) this.state.set(`${type}\u0000${stateKey}`, ev);
    }
    return r;
  }

  ok(type: string, sender: string, content: JsonObject, stateKey?: string, extra: Partial<Ev> = {}): void {
    const r = this.send(type, sender, content, stateKey, extra);
    assert.ok(r.ok, `v${this.rv.id}: expected ${type} from ${sender} to pass, got ${r.ok ? '' : r.reason}`);
  }

  no(type: string, sender: string, content: JsonObject, stateKey?: string, extra: Partial<Ev> = {}): void {
    const r = this.send(type, sender, content, stateKey, extra);
    assert.ok(!r.ok, `v${this.rv.id}: expected ${type} from ${sender} to be rejected`);
  }
}

describe('the room version table', () => {
  test('versions 1-11, in order, each found by its id; unknown ids are not', () => {
    assert.deepEqual(ROOM_VERSIONS.map((v) => v.id), ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11']);
    for (const v of ROOM_VERSIONS) assert.equal(roomVersion(v.id), v);
    for (const bad of ['0', '12', 'org.example.v1', '', '11 ']) assert.equal(roomVersion(bad), undefined);
  });

  test('the features follow the spec: event format, state res, redaction, knock, restricted, integer levels', () => {
    const row = (v: RoomVersion) => [v.eventFormat, v.stateRes, v.redaction, v.knock, v.restricted, v.knockRestricted, v.integerPowerLevels, v.enforceCanonicalJson, v.creatorInContent, v.aliasesAuthRule, v.redactionAuthRule];
    assert.deepEqual(row(V1), ['v1', 'v1', 'v1', false, false, false, false, false, true, true, true]);
    assert.deepEqual(row(V2), ['v1', 'v2', 'v1', false, false, false, false, false, true, true, true]);
    assert.deepEqual(row(V3), ['v3', 'v2', 'v1', false, false, false, false, false, true, true, false]);
    assert.deepEqual(row(V4), ['v4', 'v2', 'v1', false, false, false, false, false, true, true, false]);
    assert.deepEqual(row(V5), ['v4', 'v2', 'v1', false, false, false, false, false, true, true, false]);
    assert.deepEqual(row(V6), ['v4', 'v2', 'v6', false, false, false, false, true, true, false, false]);
    assert.deepEqual(row(V7), ['v4', 'v2', 'v6', true, false, false, false, true, true, false, false]);
    assert.deepEqual(row(V8), ['v4', 'v2', 'v8', true, true, false, false, true, true, false, false]);
    assert.deepEqual(row(V9), ['v4', 'v2', 'v9', true, true, false, false, true, true, false, false]);
    assert.deepEqual(row(V10), ['v4', 'v2', 'v9', true, true, true, true, true, true, false, false]);
    assert.deepEqual(row(V11), ['v4', 'v2', 'v11', true, true, true, true, true, false, false, false]);
    assert.deepEqual(ROOM_VERSIONS.map((v) => v.enforceKeyValidity), [false, false, false, false, true, true, true, true, true, true, true]);
    assert.deepEqual(ROOM_VERSIONS.map((v) => v.notificationsAuthRule), [false, false, false, false, false, true, true, true, true, true, true]);
  });
});

describe('power level values by version', () => {
  test('integers everywhere; integer strings up to v9; floats (truncated) up to v5', () => {
    for (const v of ROOM_VERSIONS) assert.equal(parseLevel(50, v.powerLevelValues), 50);
    for (const s of ['50', ' 050 ', '+50', '\t50\n']) {
      assert.equal(parseLevel(s, V9.powerLevelValues), 50, s);
      assert.equal(parseLevel(s, V10.powerLevelValues), undefined, s);
    }
    assert.equal(parseLevel('-7', V1.powerLevelValues), -7);
    for (const s of ['5.0', '1e2', '', '5 0', '0x10', '50a']) assert.equal(parseLevel(s, V1.powerLevelValues), undefined, s);
    assert.equal(parseLevel(50.57, V5.powerLevelValues), 50);
    assert.equal(parseLevel(-0.5, V5.powerLevelValues), 0);
    assert.equal(parseLevel(51146.98, V1.powerLevelValues), 51146);
    assert.equal(parseLevel(50.57, V6.powerLevelValues), undefined);
    assert.equal(parseLevel(2 ** 64, V1.powerLevelValues), undefined);
    assert.equal(parseLevel(true, V1.powerLevelValues), undefined);
  });

  test('normalisePowerLevels turns the levels a version accepts into integers and leaves v10+ content alone', () => {
    const content: JsonObject = { ban: '50', events: { 'm.room.name': '+20' }, users: { [bob]: ' 75 ' }, kick: 'lots' };
    assert.deepEqual(normalisePowerLevels(content, V9), { ban: 50, events: { 'm.room.name': 20 }, users: { [bob]: 75 }, kick: 'lots' });
    assert.equal(normalisePowerLevels(content, V10), content);
  });
});

describe('event identity by version', () => {
  test('v1-v2 events carry their id; v3 ids are standard base64 hashes, v4+ URL-safe', () => {
    const id = newLocalEventId('hush.test');
    assert.match(id, /^\$[A-Za-z0-9]{24}:hush\.test$/);
    const ev = { event_id: id, type: 'm.room.message', room_id: ROOM, sender: alice, content: { body: '??>>' }, depth: 3, origin_server_ts: 7, auth_events: [], prev_events: [], hashes: { sha256: 'x' } };
    assert.equal(eventIdIn(ev, V1), id);
    assert.throws(() => eventIdIn({ ...ev, event_id: undefined }, V2), TypeError);
    // Search for an event whose hash has + or / in standard base64, to tell v3 from v4. The id is the
    // hash of the *redacted* event, so what varies must survive redaction (the timestamp does, a
    // message body does not); a bound keeps a mistake here from spinning forever.
    let ts = 0;
    let v3 = '';
    do v3 = eventIdIn({ ...ev, origin_server_ts: ++ts }, V3);
    while (!/[+/]/.test(v3) && ts < 1000);
    const v4 = eventIdIn({ ...ev, origin_server_ts: ts }, V4);
    assert.match(v3, /^\$[A-Za-z0-9+/]{43}$/);
    assert.ok(/[+/]/.test(v3), 'found an id with + or /');
    assert.match(v4, /^\$[A-Za-z0-9_-]{43}$/);
    assert.equal(v4, v3.replace(/\+/g, '-').replace(/\//g, '_'));
    assert.equal(eventIdIn({ ...ev, origin_server_ts: ts }, V11), eventIdFor({ ...ev, origin_server_ts: ts }, '11'));
  });

  test('v1-v2 references are [id, {sha256}] pairs with the reference hash; later versions plain ids', () => {
    const target = { event_id: '$a:hush.test', type: 'm.room.message', room_id: ROOM, sender: alice, content: { body: 'x' }, depth: 1, origin_server_ts: 1, auth_events: [], prev_events: [], hashes: { sha256: 'x' } };
    const pairs = eventReferences(['$a:hush.test' as EventId], V1, () => target);
    assert.equal(pairs.length, 1);
    const [pid, hashes] = pairs[0] as [string, { sha256: string }];
    assert.equal(pid, '$a:hush.test');
    assert.match(hashes.sha256, /^[A-Za-z0-9+/]{43}$/);
    // The hash covers the redacted event: changing the message body does not change it.
    assert.deepEqual(eventReferences(['$a:hush.test' as EventId], V1, () => ({ ...target, content: { body: 'other' } })), pairs);
    assert.deepEqual(eventReferences(['$a' as EventId], V4, () => undefined), ['$a']);
    assert.throws(() => eventReferences(['$a' as EventId], V2, () => undefined), TypeError);
    assert.deepEqual(referencedIds(pairs), ['$a:hush.test']);
    assert.deepEqual(referencedIds(['$x', ['$y', {}], 3, null]), ['$x', '$y']);
  });

  test('the creator: content.creator up to v10, the sender in v11', () => {
    const create = { sender: alice, content: { creator: bob } };
    assert.equal(creatorOf(create, V10), bob);
    assert.equal(creatorOf(create, V11), alice);
    assert.equal(creatorOf({ sender: alice, content: {} }, V1), undefined);
  });

  test('redaction by version: aliases kept up to v5, join_rules allow from v8, join_authorised_via_users_server from v9', () => {
    const aliases = { type: 'm.room.aliases', content: { aliases: ['#a:b'] } };
    assert.deepEqual(redactEvent(aliases, '5').content, { aliases: ['#a:b'] });
    assert.deepEqual(redactEvent(aliases, '6').content, {});
    const jr = { type: 'm.room.join_rules', content: { join_rule: 'restricted', allow: [] } };
    assert.deepEqual(redactEvent(jr, '7').content, { join_rule: 'restricted' });
    assert.deepEqual(redactEvent(jr, '8').content, { join_rule: 'restricted', allow: [] });
    const m = { type: 'm.room.member', content: { membership: 'join', join_authorised_via_users_server: bob } };
    assert.deepEqual(redactEvent(m, '8').content, { membership: 'join' });
    assert.deepEqual(redactEvent(m, '9').content, m.content);
    assert.throws(() => redactEvent(m, '13'), RangeError);
  });
});

describe('auth rules by version', () => {
  test('rule 1.4: v1-v10 create events need content.creator; v11 does not', () => {
    for (const rv of [V1, V10]) {
      const r = checkAuth({ ...baseCreate(rv), content: { room_version: rv.id } }, { get: () => undefined }, { roomVersion: rv });
      assert.equal(r.ok, false, rv.id);
    }
    assert.equal(checkAuth({ ...baseCreate(V11), content: { room_version: '11' } }, { get: () => undefined }, { roomVersion: V11 }).ok, true);
  });

  test("the creator's first join: content.creator up to v10 (not the create event's sender)", () => {
    const room = new Room(V10);
    assert.ok(room.state.get(`m.room.member\u0000${alice}`));
    const other = new Room(V11);
    assert.ok(other.state.get(`m.room.member\u0000${alice}`));
  });

  test('m.room.aliases: v1-v5 need state_key = the sender server (any level); v6+ is an ordinary state event', () => {
    for (const rv of [V1, V5]) {
      const room = new Room(rv);
      room.ok('m.room.member', carol, { membership: 'join' }, carol);
      room.ok('m.room.aliases', carol, { aliases: [] }, 'hush.test');
      room.no('m.room.aliases', carol, { aliases: [] }, 'other.test');
    }
    const room = new Room(V6);
    room.ok('m.room.member', carol, { membership: 'join' }, carol);
    room.no('m.room.aliases', carol, { aliases: [] }, 'hush.test'); // state_default 50
    room.ok('m.room.aliases', bob, { aliases: [] }, 'other.test');
  });

  test('v1-v2 rule 11: redacting an event of another server needs the redact level; v3+ has no such rule', () => {
    for (const [rv, allowed] of [[V1, false], [V2, false], [V3, true]] as const) {
      const room = new Room(rv);
      room.ok('m.room.member', carol, { membership: 'join' }, carol);
      const target = '$remote1:elsewhere.test' as EventId;
      assert.equal(room.send('m.room.redaction', carol, {}, undefined, { redacts: target }).ok, allowed, rv.id);
      room.ok('m.room.redaction', carol, {}, undefined, { redacts: '$local:hush.test' as EventId });
      room.ok('m.room.redaction', bob, {}, undefined, { redacts: target });
    }
  });

  test('v1-v2: the server of the event_id must have signed too', () => {
    const room = new Room(V1);
    const r = room.send('m.room.message', bob, { body: 'x' }, undefined, { event_id: '$x:other.test' as EventId });
    assert.equal(r.ok, false);
    room.ok('m.room.message', bob, { body: 'x' }, undefined, { event_id: '$y:other.test' as EventId, signatures: { 'hush.test': { 'ed25519:k': 's' }, 'other.test': { 'ed25519:k': 's' } } });
    const v3 = new Room(V3);
    v3.ok('m.room.message', bob, { body: 'x' }, undefined, { event_id: '$x:other.test' as EventId });
  });

  test('knocking: no knock membership or knock join rule before v7', () => {
    for (const [rv, knocks] of [[V6, false], [V7, true]] as const) {
      const room = new Room(rv);
      room.ok('m.room.join_rules', alice, { join_rule: 'knock' }, '');
      assert.equal(room.send('m.room.member', carol, { membership: 'knock' }, carol).ok, knocks, rv.id);
      if (knocks) room.ok('m.room.member', carol, { membership: 'leave' }, carol); // rescinding a knock (v7)
      else room.no('m.room.member', carol, { membership: 'leave' }, carol);
      room.ok('m.room.member', alice, { membership: 'invite' }, carol);
      // v6 does not know the knock join rule: even an invited user cannot join under it.
      assert.equal(room.send('m.room.member', carol, { membership: 'join' }, carol).ok, knocks, rv.id);
    }
  });

  test('restricted joins from v8 (and the via member joins the auth events selection); knock_restricted from v10', () => {
    const via = { membership: 'join', join_authorised_via_users_server: bob };
    assert.equal(authEventKeys('m.room.member', carol, carol, via, V7).some(([, k]) => k === bob), false);
    assert.equal(authEventKeys('m.room.member', carol, carol, via, V8).some(([, k]) => k === bob), true);
    for (const [rv, joins] of [[V7, false], [V8, true]] as const) {
      const room = new Room(rv);
      room.ok('m.room.join_rules', alice, { join_rule: 'restricted', allow: [] }, '');
      assert.equal(room.send('m.room.member', carol, via, carol).ok, joins, rv.id);
    }
    for (const [rv, ok] of [[V9, false], [V10, true]] as const) {
      const room = new Room(rv);
      room.ok('m.room.join_rules', alice, { join_rule: 'knock_restricted', allow: [] }, '');
      assert.equal(room.send('m.room.member', carol, { membership: 'knock' }, carol).ok, ok, rv.id);
      assert.equal(room.send('m.room.member', '@dan:hush.test', via, '@dan:hush.test').ok, ok, rv.id);
    }
  });

  test('power levels: strings accepted up to v9 and compared as integers; v10 wants integers', () => {
    const v9 = new Room(V9);
    v9.ok('m.room.power_levels', alice, { users: { [alice]: '100', [bob]: '50' }, ban: '50' }, '');
    // bob (50 as a string) may not raise the ban level above his own
    v9.no('m.room.power_levels', bob, { users: { [alice]: 100, [bob]: 50 }, ban: '60' }, '');
    // "50" → 50 is no change
    v9.ok('m.room.power_levels', bob, { users: { [alice]: 100, [bob]: 50 }, ban: 50 }, '');
    v9.no('m.room.power_levels', alice, { users: { [alice]: 100, [bob]: 'fifty' } }, '');
    const v10 = new Room(V10);
    v10.no('m.room.power_levels', alice, { users: { [alice]: '100' } }, '');
    v10.no('m.room.power_levels', alice, { users: { [alice]: 100 }, ban: '50' }, '');
  });

  test('power levels: floats truncated up to v5, refused from v6', () => {
    const v5 = new Room(V5);
    v5.ok('m.room.power_levels', alice, { users: { [alice]: 100, [bob]: 50.57 } }, '');
    v5.ok('m.room.power_levels', bob, { users: { [alice]: 100, [bob]: 50 } }, ''); // 50.57 reads as 50: no change
    const v6 = new Room(V6);
    v6.no('m.room.power_levels', alice, { users: { [alice]: 100, [bob]: 50.57 } }, '');
  });

  test('power levels: notifications changes are checked from v6', () => {
    for (const [rv, checked] of [[V5, false], [V6, true]] as const) {
      const room = new Room(rv);
      room.ok('m.room.power_levels', alice, { users: { [alice]: 100, [bob]: 50 }, notifications: { room: 100 } }, '');
      const r = room.send('m.room.power_levels', bob, { users: { [alice]: 100, [bob]: 50 }, notifications: { room: 0 } }, '');
      assert.equal(r.ok, !checked, rv.id);
    }
  });

  test('checkAuthEvents reads v1-v2 [id, hashes] pairs', () => {
    const room = new Room(V1);
    const create = room.state.get('m.room.create\u0000') as Ev;
    const pl = room.state.get('m.room.power_levels\u0000') as Ev;
    const member = room.state.get(`m.room.member\u0000${bob}`) as Ev;
    const ev = { ...member, event_id: '$z:hush.test' as EventId, type: 'm.room.message', state_key: undefined, content: { body: 'x' } } as Ev;
    delete (ev as Partial<Ev>).state_key;
    ev.auth_events = [create, pl, member].map((e) => [e.event_id, { sha256: 'h' }]) as unknown as EventId[];
    assert.deepEqual(checkAuthEvents(ev, [create, pl, member], V1), { ok: true });
  });
});

function baseCreate(rv: RoomVersion): Ev {
  return {
    event_id: `$c${++n}:hush.test` as EventId,
    auth_events: [],
    prev_events: [],
    content: { creator: alice, room_version: rv.id },
    depth: 1,
    hashes: { sha256: 'x' },
    origin_server_ts: 1,
    room_id: ROOM,
    sender: alice as UserId,
    signatures: { 'hush.test': { 'ed25519:k': 's' } },
    type: 'm.room.create',
    state_key: '',
  };
}
