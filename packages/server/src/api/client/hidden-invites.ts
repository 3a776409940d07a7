// GET /_matrix/client/unstable/org.hush/hidden_invites (docs/api/hidden-invites.md): the invites
// the server is hiding and the rule that hid each.

import { api } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [defineRoute(api.getHiddenInvites, async ({ requester }) => ({ invites: await s.sync.hiddenInvites(requester) }))];
}
