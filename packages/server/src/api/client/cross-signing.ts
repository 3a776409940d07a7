// Cross-signing keys and signatures (spec: cross_signing.yaml).

import { api } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [
    defineRoute(api.uploadCrossSigningKeys, async ({ requester, body }) => {
      await s.crossSigning.uploadKeys(requester, body);
      return {};
    }),
    defineRoute(api.uploadCrossSigningSignatures, ({ requester, body }) => s.crossSigning.uploadSignatures(requester, body)),
  ];
}
