// Accounts: registration (user-interactive auth with m.login.dummy or a registration token),
// password login, logout, token → requester, profiles and devices.

import {
  ErrCode,
  MatrixError,
  NEW_LOCALPART_RE,
  forbidden,
  isUserId,
  makeUserId,
  notFound,
  serverNameOf,
  type DeviceInfo,
  type LoginResponse,
  type ServerName,
  type UserId,
} from '@hush/protocol';
import type { Db, Tx } from '../storage/db.ts';
import { accountsStore } from '../storage/accounts.store.ts';
import type { DevicesTable } from '../storage/schema.ts';
import { hashPassword, hashToken, newAccessToken, randomUpper, sameHash } from './secrets.ts';
import type { Requester } from './requester.ts';
import type { Config } from '../config/config.ts';
import type { Notifier } from '../notifier/notifier.ts';
import { announceIn } from './announce.ts';
import { Lru } from '../lib/lru.ts';
import { checkPassword, uiaChallenge, type UiaSessions } from './accounts-uia.ts';

export interface RegisterInput {
  username?: string;
  password?: string;
  deviceId?: string;
  deviceName?: string;
  inhibitLogin?: boolean;
  auth?: { type?: string; session?: string; token?: unknown };
  kind?: 'user' | 'guest';
}

export interface LoginInput {
  type: string;
  user?: string;
  identifierType?: string;
  password?: string;
  deviceId?: string;
  deviceName?: string;
  ip: string;
}

export interface ProfileChangeListener {
  (userId: UserId, profile: { displayname: string | null; avatar_url: string | null }): Promise<void>;
}

const MAX_LOCALPART = 200;
/** How long a token lookup is trusted without asking the database again. A revocation drops the
 *  entries here and — announced in the revoking transaction, acknowledged before the revoking
 *  request is answered — in every other process. */
const TOKEN_CACHE_MS = 5_000;
const TOKEN_CACHE_MAX = 50_000;
/** How long a revocation waits for the other processes to drop the tokens from their caches. */
const ACK_WAIT_MS = 2_000;

/** A request held open on a token (a /sync long-poll): aborted when a revocation may concern it. */
interface TokenWatch {
  requester: Requester;
  abort: AbortController;
}

/** What account changes tell the rest of the app, given at construction. */
export interface AccountListeners {
  /** After a profile change (rooms update the member events). */
  profileChanged?: ProfileChangeListener;
  /** Inside every transaction that revokes tokens (and so may delete devices): the end-to-end
   *  keys of deleted devices go with them; returns what to announce after commit. */
  devicesRemoved?: (tx: Tx, userId: UserId) => Promise<(() => void) | undefined>;
}

export class AccountService {
  /** Set when federation is on: another server's user's profile, asked of that server. */
  remoteProfile: ((userId: UserId) => Promise<{ displayname: string | null; avatar_url: string | null }>) | null = null;
  private readonly tokenCache = new Lru<string, { requester: Requester; until: number }>(TOKEN_CACHE_MAX);
  /** Bumped by every revocation: a lookup that raced one is not cached. */
  private revocations = 0;
  /** The revocation count when each requester's token was last found valid. */
  private readonly checkedAt = new WeakMap<Requester, number>();
  /** Requests held open on a token, by user. */
  private readonly watches = new Map<string, Set<TokenWatch>>();

  constructor(
    private readonly db: Db,
    private readonly config: Pick<Config, 'serverName' | 'registration' | 'registrationTokens'>,
    /** User-interactive-auth sessions, shared with account management. */
    readonly uia: UiaSessions,
    private readonly notifier?: Notifier,
    private readonly listeners: AccountListeners = {},
  ) {
    // A process (this one too) revoked tokens: drop them from this cache.
    notifier?.on('tokens', (m) => this.dropCached(m.user, m.device));
    // The bus reconnected: a revocation may have been missed. Forget what was cached and look
    // again at every token a request is held open on.
    notifier?.on('all', () => {
      this.revocations++;
      this.tokenCache.clear();
      for (const set of this.watches.values()) for (const w of set) void this.recheck(w);
    });
  }

  get serverName(): ServerName {
    return this.config.serverName;
  }

