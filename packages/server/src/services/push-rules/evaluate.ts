// The push-rule evaluator (client-server API, "Push Rules": kinds, conditions, actions), pure: a
// ruleset is compiled once (globs become regular expressions, kinds are laid out in the order they
// are checked) and then asked about one event for one user. The first enabled rule whose
// conditions all hold decides; "If no rules match an event, the homeserver MUST NOT notify".

import type { JsonObject, JsonValue, PushAction, PushCondition, PushRule, PushRuleset } from '@hush/protocol';
import { Lru } from '../../lib/lru.ts';

/** What the evaluator may ask about the room and the recipient; each is asked only when a rule
 *  reaches the condition that needs it. */
export interface EvalContext {
  /** The recipient. */
  userId: string;
  /** The recipient's display name in the room, or null. */
  displayName(): string | null;
  /** Joined members of the room. */
  memberCount(): number;
  /** Whether the sender's power level reaches `notifications[key]` of the room's power levels. */
  senderMayNotify(key: string): boolean;
}

export interface PushVerdict {
  /** The rule that decided, or null when none matched. */
  ruleId: string | null;
  /** The deciding rule's actions with the historical ones (`dont_notify`, `coalesce`) removed. */
  actions: PushAction[];
  notify: boolean;
  highlight: boolean;
  /** `set_tweak` actions as a dictionary (`highlight` without a value is true). */
  tweaks: Record<string, JsonValue>;
}

type Test = (ev: JsonObject, ctx: EvalContext) => boolean;

interface CompiledRule {
  ruleId: string;
  actions: PushAction[];
  test: Test;
}

export interface CompiledRules {
  readonly rules: readonly CompiledRule[];
}

