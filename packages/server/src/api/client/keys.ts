// Device and one-time keys (spec: keys.yaml): upload, query, claim, and the users whose keys
// changed between two sync tokens.

import { api } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [
    defineRoute(api.uploadKeys, ({ requester, body }) => s.e2eKeys.upload(requester, body)),
    defineRoute(api.queryKeys, ({ requester, body }) => s.e2eKeys.query(requester, body)),
    defineRoute(api.claimKeys, ({ body }) => s.e2eKeys.claim(body)),
    defineRoute(api.getKeysChanges, ({ requester, query }) => s.e2eKeys.changes(requester, query.from, query.to)),
  ];
}
