// The server-default push rules against the spec's "Predefined Rules" (client-server API, push
// notifications module) and against the response schema
// of GET /pushrules/ (push_ruleset.yaml).

import { test } from 'node:test';
import { assertResponseMatchesSpec } from '../../../../../tests/support/openapi.ts';
import assert from 'node:assert/strict';
import type { PushRule } from '@hush/protocol';
import { defaultPushRules } from './default-rules.ts';

const USER = '@alice:example.org';

// Rule ids in the order the spec's "Predefined Rules" section lists them, per kind.
const SPEC_OVERRIDE = [
  '.m.rule.master',
  '.m.rule.suppress_notices',
  '.m.rule.invite_for_me',
  '.m.rule.member_event',
  '.m.rule.is_user_mention',
  '.m.rule.contains_display_name',
  '.m.rule.is_room_mention',
  '.m.rule.roomnotif',
  '.m.rule.tombstone',
  '.m.rule.reaction',
  '.m.rule.room.server_acl',
  '.m.rule.suppress_edits',
];
const SPEC_CONTENT = ['.m.rule.contains_user_name'];
const SPEC_UNDERRIDE = ['.m.rule.call', '.m.rule.encrypted_room_one_to_one', '.m.rule.room_one_to_one', '.m.rule.message', '.m.rule.encrypted'];

const ids = (rules: PushRule[] | undefined) => (rules ?? []).map((r) => r.rule_id);
const find = (rules: PushRule[] | undefined, id: string): PushRule => {
  const r = (rules ?? []).find((x) => x.rule_id === id);
  assert.ok(r, `missing ${id}`);
  return r;
};

test('rule ids and order follow the spec, per kind', () => {
  const { global } = defaultPushRules(USER);
  assert.deepEqual(ids(global.override), SPEC_OVERRIDE);
  assert.deepEqual(ids(global.content), SPEC_CONTENT);
  assert.deepEqual(ids(global.underride), SPEC_UNDERRIDE);
  assert.deepEqual(global.sender, []);
  assert.deepEqual(global.room, []);
});

test('every rule is a server default; only .m.rule.master is disabled', () => {
  const { global } = defaultPushRules(USER);
  for (const r of [...(global.override ?? []), ...(global.content ?? []), ...(global.underride ?? [])]) {
    assert.equal(r.default, true, r.rule_id);
    assert.ok(r.rule_id.startsWith('.'), r.rule_id);
    assert.equal(r.enabled, r.rule_id !== '.m.rule.master', r.rule_id);
    assert.ok(Array.isArray(r.actions), r.rule_id);
  }
  for (const r of [...(global.override ?? []), ...(global.underride ?? [])]) {
    assert.ok(Array.isArray(r.conditions), `${r.rule_id} has conditions`);
    assert.equal(r.pattern, undefined, r.rule_id);
  }
  for (const r of global.content ?? []) {
    assert.equal(r.conditions, undefined, r.rule_id);
    assert.equal(typeof r.pattern, 'string', r.rule_id);
  }
});

test('user-dependent fields carry the user id and localpart', () => {
  const { global } = defaultPushRules(USER);
  const invite = find(global.override, '.m.rule.invite_for_me');
  assert.deepEqual(invite.conditions, [
    { kind: 'event_match', key: 'type', pattern: 'm.room.member' },
    { kind: 'event_match', key: 'content.membership', pattern: 'invite' },
    { kind: 'event_match', key: 'state_key', pattern: USER },
  ]);
  assert.deepEqual(invite.actions, ['notify', { set_tweak: 'sound', value: 'default' }]);

  const mention = find(global.override, '.m.rule.is_user_mention');
  assert.deepEqual(mention.conditions, [{ kind: 'event_property_contains', key: 'content.m\\.mentions.user_ids', value: USER }]);
  assert.deepEqual(mention.actions, ['notify', { set_tweak: 'sound', value: 'default' }, { set_tweak: 'highlight' }]);

  assert.equal(find(global.content, '.m.rule.contains_user_name').pattern, 'alice');
  assert.equal(find(defaultPushRules('@bob.smith:host:8448').global.content, '.m.rule.contains_user_name').pattern, 'bob.smith');
});

test('a sample of definitions matches the spec text', () => {
  const { global } = defaultPushRules(USER);
  assert.deepEqual(find(global.override, '.m.rule.master'), { rule_id: '.m.rule.master', default: true, enabled: false, conditions: [], actions: [] });
  assert.deepEqual(find(global.override, '.m.rule.tombstone').conditions, [
    { kind: 'event_match', key: 'type', pattern: 'm.room.tombstone' },
    { kind: 'event_match', key: 'state_key', pattern: '' },
  ]);
  assert.deepEqual(find(global.override, '.m.rule.is_room_mention').conditions, [
    { kind: 'event_property_is', key: 'content.m\\.mentions.room', value: true },
    { kind: 'sender_notification_permission', key: 'room' },
  ]);
  assert.deepEqual(find(global.override, '.m.rule.suppress_edits').conditions, [
    { kind: 'event_property_is', key: 'content.m\\.relates_to.rel_type', value: 'm.replace' },
  ]);
  assert.deepEqual(find(global.underride, '.m.rule.call').actions, ['notify', { set_tweak: 'sound', value: 'ring' }]);
  assert.deepEqual(find(global.underride, '.m.rule.room_one_to_one').conditions, [
    { kind: 'room_member_count', is: '2' },
    { kind: 'event_match', key: 'type', pattern: 'm.room.message' },
  ]);
  assert.deepEqual(find(global.underride, '.m.rule.message').actions, ['notify']);
});

test('each call returns an independent copy', () => {
  const a = defaultPushRules(USER);
  const b = defaultPushRules(USER);
  const actions = find(a.global.override, '.m.rule.invite_for_me').actions;
  const tweak = actions[1];
  assert.ok(typeof tweak === 'object');
  tweak.value = 'changed';
  a.global.override?.pop();
  assert.deepEqual(find(b.global.override, '.m.rule.invite_for_me').actions[1], { set_tweak: 'sound', value: 'default' });
  assert.equal(b.global.override?.length, SPEC_OVERRIDE.length);
});

test('the ruleset validates against the spec response schemas', () => {
  const rules = defaultPushRules(USER);
  assertResponseMatchesSpec('GET', '/_matrix/client/v3/pushrules/', 200, rules);
  assertResponseMatchesSpec('GET', '/_matrix/client/v3/pushrules/global/', 200, rules.global);
});
