// GET /_matrix/client/versions (spec: versions.yaml). We advertise only the versions whose
// required endpoints we serve; see docs/decisions/0002-advertised-versions.md.

import { api } from '@hush/spec';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export const SUPPORTED_VERSIONS = ['r0.6.1', 'v1.1', 'v1.2', 'v1.3', 'v1.4', 'v1.5', 'v1.6', 'v1.7', 'v1.8', 'v1.9', 'v1.10', 'v1.11'];

/** Only what works end to end, each with its e2e test: invite permission (spec v1.18; MSC4380 under
 *  both its stable and unstable account-data names), MSC4155's lists, MSC4494's `deny_public`. */
export const UNSTABLE_FEATURES: Record<string, boolean> = {
  'org.matrix.msc4380': true,
  'org.matrix.msc4380.stable': true,
  'org.matrix.msc4155': true,
  'uk.timedout.msc4494': true,
};

export function routes(_s: Services): RouteDef[] {
  return [defineRoute(api.getVersions, () => ({ versions: SUPPORTED_VERSIONS, unstable_features: UNSTABLE_FEATURES }))];
}
