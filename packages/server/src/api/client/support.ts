// GET /.well-known/matrix/support (spec: support.yaml): the configured `support` key, 404
// M_NOT_FOUND when the operator has not set one.

import { api, notFound } from '@hush/spec';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [
    defineRoute(api.getWellknownSupport, () => {
      if (!s.config.support) throw notFound('No support information is configured for this server');
      return s.config.support;
    }),
  ];
}
