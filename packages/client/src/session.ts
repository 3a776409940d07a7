// Getting a session: password login (localpart or full user id), registration with the dummy
// user-interactive step, and whoami. `fetch` and `timeoutMs` are handed to the HttpClient.

import { api, isUserId } from '@hush/protocol';
import { MatrixError } from './errors.ts';
import { HttpClient } from './http.ts';

export interface Session {
  homeserver: string;
  userId: string;
  deviceId: string;
  accessToken: string;
}

/** How the requests of a session helper are made (see HttpOptions). */
export interface ConnectOptions {
  fetch?: typeof fetch;
  timeoutMs?: number;
}

const httpFor = (baseUrl: string, opts: ConnectOptions, accessToken?: string): HttpClient =>
  new HttpClient({
    baseUrl,
    ...(accessToken !== undefined ? { accessToken } : {}),
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  });

export async function login(opts: { homeserver: string; user: string; password: string; deviceId?: string; deviceName?: string } & ConnectOptions): Promise<Session> {
  const http = httpFor(opts.homeserver, opts);
  const res = await http.request(api.login, {
    body: {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: opts.user },
      password: opts.password,
      ...(opts.deviceId !== undefined ? { device_id: opts.deviceId } : {}),
      ...(opts.deviceName !== undefined ? { initial_device_display_name: opts.deviceName } : {}),
    },
  });
  return { homeserver: http.baseUrl, userId: res.user_id, deviceId: res.device_id, accessToken: res.access_token };
}

export async function register(opts: { homeserver: string; username: string; password: string } & ConnectOptions): Promise<Session> {
  const http = httpFor(opts.homeserver, opts);
  const body = { username: opts.username, password: opts.password };
  let session: string | undefined;
  try {
    const res = await http.request(api.register, { body: { ...body, auth: { type: 'm.login.dummy' } } });
    return sessionOf(http, res);
  } catch (err) {
    // The spec's flow: a 401 names the session; the dummy stage then completes it.
    if (!(err instanceof MatrixError) || err.status !== 401 || typeof err.extra['session'] !== 'string') throw err;
    session = err.extra['session'];
  }
  const res = await http.request(api.register, { body: { ...body, auth: { type: 'm.login.dummy', session } } });
  return sessionOf(http, res);
}

function sessionOf(http: HttpClient, res: { user_id: string; device_id?: string; access_token?: string }): Session {
  if (res.access_token === undefined || res.device_id === undefined) throw new MatrixError(500, 'M_UNKNOWN', 'The homeserver did not log the new account in');
  if (!isUserId(res.user_id)) throw new MatrixError(500, 'M_UNKNOWN', 'The homeserver returned an invalid user id');
  return { homeserver: http.baseUrl, userId: res.user_id, deviceId: res.device_id, accessToken: res.access_token };
}

export function whoami(http: HttpClient): Promise<{ user_id: string; device_id?: string }> {
  return http.request(api.getTokenOwner);
}

/** Ends a session: its access token stops working on the homeserver. */
export async function logout(session: Pick<Session, 'homeserver' | 'accessToken'>, opts: ConnectOptions = {}): Promise<void> {
  await httpFor(session.homeserver, opts, session.accessToken).request(api.logout);
}
