// A user's push ruleset as data (client-server API "Push Rules: API"), pure: merging what is stored
// with the current server-default rules, validating a rule a client sends, and the edits —
// put with before/after, delete, enabled, actions. Server-default rules (ids starting with '.')
// can be enabled, disabled and given other actions, never created, replaced or deleted.

import { ErrCode, MatrixError, isRoomId, isUserId, type JsonObject, type PushAction, type PushCondition, type PushRule, type PushRuleset } from '@hush/protocol';
import { defaultPushRules } from './default-rules.ts';
import { isPlainValue, RULE_KINDS, type RuleKind } from './evaluate.ts';

export { RULE_KINDS, type RuleKind };

/** User-defined rules a user may hold, all kinds together. */
export const MAX_USER_RULES = 500;
const MAX_ID_LENGTH = 255;
const MAX_TEXT_LENGTH = 1024;
const MAX_CONDITIONS = 20;
const MAX_ACTIONS = 20;

const invalid = (msg: string) => new MatrixError(400, ErrCode.INVALID_PARAM, msg);
const notFound = () => new MatrixError(404, ErrCode.NOT_FOUND, 'The push rule was not found.');

export function parseKind(kind: string): RuleKind {
  if (!(RULE_KINDS as readonly string[]).includes(kind)) throw invalid(`Unknown push rule kind ${JSON.stringify(kind.slice(0, 64))}`);
  return kind as RuleKind;
}

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The stored ruleset, read defensively: anything unreadable is left out. */
function storedRules(stored: unknown): PushRuleset {
  const global = isObject(stored) ? stored['global'] : undefined;
  const out: PushRuleset = {};
  if (!isObject(global)) return out;
  for (const kind of RULE_KINDS) {
    const list = global[kind];
    if (Array.isArray(list)) out[kind] = list.filter((r): r is PushRule & JsonObject => isObject(r) && typeof r['rule_id'] === 'string') as PushRule[];
  }
  return out;
}

/** The ruleset a user sees and is evaluated with: the current server defaults (their conditions and
 *  patterns always current), with the enabled flag and actions the user set on them, and the
 *  user's own rules — `.m.rule.master` first, then user rules, then the other defaults, per kind
 *  ("server-default rules … operate at a lower priority than user-defined rules, except for
 *  .m.rule.master"). */
export function mergeWithDefaults(userId: string, stored: unknown): PushRuleset {
  const defaults = defaultPushRules(userId).global;
  const mine = storedRules(stored);
  const out: PushRuleset = {};
  for (const kind of RULE_KINDS) {
    const saved = new Map((mine[kind] ?? []).map((r) => [r.rule_id, r]));
    const user = (mine[kind] ?? []).filter((r) => !r.rule_id.startsWith('.')).map((r) => ({ ...r, default: false }));
    const defs = (defaults[kind] ?? []).map((d) => {
      const s = saved.get(d.rule_id);
      return s ? { ...d, enabled: s.enabled === true || s.enabled === false ? s.enabled : d.enabled, actions: Array.isArray(s.actions) ? s.actions : d.actions } : d;
    });
    const master = defs.filter((d) => d.rule_id === '.m.rule.master');
    out[kind] = [...master, ...user, ...defs.filter((d) => d.rule_id !== '.m.rule.master')];
  }
  return out;
}

export function findRule(rs: PushRuleset, kind: RuleKind, ruleId: string): PushRule {
  const r = (rs[kind] ?? []).find((x) => x.rule_id === ruleId);
  if (!r) throw notFound();
  return r;
}

/** Actions: `notify`, the historical `dont_notify`/`coalesce` (kept as sent, ignored when
 *  evaluating), and `{set_tweak: string, value?}` objects. */
export function validateActions(v: unknown): PushAction[] {
  if (v === undefined) throw new MatrixError(400, ErrCode.MISSING_PARAM, 'Missing actions');
  if (!Array.isArray(v)) throw new MatrixError(400, ErrCode.BAD_JSON, 'actions must be an array');
  if (v.length > MAX_ACTIONS) throw invalid(`At most ${MAX_ACTIONS} actions`);
  for (const a of v) {
    if (typeof a === 'string') {
      if (a !== 'notify' && a !== 'dont_notify' && a !== 'coalesce') throw invalid(`Unrecognised action ${JSON.stringify(a.slice(0, 64))}`);
      continue;
    }
    if (!isObject(a) || typeof a['set_tweak'] !== 'string' || a['set_tweak'] === '' || a['set_tweak'].length > MAX_ID_LENGTH) {
      throw invalid('An action is a string or an object with a set_tweak name');
    }
    if (a['set_tweak'] === 'highlight' && a['value'] !== undefined && typeof a['value'] !== 'boolean') throw invalid('The highlight tweak takes a boolean value');
    if (a['set_tweak'] === 'sound' && typeof a['value'] !== 'string') throw invalid('The sound tweak takes a string value');
    if (JSON.stringify(a).length > MAX_TEXT_LENGTH) throw invalid('An action is too long');
  }
  return v as PushAction[];
}

const text = (v: unknown, what: string): string => {
  if (typeof v !== 'string') throw invalid(`${what} must be a string`);
  if (v.length > MAX_TEXT_LENGTH) throw invalid(`${what} is too long`);
  return v;
};

/** One condition, checked for the parameters its kind needs. Kinds we do not know are kept (they
 *  never match: "Unrecognised conditions MUST NOT match any events"). */
