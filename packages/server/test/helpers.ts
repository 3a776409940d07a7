// In-process test support: one homeserver (config → database → services → buildApp) per test
// suite, driven with Fastify's `inject` — no sockets. Small helpers for the common steps.

import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { resolveConfig, type Config, type ConfigInput } from '../src/config/config.ts';
import { openDatabase, type DatabaseHandle } from '../src/storage/db.ts';
import { createServices, type Services } from '../src/services/index.ts';
import { buildApp } from '../src/app.ts';
import type { Federation } from '../src/federation/index.ts';
import { checkIfDocumented } from '../../../tests/support/openapi.ts';
import { freshPgDatabase } from '../../../tests/support/postgres.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'OPTIONS' | 'PATCH' | 'HEAD';

export interface ReqOptions {
  /** Sent as JSON (`JSON.stringify`), with `content-type: application/json`. */
  body?: unknown;
  /** Sent byte for byte instead of `body`. */
  rawBody?: string | Buffer;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  headers?: Record<string, string>;
}

export interface Res {
  status: number;
  /** The parsed JSON body (`undefined` when the body is empty or not JSON). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
  text: string;
  headers: Record<string, string | string[] | number | undefined>;
}

export interface Session {
  userId: string;
  token: string;
  deviceId: string;
}

export interface TestApp {
  app: FastifyInstance;
  services: Services;
  config: Config;
  database: DatabaseHandle;
  serverName: string;
  req(method: Method, path: string, opts?: ReqOptions): Promise<Res>;
  /** Registers `localpart` through the two-step UIA flow (m.login.dummy). */
  register(localpart: string, password?: string, extra?: Record<string, unknown>): Promise<Session>;
  /** Password login with an m.id.user identifier (`user` is a localpart or a full user id). */
  login(user: string, password?: string, extra?: Record<string, unknown>): Promise<Session>;
  close(): Promise<void>;
}

export const DEFAULT_PASSWORD = 'correct horse';

/** `federation`: builds the app's Federation (a test's fakes); it is closed with the app. */
export async function createTestApp(opts: { database?: string; config?: Partial<ConfigInput>; federation?: (config: Config, database: DatabaseHandle) => Promise<Federation> } = {}): Promise<TestApp> {
  const config = resolveConfig({
    'server-name': 'localhost',
    'rate-limits': false,
    'log-level': 'silent',
    database: opts.database ?? ':memory:',
    ...opts.config,
  });
  const database = await openDatabase(config.database);
  let services: Services | undefined;
  let app: FastifyInstance;
  try {
    services = await createServices(config, database);
    const federation = opts.federation ? await opts.federation(config, database) : undefined;
    app = await buildApp({ services, logger: pino({ level: 'silent' }), ...(federation ? { federation } : {}) });
    if (federation) app.addHook('onClose', () => federation.close());
    await app.ready();
  } catch (err) {
    await services?.stop();
    await database.close();
    throw err;
  }
  const svc: Services = services;

  const req = async (method: Method, path: string, o: ReqOptions = {}): Promise<Res> => {
    const headers: Record<string, string> = { ...o.headers };
    let payload: string | Buffer | undefined;
    if (o.rawBody !== undefined) {
      payload = o.rawBody;
      headers['content-type'] ??= 'application/json';
    } else if (o.body !== undefined) {
      payload = JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    if (o.token !== undefined) headers['authorization'] = `Bearer ${o.token}`;
    const res = await app.inject({ method, url: path, headers, ...(payload !== undefined ? { payload } : {}) });
    let json: unknown;
    try {
      json = res.body.length > 0 ? JSON.parse(res.body) : undefined;
    } catch {
      json = undefined;
    }
    // Every response of an operation the spec documents is checked against its schema.
    if (json !== undefined) checkIfDocumented(method, path, res.statusCode, json);
    return { status: res.statusCode, json, text: res.body, headers: res.headers };
  };

  const expectOk = (what: string, res: Res): void => {
    if (res.status !== 200) throw new Error(`${what} failed: ${res.status} ${res.text}`);
  };

  const register = async (localpart: string, password = DEFAULT_PASSWORD, extra: Record<string, unknown> = {}): Promise<Session> => {
    const body = { username: localpart, password, ...extra };
    const first = await req('POST', '/_matrix/client/v3/register', { body });
    if (first.status !== 401 || typeof first.json?.session !== 'string') {
      throw new Error(`register ${localpart}: expected a 401 UIA challenge, got ${first.status} ${first.text}`);
    }
    const second = await req('POST', '/_matrix/client/v3/register', {
      body: { ...body, auth: { type: 'm.login.dummy', session: first.json.session } },
    });
    expectOk(`register ${localpart}`, second);
    return { userId: second.json.user_id, token: second.json.access_token, deviceId: second.json.device_id };
  };

  const login = async (user: string, password = DEFAULT_PASSWORD, extra: Record<string, unknown> = {}): Promise<Session> => {
    const res = await req('POST', '/_matrix/client/v3/login', {
      body: { type: 'm.login.password', identifier: { type: 'm.id.user', user }, password, ...extra },
    });
    expectOk(`login ${user}`, res);
    return { userId: res.json.user_id, token: res.json.access_token, deviceId: res.json.device_id };
  };

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await app.close();
      await svc.stop();
      await database.close();
    })());

  return { app, services: svc, config, database, serverName: config.serverName, req, register, login, close };
}

/** A suite's app: SQLite by default; on PostgreSQL (a fresh database, dropped on close) when the
 *  suite runs under HUSH_API_DIALECT=postgres (the *.postgres.test.ts twins set it). */
export async function createSuiteApp(opts: { config?: Partial<ConfigInput> } = {}): Promise<TestApp> {
  if (process.env['HUSH_API_DIALECT'] !== 'postgres') return createTestApp(opts);
  const pg = await freshPgDatabase();
  const t = await createTestApp({ ...opts, database: pg.url });
  return {
    ...t,
    close: async () => {
      await t.close();
      await pg.drop();
    },
  };
}
