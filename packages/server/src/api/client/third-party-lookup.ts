// GET /thirdparty/protocols (spec: third_party_lookup.yaml): the protocols bridged here. Hush has no
// application services, so none: `{}` (clients such as Element ask at start). The per-protocol
// lookups stay unserved (docs/decisions/0002-advertised-versions.md).

import { api } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(_s: Services): RouteDef[] {
  return [defineRoute(api.getProtocols, () => ({}))];
}