function validateCondition(c: unknown): PushCondition {
  if (!isObject(c) || typeof c['kind'] !== 'string' || c['kind'] === '') throw invalid('A condition is an object with a kind');
  if (JSON.stringify(c).length > 4 * MAX_TEXT_LENGTH) throw invalid('A condition is too long');
  switch (c['kind']) {
    case 'event_match':
      text(c['key'], 'event_match key');
      text(c['pattern'], 'event_match pattern');
      break;
    case 'event_property_is':
    case 'event_property_contains':
      text(c['key'], `${c['kind']} key`);
      if (!Object.hasOwn(c, 'value') || !isPlainValue(c['value'])) throw invalid(`${c['kind']} value must be a string, an integer, a boolean or null`);
      break;
    case 'room_member_count':
      if (typeof c['is'] !== 'string' || !/^(==|<=|>=|<|>)?[0-9]{1,15}$/.test(c['is'])) throw invalid('room_member_count is must be a number with an optional ==, <, >, <= or >=');
      break;
    case 'sender_notification_permission':
      text(c['key'], 'sender_notification_permission key');
      break;
    default:
      break;
  }
  return c as unknown as PushCondition;
}

/** The body of PUT /pushrules/global/{kind}/{ruleId}, as a new (enabled) user rule. */
export function validateNewRule(kind: RuleKind, ruleId: string, body: JsonObject): PushRule {
  if (ruleId.startsWith('.')) throw invalid('Rule ids starting with "." are reserved for server-default rules');
  if (ruleId === '' || ruleId.length > MAX_ID_LENGTH || /[/\\]/.test(ruleId)) throw invalid('A rule id is 1-255 characters without "/" or "\\"');
  if (kind === 'room' && !isRoomId(ruleId)) throw invalid('The rule id of a room rule is a room id');
  if (kind === 'sender' && !isUserId(ruleId)) throw invalid('The rule id of a sender rule is a user id');
  const actions = validateActions(body['actions']);
  const rule: PushRule = { rule_id: ruleId, default: false, enabled: true, actions };
  if (kind === 'content') {
    if (body['pattern'] === undefined) throw new MatrixError(400, ErrCode.MISSING_PARAM, 'Content rules need a pattern');
    rule.pattern = text(body['pattern'], 'pattern');
  } else if (kind === 'override' || kind === 'underride') {
    const conds = body['conditions'] ?? [];
    if (!Array.isArray(conds)) throw new MatrixError(400, ErrCode.BAD_JSON, 'conditions must be an array');
    if (conds.length > MAX_CONDITIONS) throw invalid(`At most ${MAX_CONDITIONS} conditions`);
    rule.conditions = conds.map(validateCondition);
  }
  return rule;
}

const userRulesCount = (rs: PushRuleset) => RULE_KINDS.reduce((n, k) => n + (rs[k] ?? []).filter((r) => !r.default).length, 0);

/** Puts `rule` in its kind: replacing a rule of that id in place, or inserting it as the most
 *  important user rule — or next to the user rule named by `before` (preferred when both are
 *  given) or `after`. */
export function putRule(rs: PushRuleset, kind: RuleKind, rule: PushRule, pos: { before?: string; after?: string }): PushRuleset {
  const list = [...(rs[kind] ?? [])];
  const existing = list.findIndex((r) => r.rule_id === rule.rule_id);
  const relative = pos.before ?? pos.after;
  if (relative === undefined && existing !== -1) {
    list[existing] = { ...rule, enabled: list[existing]?.enabled ?? true };
    return { ...rs, [kind]: list };
  }
  if (existing !== -1) list.splice(existing, 1);
  else if (userRulesCount(rs) >= MAX_USER_RULES) throw invalid(`At most ${MAX_USER_RULES} push rules`);
  let at: number;
  if (relative !== undefined) {
    if (relative.startsWith('.')) throw new MatrixError(400, ErrCode.UNKNOWN, 'A rule cannot be placed relative to a server-default rule');
    const i = list.findIndex((r) => r.rule_id === relative && !r.default);
    if (i === -1) throw new MatrixError(400, ErrCode.UNKNOWN, `before/after rule not found: ${relative.slice(0, 255)}`);
    at = pos.before !== undefined ? i : i + 1;
  } else {
    // The most important user rule: after .m.rule.master, before every other rule.
    at = list.length > 0 && list[0]?.rule_id === '.m.rule.master' ? 1 : 0;
  }
  list.splice(at, 0, rule);
  return { ...rs, [kind]: list };
}

export function deleteRule(rs: PushRuleset, kind: RuleKind, ruleId: string): PushRuleset {
  const rule = findRule(rs, kind, ruleId);
  if (rule.default) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Server-default rules cannot be deleted');
  return { ...rs, [kind]: (rs[kind] ?? []).filter((r) => r.rule_id !== ruleId) };
}

export function setEnabled(rs: PushRuleset, kind: RuleKind, ruleId: string, enabled: boolean): PushRuleset {
  findRule(rs, kind, ruleId);
  return { ...rs, [kind]: (rs[kind] ?? []).map((r) => (r.rule_id === ruleId ? { ...r, enabled } : r)) };
}

export function setActions(rs: PushRuleset, kind: RuleKind, ruleId: string, actions: PushAction[]): PushRuleset {
  findRule(rs, kind, ruleId);
  return { ...rs, [kind]: (rs[kind] ?? []).map((r) => (r.rule_id === ruleId ? { ...r, actions } : r)) };
}