  /** The user id a login, registration or UIA stage names, as `alice` or `@alice:server`. */
  userIdFor(user: string): UserId {
    if (user.startsWith('@')) {
      if (!isUserId(user)) throw new MatrixError(400, ErrCode.INVALID_USERNAME, 'Invalid user ID');
      return user.replace(/^@([^:]+)/, (m) => m.toLowerCase()) as UserId;
    }
    return makeUserId(user.toLowerCase(), this.serverName);
  }

  private validateNewLocalpart(localpart: string): void {
    if (localpart.length === 0 || localpart.length > MAX_LOCALPART || !NEW_LOCALPART_RE.test(localpart)) {
      throw new MatrixError(400, ErrCode.INVALID_USERNAME, 'User ID may only contain a-z, 0-9, and ._=-/+');
    }
    if (localpart.startsWith('_')) throw new MatrixError(400, ErrCode.INVALID_USERNAME, 'User ID may not start with _');
  }

  async usernameAvailable(username: string): Promise<boolean> {
    if (this.config.registration === 'closed') throw forbidden('Registration is disabled');
    const localpart = username.toLowerCase();
    this.validateNewLocalpart(localpart);
    if (await accountsStore.userExists(this.db, makeUserId(localpart, this.serverName))) {
      throw new MatrixError(400, ErrCode.USER_IN_USE, 'User ID already taken.');
    }
    return true;
  }

  tokenValid(token: string): boolean {
    return this.config.registrationTokens.some((t) => sameHash(t, token));
  }

  /** User-interactive auth for /register: returns when a stage is complete, else throws 401 with the flows. */
  private checkRegistrationAuth(auth: RegisterInput['auth']): void {
    const stage = this.config.registration === 'token' ? 'm.login.registration_token' : 'm.login.dummy';
    // Bound to registration only, not to the body: clients fill in the username after the first
    // request (Synapse, too, lets the body change here).
    const session = this.uia.continue([stage], auth?.session, { kind: 'register' });
    if (!auth || auth.type === undefined) throw uiaChallenge([stage], session);
    const ok = auth.type === stage && (stage === 'm.login.dummy' || (typeof auth.token === 'string' && this.tokenValid(auth.token)));
    if (!ok) {
      const errcode = auth.type === stage ? ErrCode.UNAUTHORIZED : ErrCode.UNRECOGNIZED;
      throw uiaChallenge([stage], session, errcode, auth.type === stage ? 'Invalid registration token' : `Unsupported auth type ${auth.type}`);
    }
  }

  async register(input: RegisterInput): Promise<{ user_id: string; access_token?: string; device_id?: string; home_server: string }> {
    if (input.kind === 'guest') throw new MatrixError(403, ErrCode.GUEST_ACCESS_FORBIDDEN, 'Guest access is not supported');
    if (this.config.registration === 'closed') throw forbidden('Registration is disabled');
    const localpart = input.username !== undefined ? input.username.toLowerCase() : `user_${randomUpper(10).toLowerCase()}`;
    this.validateNewLocalpart(localpart);
    const userId = makeUserId(localpart, this.serverName);
    // Spec: a username already taken is reported before the auth stages are run.
    if (await accountsStore.userExists(this.db, userId)) throw new MatrixError(400, ErrCode.USER_IN_USE, 'User ID already taken.');
    this.checkRegistrationAuth(input.auth);
    const passwordHash = input.password !== undefined && input.password.length > 0 ? await hashPassword(input.password) : null;
    // The account and its first session are created together, or not at all.
    return this.db.transaction().execute(async (tx) => {
      const inserted = await accountsStore.insertUser(tx, {
        user_id: userId,
        password_hash: passwordHash,
        displayname: localpart,
        avatar_url: null,
        created_ts: Date.now(),
        deactivated: 0,
      });
      if (!inserted) throw new MatrixError(400, ErrCode.USER_IN_USE, 'User ID already taken.');
      if (input.inhibitLogin) return { user_id: userId, home_server: this.serverName };
      const session = await this.createSessionIn(tx, userId, input.deviceId, input.deviceName, null);
      return { ...session, home_server: this.serverName };
    });
  }

