// matrix-js-sdk (a real client nobody here wrote) against a Hush process; the SDK as published.

import type { MatrixClient as SdkClient } from 'matrix-js-sdk';
import type { Logger } from 'matrix-js-sdk/lib/logger.js';

type WithResolvers = <T>() => { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void };
// Only for Node 20, which lacks Promise.withResolvers (the SDK uses it; Node 22+ has it): outside
// `engines`, but still the CI machine's own node (.ci/run step A). Delete once that node is ≥ 22.
const P = Promise as unknown as { withResolvers?: WithResolvers };
if (typeof P.withResolvers !== 'function') {
  P.withResolvers = <T>() => {
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

const sdk = await import('matrix-js-sdk');
const { logger } = await import('matrix-js-sdk/lib/logger.js');
const { CryptoEvent } = await import('matrix-js-sdk/lib/crypto-api/index.js');
(logger as unknown as { setLevel(l: string): void }).setLevel('silent');

export { sdk };
export type MatrixClient = SdkClient;

/** A logged-in SDK client that has reached the PREPARED sync state. */
export async function startedClient(baseUrl: string, session: { userId: string; token: string; deviceId: string }): Promise<SdkClient> {
  const client = sdk.createClient({ baseUrl, accessToken: session.token, userId: session.userId, deviceId: session.deviceId });
  const prepared = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('matrix-js-sdk did not reach PREPARED within 15 s')), 15_000);
    client.on(sdk.ClientEvent.Sync, (state) => {
      if (state === 'PREPARED') {
        clearTimeout(timer);
        resolve();
      } else if (state === 'ERROR') {
        clearTimeout(timer);
        reject(new Error('matrix-js-sdk sync reached ERROR'));
      }
    });
  });
  await client.startClient({ initialSyncLimit: 20 });
  await prepared;
  return client;
}

/** Resolves when `check` passes on an SDK event, or rejects after `ms`. */
export function waitFor<T>(register: (done: (v: T) => void) => () => void, ms = 10_000, what = 'condition'): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let off = () => undefined as void;
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${what}`));
    }, ms);
    off = register((v) => {
      clearTimeout(timer);
      off();
      resolve(v);
    });
  });
}

/** A logged-in client with Rust crypto in memory (@matrix-org/matrix-sdk-crypto-wasm), synced to
 *  PREPARED within 60 s. `track` collects it for stopping after the test. */
export async function cryptoClient(baseUrl: string, session: { userId: string; token: string; deviceId: string }, opts: { track?: SdkClient[]; logger?: Logger } = {}): Promise<SdkClient> {
  const c = sdk.createClient({ baseUrl, accessToken: session.token, userId: session.userId, deviceId: session.deviceId, ...(opts.logger ? { logger: opts.logger } : {}) });
  opts.track?.push(c);
  await c.initRustCrypto({ useIndexedDB: false });
  const prepared = new Promise<void>((resolve) => {
    c.on(sdk.ClientEvent.Sync, (state) => {
      if (state === 'PREPARED') resolve();
    });
  });
  await c.startClient({ initialSyncLimit: 20 });
  await within(prepared, 60_000, `${session.userId} to reach PREPARED`);
  return c;
}

/** `p`, or a rejection naming `what` after `ms`. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** The client as a plain emitter: `until` listens to events of several kinds with one handler. */
type Emitter = { on(event: string, f: () => void): void; off(event: string, f: () => void): void };

/** Resolves once `check` holds (or resolves true), asking again whenever `c` syncs, adds or
 *  decrypts a timeline event, or learns of devices, keys or trust. */
export function until(c: SdkClient, check: () => boolean | Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const events = [
    sdk.ClientEvent.Sync,
    sdk.MatrixEventEvent.Decrypted,
    sdk.RoomEvent.Timeline,
    CryptoEvent.DevicesUpdated,
    CryptoEvent.UserTrustStatusChanged,
    CryptoEvent.KeysChanged,
  ] as const;
  let done = false;
  let look = () => undefined as void;
  const p = new Promise<void>((resolve, reject) => {
    look = () => {
      if (done) return;
      Promise.resolve(check()).then((ok) => {
        if (ok && !done) {
          done = true;
          resolve();
        }
      }, reject);
    };
    for (const e of events) (c as unknown as Emitter).on(e, look);
    look();
  });
  return within(p, ms, what).finally(() => {
    done = true;
    for (const e of events) (c as unknown as Emitter).off(e, look);
  });
}

/** The decrypted bodies of the room's encrypted messages as `c` holds them. */
export function plaintexts(c: SdkClient, room: string): string[] {
  const events = c.getRoom(room)?.getLiveTimeline().getEvents() ?? [];
  return events.filter((e) => e.getType() === 'm.room.message' && e.isEncrypted() && !e.isDecryptionFailure()).map((e) => String(e.getContent()['body']));
}
