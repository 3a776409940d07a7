// Every client-server route, one line per spec area.

import type { RouteDef } from './endpoint.ts';
import type { Services } from '../services/index.ts';
import * as versions from '../api/client/versions.ts';
import * as login from '../api/client/login.ts';
import * as registration from '../api/client/registration.ts';
import * as logout from '../api/client/logout.ts';
import * as whoami from '../api/client/whoami.ts';
import * as capabilities from '../api/client/capabilities.ts';
import * as profile from '../api/client/profile.ts';
import * as devices from '../api/client/device-management.ts';

export function allRoutes(s: Services): RouteDef[] {
  return [versions, login, registration, logout, whoami, capabilities, profile, devices].flatMap((m) => m.routes(s));
}
