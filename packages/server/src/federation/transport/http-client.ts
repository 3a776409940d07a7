// The outbound HTTPS client of federation, on undici: one Pool per destination (kept while its
// discovery holds), connect/headers/body timeouts, a response size limit, TLS checked against the
// name discovery says (with extra CAs or no checks for test deployments), and the private-address
// guard on every connection, IP literals included. Requests to another server are signed with
// X-Matrix by the caller-supplied signer.

import { rootCertificates, checkServerIdentity, type PeerCertificate } from 'node:tls';
import { isIP } from 'node:net';
import { resolveSrv } from 'node:dns/promises';
import { Agent, Pool, type Dispatcher } from 'undici';
import { guardedLookup, isPrivateAddress, PrivateAddressError } from './address-guard.ts';
import { CachingResolver, discover, hostPort, wellKnownCacheMs, WELL_KNOWN_DEFAULT_MS, type Destination, type DiscoveryResolver, type SrvTarget } from './discovery.ts';

export interface HttpClientOptions {
  verifyCertificates: boolean;
  /** PEM of CAs trusted in addition to the system's. */
  ca?: string;
  allowPrivate: boolean;
  userAgent: string;
  connectTimeoutMs?: number;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  /** Largest response body read, in bytes. */
  maxResponseBytes?: number;
  /** Largest byte answer (remote media) the pools let through; JSON answers keep their own limit. */
  maxBytesResponse?: number;
  /** Discovery's DNS and well-known look-ups; a fake in tests. Default: node:dns and this client. */
  resolver?: DiscoveryResolver;
  now?: () => number;
}

export interface JsonResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed body, or undefined when it was not JSON. */
  json: unknown;
}

