// GET /pushrules/ (spec: pushrules.yaml): the spec's default ruleset for the user.

import { api } from '@hush/spec';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';
import { defaultPushRules } from '../../services/push-rules/default-rules.ts';

export function routes(_s: Services): RouteDef[] {
  return [
    defineRoute(api.getPushRules, ({ requester }) => defaultPushRules(requester.userId)),
    defineRoute(api.getPushRulesNoSlash, ({ requester }) => defaultPushRules(requester.userId)),
  ];
}
