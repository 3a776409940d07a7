// One descriptor → one Fastify route: decode the body (M_NOT_JSON / M_BAD_JSON), parse the query
// (M_MISSING_PARAM / M_INVALID_PARAM), authenticate, rate-limit, call the handler, send its JSON.

import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { TSchema } from '@sinclair/typebox';
import {
  ErrCode,
  MatrixError,
  badJson,
  invalidParam,
  missingParam,
  type BodyOf,
  type Endpoint,
  type ParamsOf,
  type QueryParamsOf,
  type QuerySpec,
  type ResponseOf,
} from '@hush/protocol';
import { authenticate, type Requester } from './auth.ts';
import type { AccountService } from '../services/accounts.ts';
import type { RateLimiter } from './rate-limit.ts';

export interface HandlerContext<E> {
  params: ParamsOf<E>;
  query: QueryParamsOf<E>;
  body: BodyOf<E>;
  requester: E extends { auth: 'required' } ? Requester : Requester | undefined;
  req: FastifyRequest;
}

export type Handler<E> = (ctx: HandlerContext<E>) => Promise<ResponseOf<E>> | ResponseOf<E>;

export interface RouteDef {
  endpoint: Endpoint;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  handler: Handler<any> | RawHandler<any>;
}

export function defineRoute<E extends Endpoint>(endpoint: E, handler: Handler<E>): RouteDef {
  return { endpoint, handler };
}

/** A request body that is bytes (`rawBody` descriptors): the unread request stream, for the handler
 *  to stream where it belongs under its own size limit (Fastify's parser leaves it unread). */
export interface RawBody {
  stream: Readable;
  /** The Content-Type header as sent, if any. */
  contentType: string | undefined;
  /** The Content-Length header, when it is a number. */
  declaredLength: number | undefined;
}

/** A success response that is bytes (`rawResponse` descriptors): headers and a stream or buffer. */
export class RawReply {
  constructor(
    readonly headers: Record<string, string>,
    readonly body: Readable | Buffer,
  ) {}
}

export interface RawHandlerContext<E> extends Omit<HandlerContext<E>, 'body'> {
  /** Set for `rawBody` descriptors. */
  raw: RawBody | undefined;
}
export type RawHandler<E> = (ctx: RawHandlerContext<E>) => Promise<ResponseOf<E> | RawReply> | ResponseOf<E> | RawReply;

/** A route whose descriptor says `rawBody` or `rawResponse`: bytes in or out instead of JSON. */
export function defineRawRoute<E extends Endpoint>(endpoint: E, handler: RawHandler<E>): RouteDef {
  if (!endpoint.rawBody && !endpoint.rawResponse) throw new Error(`${endpoint.operationId} is not a raw descriptor`);
  return { endpoint, handler };
}

/** The Content-Type as the client sent it (rawHeaders): the media scope in app.ts sets the parsed
 *  header to application/octet-stream so that Fastify never refuses a type it cannot parse (415). */
function sentContentType(req: FastifyRequest): string | undefined {
  const h = req.raw.rawHeaders;
  for (let i = 0; i + 1 < h.length; i += 2) if (h[i]!.toLowerCase() === 'content-type') return h[i + 1];
  return undefined;
}

function rawBodyOf(req: FastifyRequest): RawBody {
  const length = req.headers['content-length'];
  const n = typeof length === 'string' && /^[0-9]{1,16}$/.test(length) ? Number(length) : undefined;
  return { stream: req.body instanceof Readable ? req.body : req.raw, contentType: sentContentType(req), declaredLength: n };
}

export interface RouteDeps {
  accounts: AccountService;
  limiter: RateLimiter | null;
}

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();
function checkerFor(schema: TSchema): TypeCheck<TSchema> {
  let c = compiled.get(schema);
  if (!c) {
    c = TypeCompiler.Compile(schema);
    compiled.set(schema, c);
  }
  return c;
}

