// The pure policy on its own: each list's parser and the verdicts built from it, for the newest
// proposals (MSC4494, MSC4294, MSC4365, MSC4380's unstable name) and their interplay with the rest.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MatrixError } from '../errors.ts';
import { hidesInvite, hidesUser, ignoreReason, inviteBlockRule, inviteRule, rejectsInviteFrom } from './policy.ts';
import { compileIgnoreRules, parseIgnoredUserListContent, parseInvitePermission, validateIgnoreListWrite, viewFromLists, type PolicyListOptions } from './lists.ts';

const ME = '@me:home.example';
const view = (lists: Record<string, unknown>, ignoreRules: ReturnType<typeof compileIgnoreRules> | null = null) =>
  viewFromLists(ME, new Map(Object.entries(lists).map(([k, v]) => [k, JSON.stringify(v)])), 1, { rules: null, ignoreRules, sources: [] });
const ban = (type: string, entity: string) => ({ type, content: { recommendation: 'm.ban', entity } });
const opts = (o: Partial<PolicyListOptions> = {}): PolicyListOptions => ({ useGlobs: true, useServerBans: true, useBannedRooms: false, ...o });
const badJson = (fn: () => unknown) => assert.throws(fn, (e: unknown) => e instanceof MatrixError && e.errcode === 'M_BAD_JSON');

test('MSC4494: deny_public and its unstable value; anything else unknown means allow; non-string is M_BAD_JSON', () => {
  assert.equal(parseInvitePermission({ default_action: 'deny_public' }), 'deny_public');
  assert.equal(parseInvitePermission({ default_action: 'uk.timedout.msc4494.deny_public' }), 'deny_public');
  assert.equal(parseInvitePermission({ default_action: 'block' }), 'block');
  assert.equal(parseInvitePermission({ default_action: 'something_new' }), 'allow');
  assert.equal(parseInvitePermission({}), 'allow');
  badJson(() => parseInvitePermission({ default_action: 1 }));
});

test('MSC4494: the shared-room fact is asked only under deny_public, and decides', async () => {
  let asked = 0;
  const fact = (answer: boolean) => async () => {
    asked++;
    return answer;
  };
  assert.equal(await inviteBlockRule(view({}), '@x:y', fact(false)), null);
  assert.equal(asked, 0, 'not asked without deny_public');
  const deny = view({ 'm.invite_permission_config': { default_action: 'deny_public' } });
  assert.equal(await inviteBlockRule(deny, '@x:y', fact(false)), 'm.invite_permission_config default_action deny_public');
  assert.equal(await inviteBlockRule(deny, '@x:y', fact(true)), null);
  assert.equal(asked, 2);
  assert.equal(hidesInvite(deny, '@x:y', '!r:y'), false, 'deny_public acts when the invite is sent, not when it is read');
});

test('MSC4380: the unstable name counts too, and the stricter setting of the two applies', async () => {
  const never = async () => false;
  const unstable = view({ 'org.matrix.msc4380.invite_permission_config': { default_action: 'block' } });
  assert.notEqual(await inviteBlockRule(unstable, '@x:y', never), null);
  const both = view({ 'm.invite_permission_config': { default_action: 'deny_public' }, 'org.matrix.msc4380.invite_permission_config': { default_action: 'block' } });
  assert.equal(await inviteBlockRule(both, '@x:y', async () => true), 'm.invite_permission_config default_action block');
});

test('MSC4294: listed inviters are rejected (either list form), ignored users only in reject mode; messages are not hidden', () => {
  const v = view({ 'm.ignored_inviters_list': { ignored_inviters: { '@spam:x': {} } }, 'm.ignored_user_list': { ignored_users: { '@troll:x': {} }, ignored_inviters: { '@other:x': {} } } });
  assert.equal(rejectsInviteFrom(v, '@spam:x', false), true);
  assert.equal(rejectsInviteFrom(v, '@other:x', false), true, 'ignored_inviters inside m.ignored_user_list');
  assert.equal(rejectsInviteFrom(v, '@troll:x', false), false, 'ignored users are rejected only in reject mode');
  assert.equal(rejectsInviteFrom(v, '@troll:x', true), true);
  assert.equal(hidesUser(v, '@spam:x'), false, 'a rejected inviter is still heard');
  assert.equal(inviteRule(v, '@spam:x', '!r:x'), 'm.ignored_inviters_list');
  assert.throws(() => validateIgnoreListWrite(ME, 'm.ignored_inviters_list', { ignored_inviters: { [ME]: {} } }), (e: unknown) => e instanceof MatrixError && e.errcode === 'M_INVALID_PARAM');
  badJson(() => validateIgnoreListWrite(ME, 'm.ignored_inviters_list', { ignored_inviters: ['@a:b'] }));
});

