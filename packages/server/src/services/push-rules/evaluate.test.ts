// The push-rule evaluator against the spec's examples ("Conditions" in the push module: the
// event_match topic and body examples, event_property_is with m.federate, event_property_contains
// with alt_aliases) and against the server-default rules: first match wins, in kind order.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonObject, PushCondition, PushRuleset } from '@hush/protocol';
import { compileRuleset, evaluate, splitPath, type EvalContext } from './evaluate.ts';
import { defaultPushRules } from './default-rules.ts';

const ME = '@alice:example.org';

function ctx(over: Partial<{ name: string | null; members: number; mayNotify: boolean }> = {}): EvalContext {
  return {
    userId: ME,
    displayName: () => (over.name === undefined ? 'Alice Liddell' : over.name),
    memberCount: () => over.members ?? 5,
    senderMayNotify: () => over.mayNotify ?? true,
  };
}

/** Whether one override rule with these conditions matches `ev`. */
function matches(conditions: PushCondition[], ev: JsonObject, c = ctx()): boolean {
  const rs: PushRuleset = { override: [{ rule_id: 'x', default: false, enabled: true, conditions, actions: ['notify'] }] };
  return evaluate(compileRuleset(rs), ev, c).ruleId === 'x';
}

const topic = (t: unknown): JsonObject => ({ type: 'm.room.topic', state_key: '', sender: '@example:example.org', room_id: '!r:example.com', content: t === undefined ? {} : { topic: t } as JsonObject });
const body = (b: string): JsonObject => ({ type: 'm.room.message', sender: '@example:example.org', room_id: '!r:example.com', content: { body: b } });

describe('event_match', () => {
  const cond: PushCondition[] = [{ kind: 'event_match', key: 'content.topic', pattern: 'lunc?*' }];
  const cases: [unknown, boolean][] = [
    ['Lunch plans', true],
    ['LUNCH', true],
    [' lunch', false],
    ['lunc', false],
    [null, false],
    [undefined, false],
  ];
  for (const [value, want] of cases) {
    test(`topic ${JSON.stringify(value)} against lunc?* → ${want} (spec example)`, () => assert.equal(matches(cond, topic(value)), want));
  }
  test('a pattern of * does not match an absent or non-string property', () => {
    assert.equal(matches([{ kind: 'event_match', key: 'content.topic', pattern: '*' }], topic(undefined)), false);
    assert.equal(matches([{ kind: 'event_match', key: 'content.topic', pattern: '*' }], topic(3)), false);
  });
  const bodyCases: [string, boolean][] = [
    ['An example event.', true],
    ['exple', true],
    ['An exciting triple-whammy', true],
    ['Anexample event', false],
    ['examples', false],
  ];
  for (const [b, want] of bodyCases) {
    test(`content.body ${JSON.stringify(b)} against ex*ple → ${want} (word boundaries)`, () =>
      assert.equal(matches([{ kind: 'event_match', key: 'content.body', pattern: 'ex*ple' }], body(b)), want));
  }
  test('regular-expression characters in a pattern are literal', () => {
    assert.equal(matches([{ kind: 'event_match', key: 'type', pattern: 'm.room.(x)+' }], { type: 'm.room.(x)+', content: {} }), true);
    assert.equal(matches([{ kind: 'event_match', key: 'type', pattern: 'm.room.(x)+' }], { type: 'm.roomX(x)', content: {} }), false);
  });
  test('state_key "" matches only state events', () => {
    const c: PushCondition[] = [{ kind: 'event_match', key: 'state_key', pattern: '' }];
    assert.equal(matches(c, topic('x')), true);
    assert.equal(matches(c, body('x')), false);
  });
});

describe('event_property_is / event_property_contains', () => {
  const create = (federate: unknown): JsonObject => ({ type: 'm.room.create', state_key: '', sender: '@e:example.org', content: { 'm.federate': federate } as JsonObject });
  const cond: PushCondition[] = [{ kind: 'event_property_is', key: 'content.m\\.federate', value: true }];
  test('content.m\\.federate is true: true matches, "true" and 1 do not (spec example)', () => {
    assert.equal(matches(cond, create(true)), true);
    assert.equal(matches(cond, create('true')), false);
    assert.equal(matches(cond, create(1)), false);
  });
  test('null matches null and not an absent property', () => {
    const c: PushCondition[] = [{ kind: 'event_property_is', key: 'content.x', value: null }];
    assert.equal(matches(c, { type: 't', content: { x: null } }), true);
    assert.equal(matches(c, { type: 't', content: {} }), false);
  });
  const aliases = (list: unknown): JsonObject => ({ type: 'm.room.canonical_alias', state_key: '', content: { alias: '#somewhere:localhost', alt_aliases: list } as JsonObject });
  const contains: PushCondition[] = [{ kind: 'event_property_contains', key: 'content.alt_aliases', value: '#myroom:example.com' }];
  test('alt_aliases contains #myroom:example.com (spec example); a partial value or a non-array does not', () => {
    assert.equal(matches(contains, aliases(['#somewhere:example.org', '#myroom:example.com'])), true);
    assert.equal(matches(contains, aliases([':example.com'])), false);
    assert.equal(matches(contains, aliases('#myroom:example.com')), false);
  });
  test('paths: \\. is a literal dot, \\\\ a backslash', () => {
    assert.deepEqual(splitPath('content.m\\.mentions.user_ids'), ['content', 'm.mentions', 'user_ids']);
    assert.deepEqual(splitPath('a\\\\.b'), ['a\\', 'b']);
  });
});

