// matrix-js-sdk (a real client nobody here wrote) against a Hush process; the SDK as published.

import type { MatrixClient as SdkClient } from 'matrix-js-sdk';

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