  async login(input: LoginInput): Promise<LoginResponse> {
    if (input.type !== 'm.login.password') throw new MatrixError(400, ErrCode.UNKNOWN, `Unsupported login type ${input.type}`);
    if (input.identifierType !== undefined && input.identifierType !== 'm.id.user') {
      throw new MatrixError(400, ErrCode.UNKNOWN, `Unsupported identifier type ${input.identifierType}`);
    }
    if (input.user === undefined || input.user.length === 0) throw new MatrixError(400, ErrCode.MISSING_PARAM, 'Missing user identifier');
    if (input.password === undefined) throw new MatrixError(400, ErrCode.MISSING_PARAM, 'Missing password');
    const userId = this.userIdFor(input.user);
    const wrong = () => forbidden('Invalid username or password');
    if (serverNameOf(userId) !== this.serverName) throw wrong();
    if (!(await checkPassword(this.db, userId, input.password))) throw wrong();
    const session = await this.createSession(userId, input.deviceId, input.deviceName, input.ip);
    return { ...session, home_server: this.serverName };
  }

  private createSession(userId: UserId, deviceId: string | undefined, deviceName: string | undefined, ip: string | null) {
    const create = (tx: Tx) => this.createSessionIn(tx, userId, deviceId, deviceName, ip);
    // Logging in again with a known device id replaces that device's old tokens: revoked everywhere.
    return deviceId === undefined ? this.db.transaction().execute(create) : this.revoking(userId, deviceId, create);
  }

  private async createSessionIn(tx: Tx, userId: UserId, deviceId: string | undefined, deviceName: string | undefined, ip: string | null) {
    const id = deviceId ?? randomUpper(10);
    const token = newAccessToken();
    const now = Date.now();
    if (deviceId !== undefined) await accountsStore.deleteTokens(tx, userId, id);
    await accountsStore.upsertDevice(tx, {
      user_id: userId,
      device_id: id,
      display_name: deviceName ?? null,
      created_ts: now,
      last_seen_ts: now,
      last_seen_ip: ip,
    });
    await accountsStore.insertToken(tx, { userId, deviceId: id, tokenHash: hashToken(token) });
    return { user_id: userId, access_token: token, device_id: id };
  }

  async requesterForToken(token: string): Promise<Requester | undefined> {
    if (token.length > 512) return undefined;
    return this.requesterForHash(hashToken(token));
  }

  private async requesterForHash(hash: string): Promise<Requester | undefined> {
    const now = Date.now();
    const hit = this.tokenCache.get(hash);
    if (hit && hit.until > now) {
      this.checkedAt.set(hit.requester, this.revocations);
      return hit.requester;
    }
    const generation = this.revocations;
    const row = await accountsStore.findToken(this.db, hash);
    if (!row || !sameHash(row.tokenHash, hash)) {
      this.tokenCache.delete(hash);
      return undefined;
    }
    const requester = { userId: row.userId as UserId, deviceId: row.deviceId, tokenHash: hash };
    this.checkedAt.set(requester, generation);
    // The row may predate a revocation that arrived while it was read: then it is not kept.
    if (generation !== this.revocations) return requester;
    this.tokenCache.set(hash, { requester, until: now + TOKEN_CACHE_MS });
    return requester;
  }

  /**
   * Runs `fn`, which revokes tokens of the user (one device, or all), in one transaction that also
   * announces the revocation; answers once every other process has dropped the tokens from its
   * cache (or after ACK_WAIT_MS, if one does not answer), so the next request anywhere is refused.
   * Also used by account management (password change, deactivation, device deletion).
   */
  async revoking<T>(userId: UserId, deviceId: string | undefined, fn: (tx: Tx) => Promise<T>): Promise<T> {
    const acks = this.notifier?.expectAcks(ACK_WAIT_MS);
    let devicesRemoved: (() => void) | undefined;
    try {
      const result = await this.db.transaction().execute(async (tx) => {
        const out = await fn(tx);
        devicesRemoved = await this.listeners.devicesRemoved?.(tx, userId);
        if (this.notifier && acks) await announceIn(tx, this.notifier, { k: 'tokens', user: userId, ...(deviceId !== undefined ? { device: deviceId } : {}), id: acks.id });
        return out;
      });
      this.dropCached(userId, deviceId);
      devicesRemoved?.();
      await acks?.wait();
      return result;
    } catch (err) {
      acks?.cancel();
      throw err;
    }
  }

