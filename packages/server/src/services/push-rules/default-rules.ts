// The server-default push rules ("Predefined Rules" in the push notifications module of the
// client-server API), in the order the spec lists them, with the user-dependent patterns filled in.
// Shape: the body of GET /pushrules/ ({ global: PushRuleset }).

import type { PushAction, PushCondition, PushRule, PushRulesResponse } from '@hush/protocol';

const NOTIFY = 'notify';
const SOUND_DEFAULT: PushAction = { set_tweak: 'sound', value: 'default' };
const SOUND_RING: PushAction = { set_tweak: 'sound', value: 'ring' };
/** A highlight tweak without `value` means `true`. */
const HIGHLIGHT: PushAction = { set_tweak: 'highlight' };

const eventMatch = (key: string, pattern: string): PushCondition => ({ kind: 'event_match', key, pattern });
const memberCount = (is: string): PushCondition => ({ kind: 'room_member_count', is });

function rule(rule_id: string, conditions: PushCondition[], actions: PushAction[], enabled = true): PushRule {
  return { rule_id, default: true, enabled, conditions, actions };
}

/** `@local:server` → `local` (the whole string when it has no `:`). */
function localpart(userId: string): string {
  const body = userId.startsWith('@') ? userId.slice(1) : userId;
  const colon = body.indexOf(':');
  return colon === -1 ? body : body.slice(0, colon);
}

/** A fresh copy of the server-default ruleset for `userId` (callers may mutate it). */
export function defaultPushRules(userId: string): PushRulesResponse {
  const override: PushRule[] = [
    rule('.m.rule.master', [], [], false),
    rule('.m.rule.suppress_notices', [eventMatch('content.msgtype', 'm.notice')], []),
    rule(
      '.m.rule.invite_for_me',
      [eventMatch('type', 'm.room.member'), eventMatch('content.membership', 'invite'), eventMatch('state_key', userId)],
      [NOTIFY, SOUND_DEFAULT],
    ),
    rule('.m.rule.member_event', [eventMatch('type', 'm.room.member')], []),
    rule(
      '.m.rule.is_user_mention',
      [{ kind: 'event_property_contains', key: 'content.m\\.mentions.user_ids', value: userId }],
      [NOTIFY, SOUND_DEFAULT, HIGHLIGHT],
    ),
    rule('.m.rule.contains_display_name', [{ kind: 'contains_display_name' }], [NOTIFY, SOUND_DEFAULT, HIGHLIGHT]),
    rule(
      '.m.rule.is_room_mention',
      [
        { kind: 'event_property_is', key: 'content.m\\.mentions.room', value: true },
        { kind: 'sender_notification_permission', key: 'room' },
      ],
      [NOTIFY, HIGHLIGHT],
    ),
    rule(
      '.m.rule.roomnotif',
      [eventMatch('content.body', '@room'), { kind: 'sender_notification_permission', key: 'room' }],
      [NOTIFY, HIGHLIGHT],
    ),
    rule('.m.rule.tombstone', [eventMatch('type', 'm.room.tombstone'), eventMatch('state_key', '')], [NOTIFY, HIGHLIGHT]),
    rule('.m.rule.reaction', [eventMatch('type', 'm.reaction')], []),
    rule('.m.rule.room.server_acl', [eventMatch('type', 'm.room.server_acl'), eventMatch('state_key', '')], []),
    rule('.m.rule.suppress_edits', [{ kind: 'event_property_is', key: 'content.m\\.relates_to.rel_type', value: 'm.replace' }], []),
  ];

  const content: PushRule[] = [
    {
      rule_id: '.m.rule.contains_user_name',
      default: true,
      enabled: true,
      pattern: localpart(userId),
      actions: [NOTIFY, SOUND_DEFAULT, HIGHLIGHT],
    },
  ];

  const underride: PushRule[] = [
    rule('.m.rule.call', [eventMatch('type', 'm.call.invite')], [NOTIFY, SOUND_RING]),
    rule('.m.rule.encrypted_room_one_to_one', [memberCount('2'), eventMatch('type', 'm.room.encrypted')], [NOTIFY, SOUND_DEFAULT]),
    rule('.m.rule.room_one_to_one', [memberCount('2'), eventMatch('type', 'm.room.message')], [NOTIFY, SOUND_DEFAULT]),
    rule('.m.rule.message', [eventMatch('type', 'm.room.message')], [NOTIFY]),
    rule('.m.rule.encrypted', [eventMatch('type', 'm.room.encrypted')], [NOTIFY]),
  ];

  // Fresh objects per call: the shared action constants are copied so no caller can alter another's rules.
  return structuredClone({ global: { override, content, underride, sender: [], room: [] } });
}
