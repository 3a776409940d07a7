// buildApp(deps): the HTTP application over the services. Tests import it; only main.ts listens.

import { readFileSync } from 'node:fs';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ErrCode } from '@hush/protocol';
import type { Services } from './services/index.ts';
import { allRoutes } from './http/router.ts';
import { pathMatcher, registerRoute } from './http/endpoint.ts';
import { JSON_CONTENT_TYPE, sendError } from './http/errors.ts';
import { DEFAULT_BUCKETS, RateLimiter } from './http/rate-limit.ts';
import { registerWebClient } from './http/web.ts';
import { createFederation, type Federation } from './federation/index.ts';
import { registerFederationRoutes } from './federation/routes.ts';
import { federationRoutes } from './api/federation/index.ts';
import { queryRemoteFullProfile, queryRemoteProfile } from './federation/outbound/profile.ts';
import { remoteMediaSource } from './federation/outbound/media.ts';
import { startOutbound } from './federation/outbound/index.ts';
import { membershipRoutes } from './api/federation/membership.ts';

export interface AppDeps {
  services: Services;
  logger: Logger;
  /** Federation as built by createFederation (tests pass one with fakes); else built from the config. */
  federation?: Federation;
}

/** `Server: Hush/<version>` on every response, so a benchmark or an operator can tell what answered. */
const SERVER_HEADER = `Hush/${(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version}`;

// CORS as the spec asks (its methods list gained HEAD and PATCH in v1.13, MSC4138), and the Server
// header, on every response.
const COMMON_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS',
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
  const routeDeps = { accounts: services.accounts, limiter };
  for (const def of routes.filter((r) => !r.endpoint.rawBody)) registerRoute(app, def, routeDeps);
  // Media uploads (`rawBody` descriptors): the body is bytes of any content type, left unread by
  // this parser (only in this scope) so the handler streams it to disk under the upload limit,
  // never holding it in memory, and only after the token was checked.
  void app.register(async (media) => {
    media.removeAllContentTypeParsers();
    // Any bytes may be uploaded: the type the client named is read from the raw headers later.
    media.addHook('onRequest', async (req) => {
      if (req.headers['content-type'] !== undefined) req.headers['content-type'] = 'application/octet-stream';
    });
    media.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    for (const def of routes.filter((r) => r.endpoint.rawBody)) registerRoute(media, def, routeDeps);
  });

  // The federation and key APIs (decision 0025), on this listener too: behind a TLS proxy it is
  // the only one. Built here unless the caller brings its own (tests).
  const federation = services.config.federation.enabled
    ? (deps.federation ?? (await createFederation({ config: services.config, db: services.database.db, logger })))
    : undefined;
  // The outbound queue and membership through other servers (decision 0031).
  const outbound = federation ? startOutbound(federation, services, (level, msg, fields) => logger?.[level](fields ?? {}, msg)) : undefined;
  const fedRoutes = federation && outbound ? [...federationRoutes(federation, services), ...membershipRoutes(outbound.membership, services.config.serverName)] : [];
  if (federation) {
    if (outbound) app.addHook('onClose', () => outbound.stop());
    registerFederationRoutes(app, fedRoutes, { serverName: services.config.serverName, keyRing: federation.keyRing, limiter, ...(outbound ? { onContact: (origin: string) => outbound.contacted(origin) } : {}) });
    if (!deps.federation) app.addHook('onClose', () => federation.close());
    services.accounts.remoteProfile = (userId) => queryRemoteProfile(federation, userId);
    services.profileFields.remote = (userId) => queryRemoteFullProfile(federation, userId);
    services.media.remote = remoteMediaSource(federation);
  }

  registerWebClient(app);

  const matchers = [...routes, ...fedRoutes].map((r) => pathMatcher(r.endpoint.path));
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
