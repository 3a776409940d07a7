// The end-to-end key reads other servers make of our users (spec v1.11 user_keys.yaml,
// user_devices.yaml; decision 0032): POST /user/keys/query (device and public cross-signing keys),
// POST /user/keys/claim (one one-time key per device), GET /user/devices/{userId} (a user's devices
// with their keys). Signed requests; users of other servers are left out of the answers, and
// /user/devices of someone not ours is 404.

import { federation as spec, notFound, parseUserId, serverNameOf } from '@hush/protocol';
import { defineFederationRoute, type FederationRouteDef } from '../../federation/routes.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): FederationRouteDef[] {
  return [
    defineFederationRoute(spec.userKeysQuery, { signed: true }, ({ body }) => s.e2eKeys.queryForServer(body.device_keys)),
    defineFederationRoute(spec.userKeysClaim, { signed: true }, ({ body }) => s.e2eKeys.claimForServer(body.one_time_keys)),
    defineFederationRoute(spec.getUserDevices, { signed: true }, async ({ params }) => {
      const userId = parseUserId(params.userId);
      if (serverNameOf(userId) !== s.config.serverName) throw notFound(`${userId} is not a user of this server`);
      return s.e2eKeys.devicesForServer(userId);
    }),
  ];
}
