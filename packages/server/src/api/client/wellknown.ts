// The client-facing `.well-known` files, each served from the operator's configuration and 404
// M_NOT_FOUND when it is not set: GET /.well-known/matrix/client (spec: wellknown.yaml) from
// `public-base-url` (without it, the name a client discovered us by says nothing of where we
// listen), GET /.well-known/matrix/support (support.yaml) from the `support` key.

import { api, notFound } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

function configured<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw notFound(`No ${what} is configured for this server`);
  return value;
}

export function routes(s: Services): RouteDef[] {
  return [
    defineRoute(api.getWellknown, () => ({ 'm.homeserver': { base_url: configured(s.config.publicBaseUrl, 'client discovery information') } })),
    defineRoute(api.getWellknownSupport, () => configured(s.config.support, 'support information')),
  ];
}
