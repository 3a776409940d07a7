// The account's own management (spec "Account registration and management", "Device management"):
// changing the password, deactivating the account, deleting devices. Each passes the
// `m.login.password` UIA stage first, in a session bound to the operation; tokens are revoked through AccountService.revoking, so every
// process refuses them before the request is answered.

import { ErrCode, MatrixError, notFound, type UserId } from '@hush/protocol';
import type { Db } from '../storage/db.ts';
import { accountsStore } from '../storage/accounts.store.ts';
import type { Requester } from './requester.ts';
import type { AccountService } from './accounts.ts';
import type { RoomService } from './rooms/rooms.ts';
import { hashPassword } from './secrets.ts';
import { passwordStage, type UiaAuth, type UiaOperation } from './accounts-uia.ts';

export interface ChangePasswordInput {
  newPassword: string;
  /** Spec default true: every other device is logged out. */
  logoutDevices?: boolean;
  auth?: UiaAuth;
}

export class AccountManagementService {
  constructor(
    private readonly db: Db,
    private readonly accounts: AccountService,
    private readonly rooms: Pick<RoomService, 'leaveAll'>,
  ) {}

  /** The password stage for `op`, done as the requester (when the request has a token). */
  private confirm(r: Requester | undefined, auth: UiaAuth | undefined, op: Omit<UiaOperation, 'user'>): Promise<UserId> {
    const bound: UiaOperation = r ? { ...op, user: r.userId } : op;
    return passwordStage(this.db, (user) => this.accounts.userIdFor(user), r?.userId, auth, { sessions: this.accounts.uia, op: bound });
  }

  /** "The homeserver SHOULD NOT revoke the access token provided in the request"; the others go
   *  (with their devices) unless `logout_devices` is false. Hashed as registration hashes. */
  async changePassword(r: Requester | undefined, input: ChangePasswordInput): Promise<void> {
    if (input.newPassword.length === 0) throw new MatrixError(400, ErrCode.WEAK_PASSWORD, 'The new password must not be empty');
    // Bound to whether the other devices go, not to the new password (a client may let it be retyped).
    const userId = await this.confirm(r, input.auth, { kind: 'password', target: input.logoutDevices === false ? 'keep-devices' : 'logout-devices' });
    const hash = await hashPassword(input.newPassword);
    if (input.logoutDevices === false) {
      await accountsStore.setPasswordHash(this.db, userId, hash);
      return;
    }
    await this.accounts.revoking(userId, undefined, async (tx) => {
      await accountsStore.setPasswordHash(tx, userId, hash);
      await accountsStore.deleteDevices(tx, userId, { except: r?.deviceId });
    });
  }

  /**
   * "Deactivate the user's account, removing all ability for the user to login again": marked
   * deactivated (login answers M_USER_DEACTIVATED; the id stays taken), every device and token
   * revoked, then every room left, invite and knock included. Hush binds no third-party ids, so
   * there is nothing to unbind on an identity server.
   */
  async deactivate(r: Requester | undefined, auth: UiaAuth | undefined): Promise<{ id_server_unbind_result: 'no-support' }> {
    const userId = await this.confirm(r, auth, { kind: 'deactivate' });
    await this.accounts.revoking(userId, undefined, async (tx) => {
      await accountsStore.markDeactivated(tx, userId);
      await accountsStore.deleteDevices(tx, userId);
    });
    await this.rooms.leaveAll(userId);
    return { id_server_unbind_result: 'no-support' };
  }

  /** One device of the requester; an id the requester has no device with (another user's
   *  included) is 404, before any authentication is asked for. */
  async deleteDevice(r: Requester, deviceId: string, auth: UiaAuth | undefined): Promise<void> {
    if (!(await accountsStore.getDevice(this.db, r.userId, deviceId))) throw notFound('Unknown device');
    const userId = await this.confirm(r, auth, { kind: 'delete_device', target: deviceId });
    await this.accounts.revoking(userId, deviceId, (tx) => accountsStore.deleteDevices(tx, userId, deviceId));
  }

  /** Several devices of the requester; ids it has no device with are skipped ("or had been removed previously"). */
  async deleteDevices(r: Requester, deviceIds: readonly string[], auth: UiaAuth | undefined): Promise<void> {
    const userId = await this.confirm(r, auth, { kind: 'delete_devices', target: deviceIds });
    await this.accounts.revoking(userId, undefined, (tx) => accountsStore.deleteDevices(tx, userId, [...new Set(deviceIds)]));
  }
}