export class FederationHttpError extends Error {
  constructor(
    message: string,
    readonly destination: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** An answer longer than the caller's limit: refused, nothing kept. */
export class ResponseTooLarge extends FederationHttpError {}

export interface BytesResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Signs one request: returns the Authorization header value. */
export type RequestSigner = (req: { method: string; uri: string; destination: string; content?: unknown }) => string;

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_HEADERS_TIMEOUT_MS = 30_000;
const DEFAULT_BODY_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
const WELL_KNOWN_MAX_BYTES = 64 * 1024;
const MAX_REDIRECTS = 5;
/** How long a destination's discovery (and its pool) is kept at most. */
const DESTINATION_MAX_MS = 3600_000;

interface DestinationEntry {
  destination: Destination;
  pool: Pool;
  expires: number;
}

export class FederationHttpClient {
  private readonly destinations = new Map<string, DestinationEntry>();
  private readonly discovering = new Map<string, Promise<DestinationEntry>>();
  private readonly resolver: DiscoveryResolver;
  private readonly now: () => number;
  private readonly tls: { ca?: string[]; rejectUnauthorized: boolean };
  private readonly lookup;
  /** For /.well-known requests: an Agent, one pool per origin, certificates checked for the URL's host. */
  private readonly wellKnownAgent: Agent;
  private closed = false;

  constructor(private readonly opts: HttpClientOptions) {
    this.now = opts.now ?? Date.now;
    this.tls = {
      rejectUnauthorized: opts.verifyCertificates,
      ...(opts.ca !== undefined ? { ca: [...rootCertificates, opts.ca] } : {}),
    };
    this.lookup = guardedLookup(opts.allowPrivate);
    this.wellKnownAgent = new Agent({
      connect: { ...this.tls, lookup: this.lookup, timeout: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS },
      headersTimeout: opts.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
      bodyTimeout: opts.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
      maxResponseSize: WELL_KNOWN_MAX_BYTES,
    });
    this.resolver = opts.resolver ?? new CachingResolver(systemResolver(this), this.now);
  }

  /** Where requests for `serverName` go (discovery, cached with its pool). */
  async destination(serverName: string): Promise<Destination> {
    return (await this.entry(serverName)).destination;
  }

  /**
   * One request to another server's federation or key API; JSON in, JSON out. `signer` adds the
   * X-Matrix header. Throws FederationHttpError on connection failures, timeouts, oversized or
   * non-JSON answers; answers with any status are returned.
   */
  async request(serverName: string, method: string, path: string, opts: { body?: unknown; signer?: RequestSigner; maxResponseBytes?: number } = {}): Promise<JsonResponse> {
    if (this.closed) throw new FederationHttpError('the federation client is closed', serverName);
    const { destination, pool } = await this.entry(serverName);
    const headers: Record<string, string> = { host: destination.hostHeader, 'user-agent': this.opts.userAgent, accept: 'application/json' };
    let payload: string | undefined;
    if (opts.body !== undefined) {
      payload = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    if (opts.signer) {
      headers.authorization = opts.signer({ method, uri: path, destination: serverName, ...(opts.body !== undefined ? { content: opts.body } : {}) });
    }
    let res: Dispatcher.ResponseData;
    try {
      res = await pool.request({ method: method as Dispatcher.HttpMethod, path, headers, ...(payload !== undefined ? { body: payload } : {}) });
    } catch (err) {
      throw new FederationHttpError(`${method} ${serverName}${path}: ${describe(err)}`, serverName);
    }
    const json = await readJson(res, opts.maxResponseBytes ?? this.opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES, serverName);
    return { status: res.statusCode, headers: res.headers, json };
  }

  /** A request whose answer is bytes (remote media): read whole, up to `maxResponseBytes`
   *  (ResponseTooLarge beyond, the transfer cut). */
  async requestBytes(serverName: string, method: string, path: string, opts: { signer?: RequestSigner; maxResponseBytes: number }): Promise<BytesResponse> {
    if (this.closed) throw new FederationHttpError('the federation client is closed', serverName);
    const { destination, pool } = await this.entry(serverName);
    const headers: Record<string, string> = { host: destination.hostHeader, 'user-agent': this.opts.userAgent };
    if (opts.signer) headers.authorization = opts.signer({ method, uri: path, destination: serverName });
    let res: Dispatcher.ResponseData;
    try {
      res = await pool.request({ method: method as Dispatcher.HttpMethod, path, headers });
    } catch (err) {
      throw new FederationHttpError(`${method} ${serverName}${path}: ${describe(err)}`, serverName);
    }
    const body = await readBytes(res, opts.maxResponseBytes, serverName);
    return { status: res.statusCode, headers: res.headers, body };
  }

  /** GET https://<hostname>/.well-known/matrix/server, following redirects (https only, no loops). */
  async fetchWellKnown(hostname: string): Promise<{ server: string | undefined; cacheMs: number }> {
    let url = new URL(`https://${hostPort(hostname)}/.well-known/matrix/server`);
    const seen = new Set<string>();
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      if (seen.has(url.href)) break;
      seen.add(url.href);
      if (isIP(url.hostname.replace(/^\[|\]$/g, '')) && !this.opts.allowPrivate && isPrivateAddress(url.hostname)) {
        throw new PrivateAddressError(`${url.hostname} is a private address`);
      }
      const res = await this.wellKnownAgent.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: 'GET',
        headers: { 'user-agent': this.opts.userAgent, accept: 'application/json' },
      });
      if (res.statusCode >= 300 && res.statusCode < 400 && typeof res.headers.location === 'string') {
        await res.body.dump();
        const next = new URL(res.headers.location, url);
        if (next.protocol !== 'https:') break;
        url = next;
        continue;
      }
      const json = await readJson(res, WELL_KNOWN_MAX_BYTES, hostname).catch(() => undefined);
      const cacheMs = wellKnownCacheMs({ cacheControl: header(res.headers['cache-control']), expires: header(res.headers.expires), date: header(res.headers.date) }, this.now());
      const server = res.statusCode === 200 && isRecord(json) && typeof json['m.server'] === 'string' ? json['m.server'] : undefined;
      return { server, cacheMs: server === undefined ? 0 : cacheMs };
    }
    return { server: undefined, cacheMs: 0 };
  }

