// GET /_matrix/key/v2/server (keys_server.yaml, getServerKey): our verify keys, old keys with
// their expiry, valid for a day, signed by the current key.

import { federation as spec } from '@hush/protocol';
import { defineFederationRoute, type FederationRouteDef } from '../../federation/routes.ts';
import type { Federation } from '../../federation/index.ts';

export function routes(f: Federation): FederationRouteDef[] {
  return [defineFederationRoute(spec.getServerKey, { signed: false }, () => f.ourKeys.document())];
}
