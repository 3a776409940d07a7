// GET /.well-known/matrix/client (spec: wellknown.yaml): the configured `public-base-url` as
// `m.homeserver.base_url`, 404 M_NOT_FOUND when the operator has not set one (then the name a
// client discovered us by says nothing of where we listen).

import { api, notFound } from '@hush/spec';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [
    defineRoute(api.getWellknown, () => {
      if (s.config.publicBaseUrl === undefined) throw notFound('No client discovery information is configured for this server');
      return { 'm.homeserver': { base_url: s.config.publicBaseUrl } };
    }),
  ];
}
