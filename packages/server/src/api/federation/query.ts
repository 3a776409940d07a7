// GET /_matrix/federation/v1/query/profile (query.yaml, queryProfile): a signed request for the
// profile of one of our users — the whole profile, v1.16's extended fields included, or one field.
// Another server's user, an unknown or deactivated user, or a field name outside the spec's key
// grammar: 404 M_NOT_FOUND; a field that is unset is left out (the spec allows omitting it).

import { federation as spec, notFound, parseUserId, serverNameOf } from '@hush/protocol';
import { defineFederationRoute, type FederationRouteDef } from '../../federation/routes.ts';
import type { Services } from '../../services/index.ts';
import { isProfileKey } from '../../services/profile-fields.ts';

export function routes(s: Services): FederationRouteDef[] {
  return [
    defineFederationRoute(spec.queryProfile, { signed: true }, async ({ query }) => {
      const userId = parseUserId(query.user_id);
      if (serverNameOf(userId) !== s.config.serverName) throw notFound(`${userId} is not a user of this server`);
      const profile = await s.profileFields.profile(userId);
      const field = query.field;
      if (field === undefined) return profile;
      if (!isProfileKey(field)) throw notFound(`No profile field ${JSON.stringify(field)}`);
      return Object.hasOwn(profile, field) ? { [field]: profile[field] } : {};
    }),
  ];
}