describe('contains_display_name, room_member_count, sender_notification_permission, unknown kinds', () => {
  test('display name at word boundaries, case-insensitive, as literal text', () => {
    const c: PushCondition[] = [{ kind: 'contains_display_name' }];
    assert.equal(matches(c, body('hi alice liddell!')), true);
    assert.equal(matches(c, body('hi AliceLiddellX')), false);
    assert.equal(matches(c, body('a.b'), ctx({ name: 'a*b' })), false);
    assert.equal(matches(c, body('hi a*b'), ctx({ name: 'a*b' })), true);
    assert.equal(matches(c, body('anything'), ctx({ name: null })), false);
  });
  const member = (is: string, n: number) => matches([{ kind: 'room_member_count', is }], body('x'), ctx({ members: n }));
  test('room_member_count: ==, <, >, <=, >= and no prefix', () => {
    assert.equal(member('2', 2), true);
    assert.equal(member('==2', 3), false);
    assert.equal(member('<3', 2), true);
    assert.equal(member('<3', 3), false);
    assert.equal(member('>3', 4), true);
    assert.equal(member('<=10', 10), true);
    assert.equal(member('>=10', 9), false);
    assert.equal(member('two', 2), false);
  });
  test('sender_notification_permission asks the context', () => {
    const c: PushCondition[] = [{ kind: 'sender_notification_permission', key: 'room' }];
    assert.equal(matches(c, body('x'), ctx({ mayNotify: true })), true);
    assert.equal(matches(c, body('x'), ctx({ mayNotify: false })), false);
  });
  test('an unrecognised condition never matches', () => {
    assert.equal(matches([{ kind: 'org.example.always' }], body('x')), false);
  });
});

