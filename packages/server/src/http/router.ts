// Every client-server route, one line per spec area.

import type { RouteDef } from './endpoint.ts';
import type { Services } from '../services/index.ts';
import * as versions from '../api/client/versions.ts';
import * as wellknown from '../api/client/wellknown.ts';
import * as login from '../api/client/login.ts';
import * as registration from '../api/client/registration.ts';
import * as logout from '../api/client/logout.ts';
import * as refresh from '../api/client/refresh.ts';
import * as whoami from '../api/client/whoami.ts';
import * as passwordManagement from '../api/client/password-management.ts';
import * as accountDeactivation from '../api/client/account-deactivation.ts';
import * as capabilities from '../api/client/capabilities.ts';
import * as profile from '../api/client/profile.ts';
import * as devices from '../api/client/device-management.ts';
import * as createRoom from '../api/client/create-room.ts';
import * as membership from '../api/client/membership.ts';
import * as knocking from '../api/client/knocking.ts';
import * as roomSend from '../api/client/room-send.ts';
import * as roomState from '../api/client/room-state.ts';
import * as pagination from '../api/client/message-pagination.ts';
import * as eventContext from '../api/client/event-context.ts';
import * as sync from '../api/client/sync.ts';
import * as accountData from '../api/client/account-data.ts';
import * as typing from '../api/client/typing.ts';
import * as presence from '../api/client/presence.ts';
import * as receipts from '../api/client/receipts.ts';
import * as directory from '../api/client/directory.ts';
import * as listPublicRooms from '../api/client/list-public-rooms.ts';
import * as users from '../api/client/users.ts';
import * as pushrules from '../api/client/pushrules.ts';
import * as pusher from '../api/client/pusher.ts';
import * as relations from '../api/client/relations.ts';
import * as threadsList from '../api/client/threads.ts';
import * as eventByTimestamp from '../api/client/timestamp.ts';
import * as spaceHierarchy from '../api/client/space-hierarchy.ts';
import * as roomSummary from '../api/client/room-summary.ts';
import * as notifications from '../api/client/notifications.ts';
import * as hiddenInvites from '../api/client/hidden-invites.ts';
import * as toDevice from '../api/client/to-device.ts';
import * as keys from '../api/client/keys.ts';
import * as crossSigning from '../api/client/cross-signing.ts';
import * as keyBackup from '../api/client/key-backup.ts';
import * as voip from '../api/client/voip.ts';
import * as thirdPartyLookup from '../api/client/third-party-lookup.ts';
import * as contentRepo from '../api/client/content-repo.ts';
import * as search from '../api/client/search.ts';
import * as tags from '../api/client/tags.ts';
import * as reportContent from '../api/client/report-content.ts';
import * as roomUpgrades from '../api/client/room-upgrades.ts';
import * as mutualRooms from '../api/client/mutual-rooms.ts';

export function allRoutes(s: Services): RouteDef[] {
  return [
    versions,
    wellknown,
    login,
    registration,
    logout,
    refresh,
    whoami,
    passwordManagement,
    accountDeactivation,
    capabilities,
    profile,
    devices,
    createRoom,
    membership,
    knocking,
    roomSend,
    roomState,
    pagination,
    eventContext,
    sync,
    accountData,
    typing,
    presence,
    receipts,
    directory,
    listPublicRooms,
    users,
    pushrules,
    pusher,
    relations,
    threadsList,
    eventByTimestamp,
    spaceHierarchy,
    roomSummary,
    notifications,
    toDevice,
    keys,
    crossSigning,
    keyBackup,
    hiddenInvites,
    voip,
    thirdPartyLookup,
    contentRepo,
    search,
    tags,
    reportContent,
    roomUpgrades,
    mutualRooms,
  ].flatMap((m) => m.routes(s));
}
