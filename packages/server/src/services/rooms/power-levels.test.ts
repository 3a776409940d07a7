// Tests for power-levels.ts: defaults with and without an m.room.power_levels event, lookups, the
// client-server helpers, and the rule 9.1-9.3 shape checks.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonObject, UserId } from '@hush/protocol';
import {
  canBan,
  canInvite,
  canKick,
  canNotify,
  canRedactOthers,
  canSend,
  canUnban,
  eventLevel,
  notificationLevel,
  powerLevelsContentProblem,
  powerLevelsFrom,
  userLevel,
} from './power-levels.ts';

const creator = '@alice:hush.test' as UserId;
const bob = '@bob:hush.test';
const create = { sender: creator };

describe('powerLevelsFrom without a power levels event', () => {
  const pl = powerLevelsFrom(undefined, create);

  it('gives the creator 100 and everyone else 0', () => {
    assert.equal(userLevel(pl, creator), 100);
    assert.equal(userLevel(pl, bob), 0);
  });

  it('uses the spec defaults: state 50, events 0, ban/kick/redact 50, invite 0, @room 50', () => {
    assert.equal(pl.stateDefault, 50);
    assert.equal(pl.eventsDefault, 0);
    assert.equal(pl.ban, 50);
    assert.equal(pl.kick, 50);
    assert.equal(pl.redact, 50);
    assert.equal(pl.invite, 0);
    assert.equal(notificationLevel(pl, 'room'), 50);
  });

  it('has no creator entry when the create event is unknown', () => {
    assert.equal(userLevel(powerLevelsFrom(undefined, undefined), creator), 0);
  });
});

describe('powerLevelsFrom with content', () => {
  it('does not give the creator anything special', () => {
    const pl = powerLevelsFrom({ users: { [bob]: 10 } }, create);
    assert.equal(userLevel(pl, creator), 0);
    assert.equal(userLevel(pl, bob), 10);
  });

  it('fills missing properties with the defaults', () => {
    const pl = powerLevelsFrom({}, create);
    assert.deepEqual(
      [pl.usersDefault, pl.eventsDefault, pl.stateDefault, pl.ban, pl.kick, pl.redact, pl.invite, notificationLevel(pl, 'room')],
      [0, 0, 50, 50, 50, 50, 0, 50],
    );
  });

  it('reads every property', () => {
    const content: JsonObject = {
      users: { [bob]: 42 },
      users_default: 5,
      events: { 'm.room.name': 70 },
      events_default: 3,
      state_default: 60,
      ban: 80,
      kick: 75,
      redact: 65,
      invite: 20,
      notifications: { room: 30 },
    };
    const pl = powerLevelsFrom(content, create);
    assert.equal(userLevel(pl, bob), 42);
    assert.equal(userLevel(pl, '@nobody:hush.test'), 5);
    assert.equal(eventLevel(pl, 'm.room.name', true), 70);
    assert.equal(eventLevel(pl, 'm.room.topic', true), 60);
    assert.equal(eventLevel(pl, 'm.room.message', false), 3);
    assert.deepEqual([pl.ban, pl.kick, pl.redact, pl.invite, notificationLevel(pl, 'room')], [80, 75, 65, 20, 30]);
  });

  it('ignores values that are not integers (v10+ never stores them)', () => {
    const pl = powerLevelsFrom({ ban: '10', kick: 1.5, users: { [bob]: '99' }, events: { x: null } } as JsonObject, create);
    assert.equal(pl.ban, 50);
    assert.equal(pl.kick, 50);
    assert.equal(userLevel(pl, bob), 0);
    assert.equal(eventLevel(pl, 'x', false), 0);
  });

  it('treats __proto__ as an ordinary key', () => {
    const content = JSON.parse('{"events": {"__proto__": 7}, "users": {"@x:hush.test": 1}}') as JsonObject;
    const pl = powerLevelsFrom(content, create);
    assert.equal(eventLevel(pl, '__proto__', false), 7);
    assert.equal(eventLevel(pl, 'constructor', false), 0);
    assert.equal(userLevel(pl, 'constructor'), 0);
  });
});