describe('the server-default rules', () => {
  const rules = compileRuleset(defaultPushRules(ME).global);
  const msg = (content: JsonObject, sender = '@bob:example.org'): JsonObject => ({ type: 'm.room.message', sender, room_id: '!r:example.org', content });
  const cases: { name: string; ev: JsonObject; c?: EvalContext; rule: string | null; notify: boolean; highlight: boolean }[] = [
    { name: 'a message in a group room', ev: msg({ msgtype: 'm.text', body: 'hello' }), rule: '.m.rule.message', notify: true, highlight: false },
    { name: 'a message in a 1:1 room', ev: msg({ msgtype: 'm.text', body: 'hello' }), c: ctx({ members: 2 }), rule: '.m.rule.room_one_to_one', notify: true, highlight: false },
    { name: 'a notice', ev: msg({ msgtype: 'm.notice', body: 'alice' }), rule: '.m.rule.suppress_notices', notify: false, highlight: false },
    { name: 'an m.mentions user mention', ev: msg({ body: 'hey', 'm.mentions': { user_ids: [ME] } }), rule: '.m.rule.is_user_mention', notify: true, highlight: true },
    { name: 'the display name in the body', ev: msg({ body: 'ask Alice Liddell' }), rule: '.m.rule.contains_display_name', notify: true, highlight: true },
    { name: 'the display name with m.mentions present: the legacy rule is off', ev: msg({ body: 'ask Alice Liddell', 'm.mentions': {} }), rule: '.m.rule.message', notify: true, highlight: false },
    { name: 'the localpart in the body', ev: msg({ body: 'ALICE: lunch?' }), c: ctx({ name: null }), rule: '.m.rule.contains_user_name', notify: true, highlight: true },
    { name: '@room from a sender allowed to', ev: msg({ body: '@room lunch' }), c: ctx({ name: null }), rule: '.m.rule.roomnotif', notify: true, highlight: true },
    { name: '@room from a sender not allowed to', ev: msg({ body: '@room lunch' }), c: ctx({ name: null, mayNotify: false }), rule: '.m.rule.message', notify: true, highlight: false },
    { name: 'an invite for me', ev: { type: 'm.room.member', state_key: ME, sender: '@bob:example.org', content: { membership: 'invite' } }, rule: '.m.rule.invite_for_me', notify: true, highlight: false },
    { name: 'someone else joining', ev: { type: 'm.room.member', state_key: '@carol:example.org', sender: '@carol:example.org', content: { membership: 'join' } }, rule: '.m.rule.member_event', notify: false, highlight: false },
    { name: 'a reaction', ev: { type: 'm.reaction', sender: '@bob:example.org', content: {} }, rule: '.m.rule.reaction', notify: false, highlight: false },
    { name: 'an edit', ev: msg({ body: '* alice', 'm.relates_to': { rel_type: 'm.replace', event_id: '$x' } }), rule: '.m.rule.suppress_edits', notify: false, highlight: false },
    { name: 'a tombstone', ev: { type: 'm.room.tombstone', state_key: '', sender: '@bob:example.org', content: {} }, rule: '.m.rule.tombstone', notify: true, highlight: true },
    { name: 'a call invite', ev: { type: 'm.call.invite', sender: '@bob:example.org', content: {} }, rule: '.m.rule.call', notify: true, highlight: false },
    { name: 'an encrypted event in a 1:1 room', ev: { type: 'm.room.encrypted', sender: '@bob:example.org', content: {} }, c: ctx({ members: 2 }), rule: '.m.rule.encrypted_room_one_to_one', notify: true, highlight: false },
    { name: 'a topic change: no rule matches', ev: topic('Lunch'), rule: null, notify: false, highlight: false },
  ];
  for (const k of cases) {
    test(k.name, () => {
      const v = evaluate(rules, k.ev, k.c ?? ctx());
      assert.deepEqual({ rule: v.ruleId, notify: v.notify, highlight: v.highlight }, { rule: k.rule, notify: k.notify, highlight: k.highlight });
    });
  }
  test('the sound tweak travels with the verdict; highlight without a value is true', () => {
    const v = evaluate(rules, msg({ body: 'hi', 'm.mentions': { user_ids: [ME] } }), ctx());
    assert.deepEqual(v.tweaks, { sound: 'default', highlight: true });
  });
  test('.m.rule.master, when enabled, silences everything; disabled rules never match; dont_notify is ignored', () => {
    const rs = defaultPushRules(ME).global;
    (rs.override ?? [])[0]!.enabled = true;
    (rs.override ?? [])[0]!.actions = ['dont_notify'];
    const v = evaluate(compileRuleset(rs), msg({ body: 'hey', 'm.mentions': { user_ids: [ME] } }), ctx());
    assert.deepEqual({ rule: v.ruleId, notify: v.notify, actions: v.actions }, { rule: '.m.rule.master', notify: false, actions: [] });
    const rs2 = defaultPushRules(ME).global;
    for (const r of rs2.underride ?? []) r.enabled = false;
    assert.equal(evaluate(compileRuleset(rs2), msg({ body: 'hello' }), ctx()).ruleId, null);
  });
  test('kind order: a room rule comes before a sender rule, both before underride', () => {
    const rs = defaultPushRules(ME).global;
    rs.room = [{ rule_id: '!r:example.org', default: false, enabled: true, actions: [] }];
    rs.sender = [{ rule_id: '@bob:example.org', default: false, enabled: true, actions: ['notify', { set_tweak: 'sound', value: 'bob' }] }];
    assert.equal(evaluate(compileRuleset(rs), msg({ body: 'hello' }), ctx()).ruleId, '!r:example.org');
    assert.equal(evaluate(compileRuleset(rs), { ...msg({ body: 'hello' }), room_id: '!other:example.org' }, ctx()).ruleId, '@bob:example.org');
  });
});

describe('patterns and names holding "-" (a regular expression with the u flag refuses `\\-`)', () => {
  test('event_match on a user id and on a body word, contains_display_name with a hyphenated name', () => {
    assert.equal(matches([{ kind: 'event_match', key: 'state_key', pattern: '@jean-luc:example.org' }], { ...topic('x'), state_key: '@jean-luc:example.org' }), true);
    assert.equal(matches([{ kind: 'event_match', key: 'state_key', pattern: '@jean-luc:example.org' }], { ...topic('x'), state_key: '@jeanXluc:example.org' }), false);
    assert.equal(matches([{ kind: 'event_match', key: 'content.body', pattern: 'jean-luc' }], body('hi Jean-Luc!')), true);
    assert.equal(matches([{ kind: 'contains_display_name' }], body('ask Jean-Luc now'), ctx({ name: 'Jean-Luc' })), true);
    assert.equal(matches([{ kind: 'contains_display_name' }], body('ask Jean now'), ctx({ name: 'Jean-Luc' })), false);
  });
});
