// The errors the library throws: MatrixError (from @hush/protocol) and its typed kinds by errcode, and
// NetworkError when the homeserver cannot be reached (TimeoutError when it does not answer in time)
// or does not answer like one (BadResponseError).

import { ErrCode, MatrixError } from '@hush/protocol';

export { MatrixError };

/** 403 `M_INVITE_BLOCKED`: the invitee refuses invites from you (Invite permission, MSC4155, MSC4494). */
export class InviteBlockedError extends MatrixError {
  override readonly name = 'InviteBlockedError';
}

/** 404 `M_SENDER_IGNORED` (MSC4406): the event exists but its sender is ignored; `sender` names them. */
export class SenderIgnoredError extends MatrixError {
  override readonly name = 'SenderIgnoredError';
  get sender(): string | undefined {
    const s = this.extra['sender'];
    return typeof s === 'string' ? s : undefined;
  }
}

/** The homeserver could not be reached, or answered something that is not a Matrix response. */
export class NetworkError extends Error {
  override readonly name: string = 'NetworkError';
  constructor(
    message: string,
    readonly url: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/** No complete answer arrived within `timeoutMs` (the connection, the headers and the body). */
export class TimeoutError extends NetworkError {
  override readonly name: string = 'TimeoutError';
  constructor(
    message: string,
    url: string,
    readonly timeoutMs: number,
  ) {
    super(message, url);
  }
}

/** An answer came, but not a Matrix one: a body that is not JSON, or a success response without
 *  the fields the spec requires (`problem` says which). Nothing from it is used. */
export class BadResponseError extends NetworkError {
  override readonly name: string = 'BadResponseError';
  constructor(
    message: string,
    url: string,
    readonly status: number,
    readonly problem: string,
  ) {
    super(message, url);
  }
}

/** The typed error for an error response's status and body. */
export function toMatrixError(status: number, body: unknown): MatrixError {
  const b = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const errcode = typeof b['errcode'] === 'string' ? b['errcode'] : 'M_UNKNOWN';
  const message = typeof b['error'] === 'string' ? b['error'] : `HTTP ${status}`;
  const extra = Object.fromEntries(Object.entries(b).filter(([k]) => k !== 'errcode' && k !== 'error'));
  if (errcode === ErrCode.INVITE_BLOCKED) return new InviteBlockedError(status, errcode, message, extra);
  if (errcode === ErrCode.SENDER_IGNORED) return new SenderIgnoredError(status, errcode, message, extra);
  return new MatrixError(status, errcode, message, extra);
}
