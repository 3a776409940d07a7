// buildApp(deps): the HTTP application over the services. Tests import it; only main.ts listens.

import { readFileSync } from 'node:fs';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ErrCode } from '@hush/spec';
import type { Services } from './services/index.ts';
import { allRoutes } from './http/router.ts';
import { pathMatcher, registerRoute } from './http/endpoint.ts';
import { JSON_CONTENT_TYPE, sendError } from './http/errors.ts';
import { DEFAULT_BUCKETS, RateLimiter } from './http/rate-limit.ts';
import { registerWebClient } from './http/web.ts';

export interface AppDeps {
  services: Services;
  logger: Logger;
}

/** `Server: Hush/<version>` on every response, so a benchmark or an operator can tell what answered. */
const SERVER_HEADER = `Hush/${(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version}`;

// CORS as the spec asks, and the Server header, on every response.
const COMMON_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, PUT, DELETE, OPTIONS',
  'access-control-allow-headers': 'X-Requested-With, Content-Type, Authorization',
  server: SERVER_HEADER,
};

/** What Fastify labels the JSON it serializes. */
const FASTIFY_JSON = 'application/json; charset=utf-8';

/** Drops the access token from a URL before it is logged. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]access_token=)[^&]*/g, '$1<redacted>');
}

function logRequest(log: FastifyBaseLogger, method: string, url: string, status: number, ms: number): void {
  log.info({ method, url: redactUrl(url), status, ms: Math.round(ms * 100) / 100 }, 'request');
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { services, logger } = deps;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: services.config.maxBodyBytes,
    routerOptions: { maxParamLength: 65_536, ignoreDuplicateSlashes: false },
    return503OnClosing: true,
    forceCloseConnections: true,
    // Malformed percent-escapes and the like reach our error handler, not Fastify's default body.
    frameworkErrors: (err, req, reply) => {
      // Refused before routing, so the onResponse hook does not run: log the line here.
      sendError(err, req, reply);
      logRequest(req.log, req.method, req.url, reply.statusCode, 0);
    },
    requestIdHeader: false,
    genReqId: (() => {
      let n = 0;
      return () => (++n).toString(36);
    })(),
  });

  // Bodies are parsed by the endpoint layer (M_NOT_JSON / M_BAD_JSON), whatever the content type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.addHook('onRequest', async (req, reply) => {
    void reply.headers(COMMON_HEADERS);
    if (req.method === 'OPTIONS') return reply.code(204).send();
  });
  app.addHook('onResponse', async (req, reply) => logRequest(req.log, req.method, req.url, reply.statusCode, reply.elapsedTime));
  // `Content-Type: application/json` as other homeservers send it, without Fastify's `; charset=utf-8`
  // (errors.ts says why). One hook, so every answer that passes Fastify's serializer carries it;
  // sendError sets it itself, as requests refused before routing pass no hook.
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (reply.getHeader('content-type') === FASTIFY_JSON) void reply.header('content-type', JSON_CONTENT_TYPE);
    done(null, payload);
  });

  const limiter = services.config.rateLimits ? new RateLimiter(DEFAULT_BUCKETS) : null;
  const routes = allRoutes(services);
  for (const def of routes) registerRoute(app, def, { accounts: services.accounts, limiter });

  registerWebClient(app);

  const matchers = routes.map((r) => pathMatcher(r.endpoint.path));
  app.setNotFoundHandler(async (req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    const known = matchers.some((m) => m.test(path));
    return reply
      .code(known ? 405 : 404)
      .send({ errcode: ErrCode.UNRECOGNIZED, error: known ? 'Method not allowed' : 'Unrecognized request' });
  });
  app.setErrorHandler((err, req, reply) => sendError(err, req, reply));
  return app;
}
