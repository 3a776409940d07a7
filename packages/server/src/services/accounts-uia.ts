// User-interactive authentication (spec "User-Interactive Authentication API"): the 401 challenge
// every UIA endpoint answers until a flow is complete, the `m.login.password` stage, which checks
// the account's own password (the same check as /login: `checkPassword`), and the sessions. Each
// flow here has one stage, completed (or not) by the request that carries it. A session is bound
// to the operation that began it (what it acts on: account, device, device list): a session begun
// for one operation cannot complete another (403 M_FORBIDDEN). Sessions are stateless — an HMAC
// under a key derived from the server's signing key — so every process of a deployment knows them
// without storing anything: docs/decisions/0017-token-lifetime-and-uia-binding.md.

import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { ErrCode, MatrixError, type UserId } from '@hush/protocol';
import type { Db } from '../storage/db.ts';
import { accountsStore } from '../storage/accounts.store.ts';
import { verifyPassword } from './secrets.ts';
import { seedOf } from './events/crypto.ts';

/** Authentication Data as a client sends it; the password stage's keys are typed. */
export interface UiaAuth {
  type?: string;
  session?: string;
  identifier?: { type: string; user?: string };
  user?: string;
  password?: string;
  [key: string]: unknown;
}

export const PASSWORD_STAGE = 'm.login.password';
/** Hashed when the named account does not exist, so timing does not reveal which accounts exist. */
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA';

/** Whether `password` is the account's: false for a wrong password or an unknown account (hashed
 *  all the same, so response time does not reveal which accounts exist); a deactivated account with
 *  the right password is 403 M_USER_DEACTIVATED. */
export async function checkPassword(db: Db, userId: UserId, password: string): Promise<boolean> {
  const user = await accountsStore.getUser(db, userId);
  const ok = await verifyPassword(password, user?.password_hash ?? DUMMY_HASH);
  if (!user || !user.password_hash || !ok) return false;
  if (user.deactivated) throw new MatrixError(403, ErrCode.USER_DEACTIVATED, 'This account has been deactivated');
  return true;
}

/** What a UIA session authorises: the operation, the account it acts for (when the request has
 *  an access token) and what it acts on (a device id, a device list). */
export interface UiaOperation {
  kind: 'register' | 'password' | 'deactivate' | 'delete_device' | 'delete_devices' | 'cross_signing';
  user?: string;
  target?: string | readonly string[];
}

/** How long a session may take to complete. */
const SESSION_MS = 60 * 60 * 1000;
const TAG_BYTES = 16;

/**
 * Mints and checks session ids `<nonce>.<expiry>.<operation tag>.<mac>`: the operation tag is a
 * keyed hash of the operation (it reveals nothing of it), the mac covers the other three parts.
 */
export class UiaSessions {
  private constructor(private readonly key: Buffer) {}

  /** Keyed from the signing key's seed, which every process of a deployment shares. */
  static fromSigningKey(privateKey: KeyObject): UiaSessions {
    return new UiaSessions(Buffer.from(hkdfSync('sha256', Buffer.from(seedOf(privateKey), 'base64'), 'hush', 'uia-session', 32)));
  }

  private mac(...parts: string[]): string {
    return createHmac('sha256', this.key).update(parts.join('\u0000')).digest().subarray(0, TAG_BYTES).toString('base64url');
  }

  private tag(op: UiaOperation): string {
    const target = op.target === undefined ? null : typeof op.target === 'string' ? op.target : [...new Set(op.target)].sort();
    return this.mac('op', JSON.stringify([op.kind, op.user ?? null, target]));
  }

  begin(op: UiaOperation, now = Date.now()): string {
    const nonce = randomBytes(12).toString('base64url');
    const expiry = String(now + SESSION_MS);
    const tag = this.tag(op);
    return `${nonce}.${expiry}.${tag}.${this.mac('session', nonce, expiry, tag)}`;
  }

