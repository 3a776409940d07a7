// Turns anything thrown while serving a request into a Matrix error response. MatrixErrors go out
// as they are; framework client errors are mapped to their Matrix codes; anything else is a 500
// M_UNKNOWN whose cause appears only in the log, with the request id.

import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ErrCode, MatrixError } from '@hush/protocol';

export function toMatrixError(err: unknown): MatrixError | null {
  if (err instanceof MatrixError) return err;
  const fe = err as Partial<FastifyError> | null;
  if (!fe || typeof fe !== 'object') return null;
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new MatrixError(413, ErrCode.TOO_LARGE, 'Request body too large');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new MatrixError(400, ErrCode.BAD_JSON, 'Content-Length does not match the body');
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return new MatrixError(400, ErrCode.INVALID_PARAM, 'Malformed request path');
    default:
      break;
  }
  // Low-level client faults from the HTTP layer (aborted bodies, bad encodings …).
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new MatrixError(fe.statusCode, fe.statusCode === 413 ? ErrCode.TOO_LARGE : ErrCode.UNKNOWN, 'Bad request');
  }
  return null;
}

/** JSON as other homeservers label it: no `; charset=utf-8` parameter (JSON is UTF-8 by definition,
 *  RFC 8259, and some client libraries compare the whole header). */
export const JSON_CONTENT_TYPE = 'application/json';

/** Sends `body` as JSON with that header. With a serializer of its own, Fastify leaves the header
 *  alone; this also holds for requests refused before routing, where no hook runs. */
export function sendJson(reply: FastifyReply, status: number, body: unknown): void {
  void reply.code(status).header('content-type', JSON_CONTENT_TYPE).serializer(JSON.stringify).send(body);
}

export function sendError(err: unknown, req: FastifyRequest, reply: FastifyReply): void {
  const mx = toMatrixError(err);
  if (mx) {
    if (mx.status === 429 && mx.retryAfterMs !== undefined) {
      void reply.header('Retry-After', String(Math.ceil(mx.retryAfterMs / 1000)));
    }
    sendJson(reply, mx.status, mx.toJSON());
    return;
  }
  req.log.error({ err, reqId: req.id }, 'unhandled error');
  sendJson(reply, 500, { errcode: ErrCode.UNKNOWN, error: `Internal server error (request ${req.id})` });
}