  async close(): Promise<void> {
    this.closed = true;
    const pools = [...this.destinations.values()].map((e) => e.pool.destroy());
    this.destinations.clear();
    await Promise.allSettled([...pools, this.wellKnownAgent.destroy()]);
  }

  private async entry(serverName: string): Promise<DestinationEntry> {
    const now = this.now();
    const hit = this.destinations.get(serverName);
    if (hit && hit.expires > now) return hit;
    const pending = this.discovering.get(serverName);
    if (pending) return pending;
    const p = (async () => {
      const destination = await discover(serverName, this.resolver);
      if (isIP(destination.host) && !this.opts.allowPrivate && isPrivateAddress(destination.host)) {
        throw new FederationHttpError(`${serverName}: ${destination.host} is a private address (outbound-allow-private is off)`, serverName);
      }
      if (hit) void hit.pool.close().catch(() => undefined);
      const tlsName = destination.tlsName;
      const pool = new Pool(`https://${hostPort(destination.host, destination.port)}`, {
        connections: 8,
        connect: {
          ...this.tls,
          lookup: this.lookup,
          timeout: this.opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
          // SNI for a name, none for an IP address (spec "TLS"); the certificate must be valid for
          // the name discovery chose, whatever address or SRV target was dialled.
          ...(isIP(tlsName) ? {} : { servername: tlsName }),
          checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(tlsName, cert),
        },
        headersTimeout: this.opts.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
        bodyTimeout: this.opts.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
        maxResponseSize: Math.max(this.opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES, this.opts.maxBytesResponse ?? 0),
      });
      const entry = { destination, pool, expires: this.now() + DESTINATION_MAX_MS };
      this.destinations.set(serverName, entry);
      return entry;
    })().finally(() => this.discovering.delete(serverName));
    this.discovering.set(serverName, p);
    return p;
  }
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } };
  const code = typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return code ? `${code}: ${message}` : message;
}

async function readJson(res: Dispatcher.ResponseData, maxBytes: number, destination: string): Promise<unknown> {
  const text = (await readBytes(res, maxBytes, destination)).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function readBytes(res: Dispatcher.ResponseData, maxBytes: number, destination: string): Promise<Buffer> {
  const declared = Number(header(res.headers['content-length']));
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.body.destroy();
    throw new ResponseTooLarge(`${destination}: response of ${declared} bytes, larger than ${maxBytes}`, destination, res.statusCode);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) {
        res.body.destroy();
        throw new ResponseTooLarge(`${destination}: response larger than ${maxBytes} bytes`, destination, res.statusCode);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof FederationHttpError) throw err;
    if (describe(err).startsWith('UND_ERR_RES_EXCEEDED_MAX_SIZE')) throw new ResponseTooLarge(`${destination}: response too large`, destination, res.statusCode);
    throw new FederationHttpError(`${destination}: ${describe(err)}`, destination, res.statusCode);
  }
  return Buffer.concat(chunks);
}

/** Discovery over node:dns (SRV) and this client (well-known). */
function systemResolver(client: FederationHttpClient): DiscoveryResolver {
  return {
    async resolveSrv(name: string): Promise<SrvTarget[]> {
      try {
        return await resolveSrv(name);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'ENOTFOUND' || code === 'ENODATA' || code === 'ESERVFAIL' || code === 'ETIMEOUT' || code === 'ECONNREFUSED') return [];
        throw err;
      }
    },
    async fetchWellKnown(hostname: string) {
      try {
        return await client.fetchWellKnown(hostname);
      } catch {
        return { server: undefined, cacheMs: 0 };
      }
    },
  };
}

export { WELL_KNOWN_DEFAULT_MS };
