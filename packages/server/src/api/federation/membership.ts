// The membership routes of federation (decision 0031): joins, leaves, knocks and invites.

import type { FederationRouteDef } from '../../federation/routes.ts';
import type { FederatedMembership } from '../../federation/outbound/membership.ts';
import * as makeJoin from './make_join.ts';
import * as sendJoin from './send_join.ts';
import * as makeLeave from './make_leave.ts';
import * as sendLeave from './send_leave.ts';
import * as makeKnock from './make_knock.ts';
import * as sendKnock from './send_knock.ts';
import * as invite from './invite.ts';

export function membershipRoutes(m: FederatedMembership, serverName: string): FederationRouteDef[] {
  return [...makeJoin.routes(m), ...sendJoin.routes(m, serverName), ...makeLeave.routes(m), ...sendLeave.routes(m), ...makeKnock.routes(m), ...sendKnock.routes(m), ...invite.routes(m)];
}