test('MSC4365: options are validated, defaults are globs on, server bans on, banned rooms off', () => {
  const parsed = parseIgnoredUserListContent({ ignored_users: {}, ignored_user_list_rooms: { '!p:x': {}, '!q:x': { use_globs: false, use_server_bans: false, use_banned_rooms: true, apply_retroactively: false } } });
  assert.deepEqual(parsed.ruleRooms.get('!p:x'), opts());
  assert.deepEqual(parsed.ruleRooms.get('!q:x'), opts({ useGlobs: false, useServerBans: false, useBannedRooms: true }));
  assert.equal(parseIgnoredUserListContent({ ignored_users: {}, 'gay.rory.msc9999.ignored_user_list_rooms': { '!u:x': {} } }).ruleRooms.size, 1, 'the draft unstable key');
  for (const bad of [[], { '!p:x': [] }, { 'p:x': {} }, { '!p:x': { use_globs: 1 } }]) badJson(() => parseIgnoredUserListContent({ ignored_users: {}, ignored_user_list_rooms: bad }));
  badJson(() => parseIgnoredUserListContent({ ignored_users: {}, ignored_user_list_rooms: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`!r${i}:x`, {}])) }));
});

test('MSC4365: rules ignore like the list itself, per their options; never yourself', () => {
  const rules = [ban('m.policy.rule.user', '@spam*:bad.example'), ban('m.policy.rule.user', '@exact:ok.example'), ban('m.policy.rule.server', 'evil.example'), ban('m.policy.rule.room', '!banned:x')];
  const all = view({}, compileIgnoreRules([{ rules, options: opts({ useBannedRooms: true }) }]));
  assert.equal(ignoreReason(all, '@spam42:bad.example'), 'm.ignored_user_list ignored_user_list_rooms m.policy.rule.user');
  assert.equal(ignoreReason(all, '@anyone:evil.example'), 'm.ignored_user_list ignored_user_list_rooms m.policy.rule.server');
  assert.equal(hidesUser(all, '@friend:ok.example'), false);
  assert.equal(inviteRule(all, '@friend:ok.example', '!banned:x'), 'm.ignored_user_list ignored_user_list_rooms m.policy.rule.room');

  const strict = view({}, compileIgnoreRules([{ rules, options: opts({ useGlobs: false, useServerBans: false }) }]));
  assert.equal(hidesUser(strict, '@spam42:bad.example'), false, 'glob rules skipped without use_globs');
  assert.equal(hidesUser(strict, '@exact:ok.example'), true, 'exact rules apply');
  assert.equal(hidesUser(strict, '@anyone:evil.example'), false, 'server rules skipped without use_server_bans');
  assert.equal(inviteRule(strict, '@friend:ok.example', '!banned:x'), null, 'room rules only with use_banned_rooms');

  const selfBan = viewFromLists(ME, new Map(), 1, { rules: null, ignoreRules: compileIgnoreRules([{ rules: [ban('m.policy.rule.user', '@*')], options: opts() }]), sources: [] });
  assert.equal(hidesUser(selfBan, ME), false, 'a rule never hides the viewer');
  assert.equal(hidesUser(selfBan, '@x:y'), true);
  const notBan = compileIgnoreRules([{ rules: [{ type: 'm.policy.rule.user', content: { recommendation: 'org.example.warn', entity: '@x:y' } }], options: opts() }]);
  assert.equal(hidesUser(view({}, notBan), '@x:y'), false, 'only m.ban counts');
});
