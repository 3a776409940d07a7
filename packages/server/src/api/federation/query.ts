// GET /_matrix/federation/v1/query/profile (query.yaml, queryProfile): a signed request for the
// profile of one of our users. Another server's user, an unknown or deactivated user, or an unknown
// field: 404 M_NOT_FOUND; a known field that is unset is left out (the spec allows omitting it).

import { federation as spec, notFound, parseUserId, serverNameOf } from '@hush/protocol';
import { defineFederationRoute, type FederationRouteDef } from '../../federation/routes.ts';
import type { Services } from '../../services/index.ts';

const FIELDS = ['displayname', 'avatar_url'] as const;

export function routes(s: Services): FederationRouteDef[] {
  return [
    defineFederationRoute(spec.queryProfile, { signed: true }, async ({ query }) => {
      const userId = parseUserId(query.user_id);
      if (serverNameOf(userId) !== s.config.serverName) throw notFound(`${userId} is not a user of this server`);
      const profile = await s.accounts.profile(userId);
      const field = query.field;
      if (field !== undefined && !(FIELDS as readonly string[]).includes(field)) throw notFound(`No profile field ${JSON.stringify(field)}`);
      const out: Record<string, string> = {};
      for (const name of FIELDS) {
        const value = profile[name];
        if ((field === undefined || field === name) && value !== null) out[name] = value;
      }
      return out;
    }),
  ];
}