  /** `ok`: ours, unexpired, for this operation; `changed`: ours but begun for another operation;
   *  `unknown`: not one we issued, or expired. */
  check(session: string, op: UiaOperation, now = Date.now()): 'ok' | 'changed' | 'unknown' {
    const parts = session.split('.');
    if (parts.length !== 4) return 'unknown';
    const [nonce, expiry, tag, mac] = parts as [string, string, string, string];
    if (!sameText(mac, this.mac('session', nonce, expiry, tag))) return 'unknown';
    if (!/^[0-9]{1,15}$/.test(expiry) || Number(expiry) < now) return 'unknown';
    return sameText(tag, this.tag(op)) ? 'ok' : 'changed';
  }

  /**
   * The session a request continues, or a new one for its operation. A session begun for another
   * operation is 403 M_FORBIDDEN (as Synapse answers one whose method or path changed); an unknown
   * or expired one is answered with a new challenge.
   */
  continue(stages: string[], session: string | undefined, op: UiaOperation): string {
    if (session === undefined) return this.begin(op);
    switch (this.check(session, op)) {
      case 'ok':
        return session;
      case 'changed':
        throw new MatrixError(403, ErrCode.FORBIDDEN, 'This authentication session was begun for another operation');
      case 'unknown':
        throw uiaChallenge(stages, this.begin(op), ErrCode.UNKNOWN, 'Unknown or expired authentication session: continue with this one');
    }
  }
}

function sameText(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

/** The 401 Authentication response: the flows, the session, and why the last attempt failed. */
export function uiaChallenge(stages: string[], session: string, errcode?: string, message?: string): MatrixError {
  const body = { flows: [{ stages }], params: {}, session };
  return new MatrixError(401, errcode ?? ErrCode.UNAUTHORIZED, message ?? 'Authentication required', body);
}

/**
 * Completes the `m.login.password` stage of `op` and returns the account it proved. With an access
 * token (`own`) the stage must name that account or none; without one, its identifier names the
 * account. A wrong or missing password is 401 with the flows and M_FORBIDDEN; a deactivated account
 * is 403; a session begun for another operation (`bound`) is 403 M_FORBIDDEN, before any password
 * is checked. Every caller passes `bound`; without it the session is only echoed back (as before
 * sessions were bound), which lets a session begun for one operation complete another.
 */
export async function passwordStage(
  db: Db,
  resolveUser: (user: string) => UserId,
  own: UserId | undefined,
  auth: UiaAuth | undefined,
  bound?: { sessions: UiaSessions; op: UiaOperation },
): Promise<UserId> {
  const stages = [PASSWORD_STAGE];
  const session = bound ? bound.sessions.continue(stages, auth?.session, bound.op) : (auth?.session ?? randomBytes(12).toString('base64url'));
  if (!auth || auth.type === undefined) throw uiaChallenge(stages, session);
  const fail = (errcode: string, message: string) => uiaChallenge(stages, session, errcode, message);
  if (auth.type !== PASSWORD_STAGE) throw fail(ErrCode.UNRECOGNIZED, `Unsupported auth type ${auth.type}`);
  if (auth.identifier !== undefined && auth.identifier.type !== 'm.id.user') throw fail(ErrCode.UNRECOGNIZED, `Unsupported identifier type ${auth.identifier.type}`);
  const named = auth.identifier?.user ?? auth.user;
  let userId: UserId;
  if (named !== undefined) {
    try {
      userId = resolveUser(named);
    } catch {
      throw fail(ErrCode.FORBIDDEN, 'Invalid username or password');
    }
    if (own !== undefined && userId !== own) throw fail(ErrCode.FORBIDDEN, 'The identifier names another account than the access token');
  } else if (own !== undefined) {
    userId = own;
  } else {
    throw fail(ErrCode.MISSING_PARAM, 'Without an access token, the identifier must name the account');
  }
  if (auth.password === undefined) throw fail(ErrCode.MISSING_PARAM, 'Missing password');
  if (!(await checkPassword(db, userId, auth.password))) throw fail(ErrCode.FORBIDDEN, 'Invalid username or password');
  return userId;
}