/** A string we can store anywhere: well-formed UTF-16 and no U+0000 (PostgreSQL text refuses it). */
export function storableString(s: string): boolean {
  return s.isWellFormed() && !s.includes('\u0000');
}

/** True when every string (and key) in a parsed JSON value is storable, at most 100 levels deep. */
function wellFormed(v: unknown, depth = 0): boolean {
  if (depth > 100) return false;
  if (typeof v === 'string') return storableString(v);
  if (Array.isArray(v)) return v.every((x) => wellFormed(x, depth + 1));
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) if (!storableString(k) || !wellFormed(x, depth + 1)) return false;
  }
  return true;
}

/** At most 100 levels deep (strings not looked at). */
function shallowEnough(v: unknown, depth = 0): boolean {
  if (depth > 100) return false;
  if (v === null || typeof v !== 'object') return true;
  if (Array.isArray(v)) return v.every((x) => shallowEnough(x, depth + 1));
  for (const k in v) if (!shallowEnough((v as Record<string, unknown>)[k], depth + 1)) return false;
  return true;
}

/** JSON text is UTF-8 (RFC 8259): bytes that are not refuse the body instead of becoming U+FFFD.
 *  A byte order mark is kept, so JSON.parse refuses it as before. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The request body as a JSON object. Empty is `{}`; so is `null` when the descriptor says the body
 *  is optional (`optionalBody`). */
export function parseJsonBody(raw: unknown, optional = false): unknown {
  const buf = Buffer.isBuffer(raw) ? raw : typeof raw === 'string' ? Buffer.from(raw) : undefined;
  if (!buf || buf.length === 0) return {};
  let text: string;
  try {
    text = utf8.decode(buf);
  } catch {
    throw new MatrixError(400, ErrCode.NOT_JSON, 'Content not JSON: the body is not valid UTF-8.');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new MatrixError(400, ErrCode.NOT_JSON, 'Content not JSON.');
  }
  if (value === null && optional) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badJson('Request body must be a JSON object');
  // Text decoded from valid UTF-8 holds no lone surrogate and JSON strings no raw U+0000: parsed
  // strings can carry either only through a \u escape. Without one (a 10,000-user list, say) only
  // the depth needs a look.
  const ok = text.includes('\\u') ? wellFormed(value) : shallowEnough(value);
  if (!ok) throw badJson('Request body contains invalid Unicode or U+0000, or is nested too deeply');
  return value;
}

export function validateBody<S extends TSchema>(schema: S, value: unknown): void {
  const checker = checkerFor(schema);
  if (checker.Check(value)) return;
  const first = checker.Errors(value).First();
  const where = first?.path ? first.path.slice(1).replace(/\//g, '.') : 'body';
  throw badJson(`Invalid ${where || 'body'}: ${first?.message ?? 'wrong shape'}`);
}

export function parseQuery(spec: QuerySpec, raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(spec)) {
    let v = raw[name];
    if (Array.isArray(v)) v = v[v.length - 1];
    if (v === undefined) {
      if (p.required) throw missingParam(`Missing query parameter ${name}`);
      continue;
    }
    const s = String(v);
    switch (p.kind) {
      case 'string':
        if (p.maxLength !== undefined && s.length > p.maxLength) throw invalidParam(`Query parameter ${name} is too long`);
        if (!storableString(s)) throw invalidParam(`Query parameter ${name} is not valid Unicode`);
        out[name] = s;
        break;
      case 'int': {
        if (!/^-?[0-9]{1,16}$/.test(s)) throw invalidParam(`Query parameter ${name} must be an integer`);
        const n = Number(s);
        if (n < p.min) throw invalidParam(`Query parameter ${name} must be at least ${p.min}`);
        out[name] = Math.min(n, p.max);
        break;
      }
      case 'bool':
        if (s !== 'true' && s !== 'false') throw invalidParam(`Query parameter ${name} must be true or false`);
        out[name] = s === 'true';
        break;
      case 'enum':
        if (!p.values.includes(s)) throw invalidParam(`Query parameter ${name} must be one of ${p.values.join(', ')}`);
        out[name] = s;
        break;
      case 'json':
        if (p.maxLength !== undefined && s.length > p.maxLength) throw invalidParam(`Query parameter ${name} is too long`);
        try {
          out[name] = JSON.parse(s);
        } catch {
          throw new MatrixError(400, ErrCode.NOT_JSON, `Query parameter ${name} is not JSON`);
        }
        break;
    }
  }
  return out;
}

