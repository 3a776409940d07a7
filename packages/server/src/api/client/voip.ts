// GET /voip/turnServer (spec: voip.yaml): the TURN server and credentials for a call, or `{}` when
// none is configured (as Synapse answers; clients then call without TURN).

import { api } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';
import { turnCredentials } from '../../services/voip.ts';

export function routes(s: Services): RouteDef[] {
  return [defineRoute(api.getTurnServer, ({ requester }) => turnCredentials(s.config.turn, requester.userId) ?? {})];
}
