// Profiles (spec: profile.yaml): display name and avatar, and since v1.16 any field by key
// (services/profile-fields.ts). Only the owner may change them.

import { api, parseUserId } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

function present<T extends Record<string, string | null>>(o: T): Partial<Record<keyof T, string>> {
  const out: Partial<Record<keyof T, string>> = {};
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] !== null) out[k] = o[k] as string;
  return out;
}

export function routes(s: Services): RouteDef[] {
  return [
    defineRoute(api.getUserProfile, ({ params }) => s.profileFields.profile(parseUserId(params.userId))),
    defineRoute(api.getProfileField, ({ params }) => s.profileFields.get(parseUserId(params.userId), params.keyName)),
    defineRoute(api.setProfileField, async ({ params, body, requester }) => {
      await s.profileFields.set(requester, parseUserId(params.userId), params.keyName, body);
      return {};
    }),
    defineRoute(api.deleteProfileField, async ({ params, requester }) => {
      await s.profileFields.delete(requester, parseUserId(params.userId), params.keyName);
      return {};
    }),
    defineRoute(api.getDisplayName, async ({ params }) => {
      const { displayname } = await s.accounts.profile(parseUserId(params.userId));
      return present({ displayname });
    }),
    defineRoute(api.getAvatarUrl, async ({ params }) => {
      const { avatar_url } = await s.accounts.profile(parseUserId(params.userId));
      return present({ avatar_url });
    }),
    defineRoute(api.setDisplayName, async ({ params, body, requester }) => {
      await s.accounts.setProfileField(requester, parseUserId(params.userId), 'displayname', body.displayname);
      return {};
    }),
    defineRoute(api.setAvatarUrl, async ({ params, body, requester }) => {
      await s.accounts.setProfileField(requester, parseUserId(params.userId), 'avatar_url', body.avatar_url);
      return {};
    }),
  ];
}