  private dropCached(userId: string, deviceId?: string): void {
    this.revocations++;
    for (const [hash, { requester }] of this.tokenCache) {
      if (requester.userId === userId && (deviceId === undefined || requester.deviceId === deviceId)) this.tokenCache.delete(hash);
    }
    // Wake what is held open on those tokens; the request then looks its token up again.
    for (const w of this.watches.get(userId) ?? []) {
      if (deviceId === undefined || w.requester.deviceId === deviceId) w.abort.abort();
    }
  }

  /** Whether the requester's token is still valid (the cache answers; every revocation empties it
   *  here and, before the revoking request is answered, in every other process). */
  async stillValid(r: Requester): Promise<boolean> {
    const now = await this.requesterForHash(r.tokenHash);
    return now !== undefined && now.userId === r.userId && now.deviceId === r.deviceId;
  }

  /**
   * For a request held open on the requester's token (the /sync long-poll): `signal` aborts when a
   * revocation that may concern the token is announced — by this process or any other — so the
   * request stops waiting and checks its token again (`stillValid`). A revocation that came
   * between the token's lookup and this call is caught too. `close` when the request ends.
   */
  watchToken(r: Requester): { signal: AbortSignal; close(): void } {
    const w: TokenWatch = { requester: r, abort: new AbortController() };
    let set = this.watches.get(r.userId);
    if (!set) this.watches.set(r.userId, (set = new Set()));
    set.add(w);
    if (this.checkedAt.get(r) !== this.revocations) void this.recheck(w);
    return {
      signal: w.abort.signal,
      close: () => {
        const s = this.watches.get(r.userId);
        s?.delete(w);
        if (s?.size === 0) this.watches.delete(r.userId);
      },
    };
  }

  /** Aborts the watch when its token is gone (or cannot be checked). */
  private async recheck(w: TokenWatch): Promise<void> {
    if (w.abort.signal.aborted) return;
    const found = await accountsStore.findToken(this.db, w.requester.tokenHash).catch(() => undefined);
    if (!found) w.abort.abort();
  }

  async logout(r: Requester): Promise<void> {
    await this.revoking(r.userId, r.deviceId, (tx) => accountsStore.deleteDevices(tx, r.userId, r.deviceId));
  }

  async logoutAll(r: Requester): Promise<void> {
    await this.revoking(r.userId, undefined, (tx) => accountsStore.deleteDevices(tx, r.userId));
  }

  async profile(userId: UserId): Promise<{ displayname: string | null; avatar_url: string | null }> {
    if (this.remoteProfile && serverNameOf(userId) !== this.config.serverName) return this.remoteProfile(userId);
    const user = await accountsStore.getUser(this.db, userId);
    if (!user || user.deactivated) throw notFound('Profile not found');
    return { displayname: user.displayname, avatar_url: user.avatar_url };
  }

  async setProfileField(r: Requester, userId: UserId, field: 'displayname' | 'avatar_url', value: string | null): Promise<void> {
    if (userId !== r.userId) throw forbidden("Cannot change another user's profile");
    await accountsStore.updateProfile(this.db, userId, { [field]: value });
    if (this.listeners.profileChanged) await this.listeners.profileChanged(userId, await this.profile(userId));
  }

  async devices(r: Requester): Promise<DeviceInfo[]> {
    return (await accountsStore.listDevices(this.db, r.userId)).map(deviceInfo);
  }

  async device(r: Requester, deviceId: string): Promise<DeviceInfo> {
    const row = await accountsStore.getDevice(this.db, r.userId, deviceId);
    if (!row) throw notFound('Unknown device');
    return deviceInfo(row);
  }

  async renameDevice(r: Requester, deviceId: string, name: string | undefined): Promise<void> {
    // "If not given, the display name is unchanged."
    if (name === undefined) {
      await this.device(r, deviceId);
      return;
    }
    if (!(await accountsStore.setDeviceName(this.db, r.userId, deviceId, name))) throw notFound('Unknown device');
  }
}

function deviceInfo(row: DevicesTable): DeviceInfo {
  const d: DeviceInfo = { device_id: row.device_id };
  if (row.display_name !== null) d.display_name = row.display_name;
  if (row.last_seen_ip !== null) d.last_seen_ip = row.last_seen_ip;
  if (row.last_seen_ts !== null) d.last_seen_ts = row.last_seen_ts;
  return d;
}
