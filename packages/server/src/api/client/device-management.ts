// Devices of the requesting user (spec: device_management.yaml); deleting them passes the
// m.login.password UIA stage.

import { api } from '@hush/protocol';
import { defineRoute, type RouteDef } from '../../http/endpoint.ts';
import type { Services } from '../../services/index.ts';

export function routes(s: Services): RouteDef[] {
  return [
    defineRoute(api.getDevices, async ({ requester }) => ({ devices: await s.accounts.devices(requester) })),
    defineRoute(api.getDevice, ({ requester, params }) => s.accounts.device(requester, params.deviceId)),
    defineRoute(api.updateDevice, async ({ requester, params, body }) => {
      await s.accounts.renameDevice(requester, params.deviceId, body.display_name);
      return {};
    }),
    defineRoute(api.deleteDevice, async ({ requester, params, body }) => {
      await s.accountManagement.deleteDevice(requester, params.deviceId, body.auth);
      return {};
    }),
    defineRoute(api.deleteDevices, async ({ requester, body }) => {
      await s.accountManagement.deleteDevices(requester, body.devices, body.auth);
      return {};
    }),
  ];
}
