// Every federation route, one line per spec area (served only when federation is on).

import type { Services } from '../../services/index.ts';
import type { Federation } from '../../federation/index.ts';
import type { FederationRouteDef } from '../../federation/routes.ts';
import * as keysServer from './keys-server.ts';
import * as keysQuery from './keys-query.ts';
import * as version from './version.ts';
import * as query from './query.ts';
import * as media from './media.ts';
import * as inbound from './inbound.ts';
import * as userKeys from './user-keys.ts';
import * as lookups from './lookups.ts';

export function federationRoutes(f: Federation, s: Services): FederationRouteDef[] {
  return [...keysServer.routes(f), ...keysQuery.routes(f), ...version.routes(), ...query.routes(s), ...inbound.routes(f, s), ...lookups.routes(s), ...userKeys.routes(s), ...media.routes(s)];
}
