// Federation descriptors → Fastify routes: the same edge validation as the client API (storable
// path parameters, typed query, JSON body → M_NOT_JSON / M_BAD_JSON), and for signed operations a
// preHandler that authenticates the X-Matrix header, then takes a token from the origin's bucket
// (`federation`, per origin server: a server flooding us gets 429 and slows only itself; decision
// 0040), before the handler runs.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalidParam, type BodyOf, type Endpoint, type ParamsOf, type QueryParamsOf, type ResponseOf } from '@hush/protocol';
import { RawReply, parseJsonBody, parseQuery, routerPaths, storableString, validateBody } from '../http/endpoint.ts';
import { authenticateFederationRequest } from './inbound-auth.ts';
import type { KeyRing } from './keys/key-ring.ts';
import type { RateLimiter } from '../http/rate-limit.ts';

export interface FederationContext<E> {
  params: ParamsOf<E>;
  query: QueryParamsOf<E>;
  body: BodyOf<E>;
  /** The authenticated origin server (signed operations only). */
  origin: string | undefined;
  req: FastifyRequest;
}

export interface FederationRouteDef {
  endpoint: Endpoint;
  /** The request must carry a valid X-Matrix signature. */
  signed: boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  handler: (ctx: FederationContext<any>) => Promise<unknown>;
}

export function defineFederationRoute<E extends Endpoint>(
  endpoint: E,
  opts: { signed: boolean },
  handler: (ctx: FederationContext<E>) => Promise<ResponseOf<E>> | ResponseOf<E>,
): FederationRouteDef {
  return { endpoint, signed: opts.signed, handler: async (ctx) => handler(ctx as FederationContext<E>) };
}

const origins = new WeakMap<FastifyRequest, string>();
const bodies = new WeakMap<FastifyRequest, unknown>();

export function registerFederationRoutes(
  app: FastifyInstance,
  defs: readonly FederationRouteDef[],
  deps: {
    serverName: string;
    keyRing: KeyRing;
    /** An authenticated server talked to us (catch-up, decision 0032). */
    onContact?: (origin: string) => void;
    /** Per-origin request limits (absent with `rate-limits off`). */
    limiter?: RateLimiter | null;
  },
): void {
  for (const def of defs) {
    const e = def.endpoint;
    const readBody = (req: FastifyRequest): unknown => {
      if (e.method === 'GET') return undefined;
      if (!bodies.has(req)) bodies.set(req, parseJsonBody(req.body, e.optionalBody === true));
      return bodies.get(req);
    };
    for (const url of routerPaths(e.path)) {
      app.route({
        method: e.method,
        url,
        ...(def.signed
          ? {
              preHandler: async (req: FastifyRequest) => {
                const origin = await authenticateFederationRequest(
                  { method: req.method, uri: req.raw.url ?? req.url, authorization: req.headers.authorization, content: readBody(req) },
                  deps.serverName,
                  deps.keyRing,
                );
                deps.limiter?.take('federation', origin);
                origins.set(req, origin);
                deps.onContact?.(origin);
              },
            }
          : {}),
        handler: async (req, reply) => {
          for (const v of Object.values(req.params as Record<string, string>)) {
            if (!storableString(v)) throw invalidParam('Path parameters must be valid Unicode without U+0000');
          }
          const query = e.query ? parseQuery(e.query, req.query as Record<string, unknown>) : {};
          const body = readBody(req);
          if (e.body && body !== undefined) validateBody(e.body, body);
          const out = await def.handler({ params: req.params as Record<string, string>, query, body, origin: origins.get(req), req } as FederationContext<Endpoint>);
          // Bytes (media): the handler's headers and body as they are.
          if (!(out instanceof RawReply)) return out;
          void reply.headers(out.headers);
          return reply.send(out.body);
        },
      });
    }
  }
}