describe('permission helpers', () => {
  const pl = powerLevelsFrom(
    { users: { [creator]: 100, [bob]: 50, '@mod:hush.test': 60 }, kick: 50, ban: 60, redact: 50, invite: 10, events: { 'm.room.redaction': 0 } },
    create,
  );

  it('canSend uses events, then state_default / events_default', () => {
    assert.equal(canSend(pl, bob, 'm.room.topic', true), true); // state_default 50
    assert.equal(canSend(pl, '@carol:hush.test', 'm.room.topic', true), false);
    assert.equal(canSend(pl, '@carol:hush.test', 'm.room.message', false), true);
  });

  it('canInvite compares with invite', () => {
    assert.equal(canInvite(pl, bob), true);
    assert.equal(canInvite(pl, '@carol:hush.test'), false);
  });

  it('canKick / canBan need the level and, with a target, a higher level than it', () => {
    assert.equal(canKick(pl, bob), true);
    assert.equal(canKick(pl, bob, '@carol:hush.test'), true);
    assert.equal(canKick(pl, bob, '@mod:hush.test'), false);
    assert.equal(canKick(pl, bob, bob), false);
    assert.equal(canBan(pl, bob), false);
    assert.equal(canBan(pl, '@mod:hush.test', bob), true);
    assert.equal(canBan(pl, '@mod:hush.test', creator), false);
  });

  it('canUnban needs both kick and ban levels', () => {
    assert.equal(canUnban(pl, '@mod:hush.test', '@carol:hush.test'), true);
    assert.equal(canUnban(pl, bob, '@carol:hush.test'), false);
  });

  it('canRedactOthers compares with redact; canNotify with notifications.room', () => {
    assert.equal(canRedactOthers(pl, bob), true);
    assert.equal(canRedactOthers(pl, '@carol:hush.test'), false);
    assert.equal(canNotify(pl, bob), true);
    assert.equal(canNotify(pl, '@carol:hush.test'), false);
  });
});

describe('powerLevelsContentProblem (auth rules 9.1-9.3)', () => {
  const cases: [string, JsonObject, RegExp | null][] = [
    ['empty content is fine', {}, null],
    ['a full valid content is fine', { users: { [bob]: 1 }, users_default: 0, events: { a: 1 }, notifications: { room: 1 }, ban: -5 }, null],
    ['unknown extra keys are not checked', { historical: 'whatever' } as JsonObject, null],
    ['9.1 string level', { ban: '50' }, /"ban" must be an integer.*9\.1/],
    ['9.1 float level', { kick: 1.5 }, /"kick".*9\.1/],
    ['9.1 null level', { invite: null }, /"invite".*9\.1/],
    ['9.1 unsafe integer', { redact: 2 ** 53 }, /"redact".*9\.1/],
    ['9.2 events not an object', { events: [] as JsonObject[] } as JsonObject, /"events" must be an object.*9\.2/],
    ['9.2 events value a string', { events: { 'm.room.name': '50' } }, /"events"."m.room.name".*9\.2/],
    ['9.2 notifications value a string', { notifications: { room: '50' } }, /"notifications"."room".*9\.2/],
    ['9.3 users not an object', { users: 5 }, /"users" must be an object.*9\.3/],
    ['9.3 users key not a user ID', { users: { alice: 5 } }, /not a valid user ID.*9\.3/],
    ['9.3 users value a string', { users: { [bob]: '5' } }, /must be an integer.*9\.3/],
  ];
  for (const [name, content, expected] of cases) {
    it(name, () => {
      const problem = powerLevelsContentProblem(content);
      if (expected === null) assert.equal(problem, null);
      else assert.match(problem ?? '', expected);
    });
  }
});