/** Every value of a repeated query parameter (the spec's array parameters: `?via=a&via=b`), each
 *  checked as parseQuery checks a string; at most `maxCount` are kept. */
export function queryValues(req: FastifyRequest, name: string, maxLength: number, maxCount = 20): string[] {
  const raw = (req.query as Record<string, unknown> | undefined)?.[name];
  const all: unknown[] = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return all.slice(0, maxCount).map((v) => {
    const s = String(v);
    if (s.length > maxLength) throw invalidParam(`Query parameter ${name} is too long`);
    if (!storableString(s)) throw invalidParam(`Query parameter ${name} is not valid Unicode`);
    return s;
  });
}

/** `{roomId}` → `:roomId` for the router; also the r0 alias of every v3 path (client and media). */
export function routerPaths(path: string): string[] {
  const p = path.replace(/\{(\w+)\}/g, ':$1');
  if (p.includes('/client/v3/')) return [p, p.replace('/client/v3/', '/client/r0/')];
  if (p.startsWith('/_matrix/media/v3/')) return [p, p.replace('/_matrix/media/v3/', '/_matrix/media/r0/')];
  return [p];
}

/** A regex per descriptor path, to tell 405 (path known, method not) from 404. */
export function pathMatcher(path: string): RegExp {
  const src = path
    .split(/\{\w+\}/)
    .map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
    .join('[^/]+')
    .replace('/client/v3/', '/client/(?:v3|r0)/')
    .replace('/media/v3/', '/media/(?:v3|r0)/');
  return new RegExp(`^${src}$`);
}

export function registerRoute(app: FastifyInstance, def: RouteDef, deps: RouteDeps): void {
  const e = def.endpoint;
  const needsAuth = e.auth !== 'none';

  async function handle(req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    for (const v of Object.values(req.params as Record<string, string>)) {
      if (!storableString(v)) throw invalidParam('Path parameters must be valid Unicode without U+0000');
    }
    const query = e.query ? parseQuery(e.query, req.query as Record<string, unknown>) : {};
    const requester = needsAuth ? await authenticate(req, deps.accounts, e.auth === 'required') : undefined;
    if (e.rateLimit && deps.limiter) deps.limiter.take(e.rateLimit, requester?.userId ?? req.ip);
    const params = req.params as Record<string, string>;
    if (e.rawBody || e.rawResponse) {
      const raw = e.rawBody ? rawBodyOf(req) : undefined;
      const out = await (def.handler as RawHandler<Endpoint>)({ params, query, raw, requester, req } as RawHandlerContext<Endpoint>);
      if (!(out instanceof RawReply)) return out;
      void reply.headers(out.headers);
      return reply.send(out.body);
    }
    let body: unknown = undefined;
    if (e.method !== 'GET') {
      body = parseJsonBody(req.body, e.optionalBody === true);
      if (e.body) validateBody(e.body, body);
    }
    return (def.handler as Handler<Endpoint>)({ params, query, body, requester, req } as HandlerContext<Endpoint>);
  }

  for (const url of routerPaths(e.path)) {
    app.route({
      method: e.method,
      url,
      handler: async (req, reply) => {
        try {
          return await handle(req, reply);
        } catch (err) {
          // An upload refused with its body still coming (no token, too large, not yours): close
          // the connection after the answer rather than read the rest.
          if (e.rawBody && !req.raw.readableEnded) void reply.header('connection', 'close');
          throw err;
        }
      },
    });
  }
}
