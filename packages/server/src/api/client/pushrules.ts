// Push rules (spec: pushrules.yaml): the whole ruleset, one rule, its enabled flag and its actions.
// Editing lives in services/push-rules/service.ts; rules are the requester's own.

import { api, type JsonObject } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  const p = s.pushRules;
  return [
    defineRoute(api.getPushRules, ({ requester }) => p.getAll(requester.userId)),
    defineRoute(api.getPushRulesNoSlash, ({ requester }) => p.getAll(requester.userId)),
    defineRoute(api.getPushRulesGlobal, ({ requester }) => p.getGlobal(requester.userId)),
    defineRoute(api.getPushRulesGlobalNoSlash, ({ requester }) => p.getGlobal(requester.userId)),
    defineRoute(api.getPushRule, ({ requester, params }) => p.getRule(requester.userId, params.kind, params.ruleId)),
    defineRoute(api.deletePushRule, async ({ requester, params }) => {
      await p.delete(requester.userId, params.kind, params.ruleId);
      return {};
    }),
    defineRoute(api.setPushRule, async ({ requester, params, query, body }) => {
      await p.put(requester.userId, params.kind, params.ruleId, body as JsonObject, query);
      return {};
    }),
    defineRoute(api.isPushRuleEnabled, async ({ requester, params }) => ({ enabled: (await p.getRule(requester.userId, params.kind, params.ruleId)).enabled })),
    defineRoute(api.setPushRuleEnabled, async ({ requester, params, body }) => {
      await p.setEnabled(requester.userId, params.kind, params.ruleId, body.enabled);
      return {};
    }),
    defineRoute(api.getPushRuleActions, async ({ requester, params }) => ({ actions: (await p.getRule(requester.userId, params.kind, params.ruleId)).actions })),
    defineRoute(api.setPushRuleActions, async ({ requester, params, body }) => {
      await p.setActions(requester.userId, params.kind, params.ruleId, body.actions);
      return {};
    }),
  ];
}