/** The kinds in the order they are checked. */
export const RULE_KINDS = ['override', 'content', 'room', 'sender', 'underride'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

const HISTORICAL_ACTIONS: ReadonlySet<string> = new Set(['dont_notify', 'coalesce']);
const NO_MATCH: Test = () => false;

/** A dot-separated property path (appendix "Dot-separated property paths"): `.` separates, `\.`
 *  is a literal dot and `\\` a literal backslash. */
export function splitPath(key: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < key.length; i++) {
    const c = key[i];
    if (c === '\\' && (key[i + 1] === '.' || key[i + 1] === '\\')) {
      cur += key[i + 1];
      i++;
    } else if (c === '.') {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts;
}

/** The value at a path, or undefined when any step is missing or not an object. */
function lookup(ev: JsonObject, path: readonly string[]): JsonValue | undefined {
  let v: JsonValue | undefined = ev;
  for (const p of path) {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.hasOwn(v, p)) return undefined;
    v = (v as JsonObject)[p];
  }
  return v;
}

const WORD = 'A-Za-z0-9_';

/** A glob (`*` any run, `?` one character; appendix "Glob-style matching") as a regular-expression
 *  source. */
function globSource(glob: string): string {
  let out = '';
  for (const ch of glob) {
    if (ch === '*') out += '.*';
    else if (ch === '?') out += '.';
    else out += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return out;
}

/** Whole-value match, case-insensitive. */
export function globMatcher(glob: string): RegExp {
  return new RegExp(`^${globSource(glob)}$`, 'isu');
}

/** A substring that starts and ends at a word boundary ("the start or end of the value, or any
 *  character not in [A-Z], [a-z], [0-9] or _"), case-insensitive: the `content.body` rule. */
export function wordMatcher(glob: string): RegExp {
  return new RegExp(`(?<![${WORD}])${globSource(glob)}(?![${WORD}])`, 'isu');
}

/** Non-compound canonical JSON values: strings, safe integers, booleans, null. */
export function isPlainValue(v: unknown): v is string | number | boolean | null {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isSafeInteger(v));
}

const MEMBER_COUNT = /^(==|<=|>=|<|>)?([0-9]{1,15})$/;

function compileCondition(c: PushCondition): Test {
  switch (c.kind) {
    case 'event_match': {
      if (typeof c.key !== 'string' || typeof c.pattern !== 'string') return NO_MATCH;
      const path = splitPath(c.key);
      const re = c.key === 'content.body' ? wordMatcher(c.pattern) : globMatcher(c.pattern);
      return (ev) => {
        const v = lookup(ev, path);
        return typeof v === 'string' && re.test(v);
      };
    }
    case 'event_property_is': {
      if (typeof c.key !== 'string' || !isPlainValue(c.value)) return NO_MATCH;
      const path = splitPath(c.key);
      const want = c.value;
      return (ev) => lookup(ev, path) === want;
    }
    case 'event_property_contains': {
      if (typeof c.key !== 'string' || !isPlainValue(c.value)) return NO_MATCH;
      const path = splitPath(c.key);
      const want = c.value;
      return (ev) => {
        const v = lookup(ev, path);
        return Array.isArray(v) && v.some((x) => x === want);
      };
    }
    case 'contains_display_name':
      return (ev, ctx) => {
        const body = lookup(ev, ['content', 'body']);
        if (typeof body !== 'string') return false;
        const name = ctx.displayName();
        if (name === null || name.trim() === '') return false;
        return wordLiteral(name, body);
      };
    case 'room_member_count': {
      const m = typeof c.is === 'string' ? MEMBER_COUNT.exec(c.is) : null;
      if (!m) return NO_MATCH;
      const n = Number(m[2]);
      const op = m[1] ?? '==';
      return (_ev, ctx) => {
        const count = ctx.memberCount();
        return op === '==' ? count === n : op === '<' ? count < n : op === '>' ? count > n : op === '<=' ? count <= n : count >= n;
      };
    }
    case 'sender_notification_permission': {
      if (typeof c.key !== 'string') return NO_MATCH;
      const key = c.key;
      return (_ev, ctx) => ctx.senderMayNotify(key);
    }
    default:
      // "Unrecognised conditions MUST NOT match any events, effectively making the push rule disabled."
      return NO_MATCH;
  }
}

/** Compiled per name: a pure function's memo, the same for every app in the process. */
const literalMatchers = new Lru<string, RegExp>(1000);

/** A display name is matched as literal text (its `*` and `?` are not wildcards), at word
 *  boundaries, case-insensitive. The expressions are kept per name (least recently used forgotten). */
function wordLiteral(name: string, body: string): boolean {
  let re = literalMatchers.get(name);
  if (!re) {
    const src = name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    re = new RegExp(`(?<![${WORD}])${src}(?![${WORD}])`, 'iu');
    literalMatchers.set(name, re);
  }
  return re.test(body);
}

/** The deprecated body-text mention rules "should only be enabled if the event does not have an
 *  m.mentions property" (v1.7). */
const LEGACY_MENTION_RULES: ReadonlySet<string> = new Set(['.m.rule.contains_display_name', '.m.rule.roomnotif', '.m.rule.contains_user_name']);

function hasMentions(ev: JsonObject): boolean {
  const content = ev['content'];
  return content !== null && typeof content === 'object' && !Array.isArray(content) && Object.hasOwn(content, 'm.mentions');
}

function compileRule(kind: RuleKind, r: PushRule): CompiledRule | null {
  if (!r.enabled) return null;
  let test: Test;
  if (kind === 'override' || kind === 'underride') {
    const conds = (r.conditions ?? []).map(compileCondition);
    test = conds.length === 0 ? () => true : (ev, ctx) => conds.every((t) => t(ev, ctx));
  } else if (kind === 'content') {
    if (typeof r.pattern !== 'string') return null;
    const re = wordMatcher(r.pattern);
    test = (ev) => {
      const body = lookup(ev, ['content', 'body']);
      return typeof body === 'string' && re.test(body);
    };
  } else if (kind === 'room') {
    test = (ev) => ev['room_id'] === r.rule_id;
  } else {
    test = (ev) => ev['sender'] === r.rule_id;
  }
  if (LEGACY_MENTION_RULES.has(r.rule_id)) {
    const inner = test;
    test = (ev, ctx) => !hasMentions(ev) && inner(ev, ctx);
  }
  return { ruleId: r.rule_id, actions: r.actions.filter((a) => typeof a !== 'string' || !HISTORICAL_ACTIONS.has(a)), test };
}

/** Lays a ruleset out in evaluation order. Within a kind the listed order is the priority order
 *  (the ruleset service lists `.m.rule.master` first and user rules before other defaults). */
export function compileRuleset(rs: PushRuleset): CompiledRules {
  const rules: CompiledRule[] = [];
  for (const kind of RULE_KINDS) {
    for (const r of rs[kind] ?? []) {
      const c = compileRule(kind, r);
      if (c) rules.push(c);
    }
  }
  return { rules };
}

/** The tweaks of an action list; `highlight` without a value is true. */
export function tweaksOf(actions: readonly PushAction[]): Record<string, JsonValue> {
  const tweaks: Record<string, JsonValue> = {};
  for (const a of actions) {
    if (typeof a === 'string' || typeof a.set_tweak !== 'string') continue;
    tweaks[a.set_tweak] = a.value === undefined ? (a.set_tweak === 'highlight' ? true : null) : a.value;
  }
  return tweaks;
}

/** The first matching rule's verdict for `event` (a client- or federation-format event with
 *  `type`, `sender`, `content`, `room_id` and, for state, `state_key`). */
export function evaluate(rules: CompiledRules, event: JsonObject, ctx: EvalContext): PushVerdict {
  for (const r of rules.rules) {
    if (!r.test(event, ctx)) continue;
    const tweaks = tweaksOf(r.actions);
    return { ruleId: r.ruleId, actions: r.actions, notify: r.actions.includes('notify'), highlight: tweaks['highlight'] === true, tweaks };
  }
  return { ruleId: null, actions: [], notify: false, highlight: false, tweaks: {} };
}
