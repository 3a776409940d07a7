// Matrix error codes and the one error type every package throws and decodes
// (client-server API, "Standard error response").

export const ErrCode = {
  FORBIDDEN: 'M_FORBIDDEN',
  UNKNOWN_TOKEN: 'M_UNKNOWN_TOKEN',
  MISSING_TOKEN: 'M_MISSING_TOKEN',
  USER_LOCKED: 'M_USER_LOCKED',
  BAD_JSON: 'M_BAD_JSON',
  NOT_JSON: 'M_NOT_JSON',
  NOT_FOUND: 'M_NOT_FOUND',
  LIMIT_EXCEEDED: 'M_LIMIT_EXCEEDED',
  UNRECOGNIZED: 'M_UNRECOGNIZED',
  UNKNOWN: 'M_UNKNOWN',
  UNAUTHORIZED: 'M_UNAUTHORIZED',
  USER_DEACTIVATED: 'M_USER_DEACTIVATED',
  USER_IN_USE: 'M_USER_IN_USE',
  INVALID_USERNAME: 'M_INVALID_USERNAME',
  WEAK_PASSWORD: 'M_WEAK_PASSWORD',
  ROOM_IN_USE: 'M_ROOM_IN_USE',
  INVALID_ROOM_STATE: 'M_INVALID_ROOM_STATE',
  UNSUPPORTED_ROOM_VERSION: 'M_UNSUPPORTED_ROOM_VERSION',
  BAD_STATE: 'M_BAD_STATE',
  GUEST_ACCESS_FORBIDDEN: 'M_GUEST_ACCESS_FORBIDDEN',
  MISSING_PARAM: 'M_MISSING_PARAM',
  INVALID_PARAM: 'M_INVALID_PARAM',
  TOO_LARGE: 'M_TOO_LARGE',
  EXCLUSIVE: 'M_EXCLUSIVE',
  NOT_JOINED: 'M_NOT_JOINED',
  INVITE_BLOCKED: 'M_INVITE_BLOCKED',
  SENDER_IGNORED: 'M_SENDER_IGNORED',
  BAD_ALIAS: 'M_BAD_ALIAS',
  CANNOT_OVERWRITE_MEDIA: 'M_CANNOT_OVERWRITE_MEDIA',
  NOT_YET_UPLOADED: 'M_NOT_YET_UPLOADED',
} as const;
export type ErrCode = (typeof ErrCode)[keyof typeof ErrCode];

/** The JSON body of every Matrix error response. Extra fields (retry_after_ms, flows…) ride along. */
export interface MatrixErrorBody {
  errcode: string;
  error: string;
  [extra: string]: unknown;
}

export class MatrixError extends Error {
  readonly status: number;
  readonly errcode: string;
  readonly extra: Record<string, unknown>;

  constructor(status: number, errcode: string, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.name = 'MatrixError';
    this.status = status;
    this.errcode = errcode;
    this.extra = extra;
  }

  /** The HTTP status (the name clients such as matrix-js-sdk use). */
  get httpStatus(): number {
    return this.status;
  }

  get retryAfterMs(): number | undefined {
    const v = this.extra['retry_after_ms'];
    return typeof v === 'number' ? v : undefined;
  }

  toJSON(): MatrixErrorBody {
    return { ...this.extra, errcode: this.errcode, error: this.message };
  }
}

export const badJson = (msg: string): MatrixError => new MatrixError(400, ErrCode.BAD_JSON, msg);
export const invalidParam = (msg: string): MatrixError => new MatrixError(400, ErrCode.INVALID_PARAM, msg);
export const missingParam = (msg: string): MatrixError => new MatrixError(400, ErrCode.MISSING_PARAM, msg);
export const forbidden = (msg: string): MatrixError => new MatrixError(403, ErrCode.FORBIDDEN, msg);
export const notFound = (msg: string): MatrixError => new MatrixError(404, ErrCode.NOT_FOUND, msg);
