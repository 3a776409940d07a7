// Federation, the ground floor (issue 21): our keys, other servers' keys (cache, notaries), the
// notary endpoints' logic, discovery and the signed HTTPS client. Built once per app instance from
// the config; buildApp() registers its routes when federation is on.

import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import type { Db } from '../storage/db.ts';
import { loadSigningKey } from '../services/signing-key.ts';
import { OurKeys } from './keys/our-keys.ts';
import { KeyRing, type KeyFetcher } from './keys/key-ring.ts';
import { Notary } from './keys/notary.ts';
import { FederationHttpClient, FederationHttpError, type BytesResponse, type JsonResponse } from './transport/http-client.ts';
import type { DiscoveryResolver } from './transport/discovery.ts';
import { signRequest } from './transport/x-matrix.ts';

/** Key documents are small: a larger answer is refused. */
const KEY_RESPONSE_MAX_BYTES = 256 * 1024;
/** Room for a multipart media answer's boundaries, part headers and metadata above the media itself. */
export const MULTIPART_SLACK_BYTES = 64 * 1024;

export interface Federation {
  serverName: string;
  ourKeys: OurKeys;
  keyRing: KeyRing;
  notary: Notary;
  client: FederationHttpClient;
  /** A request to `destination` signed with our key (X-Matrix). */
  signedRequest(destination: string, method: string, path: string, body?: unknown): Promise<JsonResponse>;
  /** A signed GET whose answer is bytes (remote media), read up to `maxBytes`. */
  signedBytesRequest(destination: string, path: string, maxBytes: number): Promise<BytesResponse>;
  close(): Promise<void>;
}

export interface FederationOptions {
  config: Config;
  db: Db;
  logger: Pick<Logger, 'warn'>;
  /** Test seams: how keys are fetched, how names are resolved, the clock. */
  fetcher?: KeyFetcher;
  resolver?: DiscoveryResolver;
  now?: () => number;
  userAgent?: string;
}

export async function createFederation(opts: FederationOptions): Promise<Federation> {
  const { config, db } = opts;
  const now = opts.now ?? Date.now;
  const serverName = config.serverName;
  const signing = await loadSigningKey(db);
  const client = new FederationHttpClient({
    verifyCertificates: config.federation.verifyCertificates,
    ...(config.federation.ca !== undefined ? { ca: config.federation.ca } : {}),
    allowPrivate: config.outboundAllowPrivate,
    maxBytesResponse: config.media.maxUploadBytes + MULTIPART_SLACK_BYTES,
    userAgent: opts.userAgent ?? 'Hush',
    ...(opts.resolver ? { resolver: opts.resolver } : {}),
    now,
  });
  const signer = (req: { method: string; uri: string; destination: string; content?: unknown }) =>
    signRequest({ ...req, origin: serverName }, signing.keyId, signing.privateKey);
  const fetcher: KeyFetcher = opts.fetcher ?? {
    async direct(name) {
      const res = await client.request(name, 'GET', '/_matrix/key/v2/server', { maxResponseBytes: KEY_RESPONSE_MAX_BYTES });
      if (res.status !== 200) throw new FederationHttpError(`${name} answered ${res.status} to its key request`, name, res.status);
      return res.json;
    },
    async notary(notary, body) {
      const res = await client.request(notary, 'POST', '/_matrix/key/v2/query', { body, maxResponseBytes: KEY_RESPONSE_MAX_BYTES * 4 });
      if (res.status !== 200) throw new FederationHttpError(`notary ${notary} answered ${res.status}`, notary, res.status);
      return res.json;
    },
  };
  const ourKeys = new OurKeys(db, serverName, signing, now);
  const keyRing = new KeyRing(db, ourKeys, fetcher, config.federation.trustedKeyServers, opts.logger, now);
  return {
    serverName,
    ourKeys,
    keyRing,
    notary: new Notary(ourKeys, keyRing, now),
    client,
    signedRequest: (destination, method, path, body) => client.request(destination, method, path, { ...(body !== undefined ? { body } : {}), signer }),
    signedBytesRequest: (destination, path, maxBytes) => client.requestBytes(destination, 'GET', path, { signer, maxResponseBytes: maxBytes }),
    close: () => client.close(),
  };
}
