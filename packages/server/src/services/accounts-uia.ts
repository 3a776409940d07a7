// User-interactive authentication (spec "User-Interactive Authentication API"): the 401 challenge
// every UIA endpoint answers until a flow is complete, and the `m.login.password` stage, which
// checks the account's own password (the same check as /login: `checkPassword`). Stateless: each
// flow here has one stage, completed (or not) by the request that carries it; the session id is
// only echoed back.

import { ErrCode, MatrixError, type UserId } from '@hush/spec';
import type { Db } from '../storage/db.ts';
import { accountsStore } from '../storage/accounts.store.ts';
import { randomUpper, verifyPassword } from './secrets.ts';

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

/** The 401 Authentication response: the flows, the session, and why the last attempt failed. */
export function uiaChallenge(stages: string[], session: string | undefined, errcode?: string, message?: string): MatrixError {
  const body = { flows: [{ stages }], params: {}, session: session ?? randomUpper(24) };
  return new MatrixError(401, errcode ?? ErrCode.UNAUTHORIZED, message ?? 'Authentication required', body);
}

/**
 * Completes the `m.login.password` stage and returns the account it proved. With an access token
 * (`own`) the stage must name that account or none; without one, its identifier names the account.
 * A wrong or missing password is 401 with the flows and M_FORBIDDEN; a deactivated account is 403.
 */
export async function passwordStage(
  db: Db,
  resolveUser: (user: string) => UserId,
  own: UserId | undefined,
  auth: UiaAuth | undefined,
): Promise<UserId> {
  const stages = [PASSWORD_STAGE];
  if (!auth || auth.type === undefined) throw uiaChallenge(stages, auth?.session);
  const fail = (errcode: string, message: string) => uiaChallenge(stages, auth.session, errcode, message);
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
