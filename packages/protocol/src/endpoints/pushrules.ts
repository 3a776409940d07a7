// Descriptors for push rules (spec file pushrules.yaml): the whole ruleset, one rule, its enabled flag
// and its actions. The spec writes the ruleset paths with a trailing slash; the slash-less
// spellings are added as separate descriptors for clients that drop it.

import { Type } from '@sinclair/typebox';
import { endpoint, responds } from '../endpoint.ts';
import type { PushAction, PushRule, PushRuleset, PushRulesResponse } from '../responses.ts';

const V3 = '/_matrix/client/v3';

export const getPushRules = endpoint({
  operationId: 'getPushRules',
  method: 'GET',
  path: `${V3}/pushrules/`,
  auth: 'required',
  response: responds<PushRulesResponse>(),
});

/** `GET /pushrules` (no trailing slash): same operation as getPushRules. */
export const getPushRulesNoSlash = endpoint({
  operationId: 'getPushRules',
  method: 'GET',
  path: `${V3}/pushrules`,
  auth: 'required',
  response: responds<PushRulesResponse>(),
});

export const getPushRulesGlobal = endpoint({
  operationId: 'getPushRulesGlobal',
  method: 'GET',
  path: `${V3}/pushrules/global/`,
  auth: 'required',
  response: responds<PushRuleset>(),
});

/** `GET /pushrules/global` (no trailing slash): same operation as getPushRulesGlobal. */
export const getPushRulesGlobalNoSlash = endpoint({
  operationId: 'getPushRulesGlobal',
  method: 'GET',
  path: `${V3}/pushrules/global`,
  auth: 'required',
  response: responds<PushRuleset>(),
});

// ---- one rule (the spec's paths are /pushrules/global/{kind}/{ruleId}[/enabled|/actions]) ----

const RULE = `${V3}/pushrules/global/{kind}/{ruleId}`;
/** Rule bodies are checked by the server's ruleset validation (per kind, with Matrix errors). */
const RuleBody = Type.Record(Type.String(), Type.Unknown());

export const getPushRule = endpoint({
  operationId: 'getPushRule',
  method: 'GET',
  path: RULE,
  auth: 'required',
  response: responds<PushRule>(),
});

export const deletePushRule = endpoint({
  operationId: 'deletePushRule',
  method: 'DELETE',
  path: RULE,
  auth: 'required',
  optionalBody: true,
  response: responds<Record<string, never>>(),
});

export const setPushRule = endpoint({
  operationId: 'setPushRule',
  method: 'PUT',
  path: RULE,
  auth: 'required',
  body: RuleBody,
  query: {
    before: { kind: 'string', maxLength: 255 },
    after: { kind: 'string', maxLength: 255 },
  },
  response: responds<Record<string, never>>(),
});

export const isPushRuleEnabled = endpoint({
  operationId: 'isPushRuleEnabled',
  method: 'GET',
  path: `${RULE}/enabled`,
  auth: 'required',
  response: responds<{ enabled: boolean }>(),
});

export const setPushRuleEnabled = endpoint({
  operationId: 'setPushRuleEnabled',
  method: 'PUT',
  path: `${RULE}/enabled`,
  auth: 'required',
  body: Type.Object({ enabled: Type.Boolean() }),
  response: responds<Record<string, never>>(),
});

export const getPushRuleActions = endpoint({
  operationId: 'getPushRuleActions',
  method: 'GET',
  path: `${RULE}/actions`,
  auth: 'required',
  response: responds<{ actions: PushAction[] }>(),
});

export const setPushRuleActions = endpoint({
  operationId: 'setPushRuleActions',
  method: 'PUT',
  path: `${RULE}/actions`,
  auth: 'required',
  body: Type.Object({ actions: Type.Array(Type.Unknown()) }),
  response: responds<Record<string, never>>(),
});
