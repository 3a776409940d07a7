// GET /_matrix/client/versions (spec: versions.yaml). We advertise only the versions whose
// required endpoints we serve; see docs/decisions/0002-advertised-versions.md.

import { api } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

/** The r0 releases every v1 server still serves (the r0 path aliases included), as Synapse lists
 *  them: older clients look for one by name — an Element without `r0.5.0` wipes its cache on every
 *  reload. They promise nothing beyond v1.1, which contains them all. */
export const R0_VERSIONS = ['r0.0.1', 'r0.1.0', 'r0.2.0', 'r0.3.0', 'r0.4.0', 'r0.5.0', 'r0.6.0', 'r0.6.1'];

/** Oldest first; the last, highest v1.x is the one the conformance test holds us to. */
export const SUPPORTED_VERSIONS = [...R0_VERSIONS, 'v1.1', 'v1.2', 'v1.3', 'v1.4', 'v1.5', 'v1.6', 'v1.7', 'v1.8', 'v1.9', 'v1.10', 'v1.11', 'v1.12', 'v1.13', 'v1.14', 'v1.15', 'v1.16', 'v1.17', 'v1.18', 'v1.19'];

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
