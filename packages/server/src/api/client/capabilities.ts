// GET /capabilities (spec: capabilities.yaml): only what this server really does.

import { api } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';
import { DEFAULT_ROOM_VERSION, SUPPORTED_ROOM_VERSIONS } from '../../services/rooms/create.ts';


export function routes(_s: Services): RouteDef[] {
  return [
    defineRoute(api.getCapabilities, () => ({
      capabilities: {
        'm.change_password': { enabled: true },
        'm.room_versions': { default: DEFAULT_ROOM_VERSION, available: Object.fromEntries(SUPPORTED_ROOM_VERSIONS.map((v) => [v, 'stable'])) },
        // v1.16: every profile field the spec's key grammar allows may be set (m.set_displayname
        // and m.set_avatar_url stay, as the spec asks of a server that allows those two).
        'm.profile_fields': { enabled: true },
        'm.set_displayname': { enabled: true },
        'm.set_avatar_url': { enabled: true },
        'm.3pid_changes': { enabled: false },
        'm.get_login_token': { enabled: false },
        // MSC4155: the server enforces the invite permission config itself.
        'org.matrix.msc4155.invite_permission_config_enforced': { enabled: true },
      },
    })),
  ];
}
