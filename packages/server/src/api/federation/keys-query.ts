// The notary endpoints (keys_query.yaml): perspectivesKeyQuery and bulkPerspectivesKeyQuery —
// other servers' key documents, with our signature added.

import { federation as spec, parseServerName } from '@hush/protocol';
import { defineFederationRoute, type FederationRouteDef } from '../../federation/routes.ts';
import type { Federation } from '../../federation/index.ts';

export function routes(f: Federation): FederationRouteDef[] {
  return [
    defineFederationRoute(spec.perspectivesKeyQuery, { signed: false }, async ({ params, query }) => {
      const serverName = parseServerName(params.serverName);
      return { server_keys: await f.notary.query({ [serverName]: {} }, query.minimum_valid_until_ts) };
    }),
    defineFederationRoute(spec.bulkPerspectivesKeyQuery, { signed: false }, async ({ body }) => {
      for (const name of Object.keys(body.server_keys)) parseServerName(name);
      return { server_keys: await f.notary.query(body.server_keys) };
    }),
  ];
}
