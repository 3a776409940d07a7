// Server discovery (server-server API v1.11 "Resolving server names"): a server name → where to
// connect, which Host header to send and which name the TLS certificate must be valid for, in the
// spec's order: IP literal; hostname with port; /.well-known/matrix/server (its delegated name
// resolved the same way, SRV included); SRV _matrix-fed._tcp then the deprecated _matrix._tcp;
// port 8448. A/AAAA lookups happen at connect time (address-guard.ts), not here.

import { isIP } from 'node:net';
import { isServerName } from '@hush/protocol';

export const DEFAULT_FEDERATION_PORT = 8448;

export type DiscoveryStep =
  | 'ip-literal'
  | 'explicit-port'
  | 'well-known-ip-literal'
  | 'well-known-explicit-port'
  | 'well-known-srv'
  | 'well-known-srv-legacy'
  | 'well-known-default-port'
  | 'srv'
  | 'srv-legacy'
  | 'default-port';

export interface Destination {
  /** The server name asked for (what requests are signed for). */
  serverName: string;
  /** An IP literal (without brackets) or a hostname to look up (A/AAAA) when connecting. */
  host: string;
  port: number;
  /** The `Host` header to send. */
  hostHeader: string;
  /** The name (hostname or IP) the certificate must be valid for; also the SNI unless an IP. */
  tlsName: string;
  step: DiscoveryStep;
}

export interface SrvTarget {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

/** What discovery needs from the outside world; tests give a fake. */
export interface DiscoveryResolver {
  /** SRV records for `name`; [] when there are none (NXDOMAIN, NODATA). Other failures throw. */
  resolveSrv(name: string): Promise<SrvTarget[]>;
  /** The `m.server` of https://<hostname>/.well-known/matrix/server, or undefined when the answer
   *  is missing or invalid; `cacheMs` is how long that answer may be kept. */
  fetchWellKnown(hostname: string): Promise<{ server: string | undefined; cacheMs: number }>;
}

/** Splits a server name into hostname (IPv6 without brackets) and port. */
export function splitServerName(name: string): { hostname: string; port: number | undefined; ipLiteral: boolean } {
  let hostname: string;
  let portText: string | undefined;
  if (name.startsWith('[')) {
    const end = name.indexOf(']');
    hostname = name.slice(1, end);
    portText = name[end + 1] === ':' ? name.slice(end + 2) : undefined;
  } else {
    const colon = name.lastIndexOf(':');
    hostname = colon >= 0 ? name.slice(0, colon) : name;
    portText = colon >= 0 ? name.slice(colon + 1) : undefined;
  }
  const port = portText === undefined ? undefined : Number(portText);
  return { hostname, port, ipLiteral: isIP(hostname) !== 0 };
}

/** `host:port` for a Host header or URL authority, IPv6 in brackets. */
export function hostPort(host: string, port?: number): string {
  const h = isIP(host) === 6 ? `[${host}]` : host;
  return port === undefined ? h : `${h}:${port}`;
}

/** SRV order: lowest priority first, then the heaviest weight (a fixed order keeps tests exact). */
function bestSrv(records: SrvTarget[]): SrvTarget | undefined {
  // A target of "." says the service is decidedly not available at this name (RFC 2782).
  const usable = records.filter((r) => r.name !== '' && r.name !== '.' && Number.isInteger(r.port) && r.port > 0 && r.port < 65536);
  usable.sort((a, b) => a.priority - b.priority || b.weight - a.weight);
  const best = usable[0];
  return best && { ...best, name: best.name.replace(/\.$/, '') };
}

async function srvFor(resolver: DiscoveryResolver, hostname: string): Promise<{ target: SrvTarget; legacy: boolean } | undefined> {
  const fed = bestSrv(await resolver.resolveSrv(`_matrix-fed._tcp.${hostname}`));
  if (fed) return { target: fed, legacy: false };
  const legacy = bestSrv(await resolver.resolveSrv(`_matrix._tcp.${hostname}`));
  return legacy && { target: legacy, legacy: true };
}

/** Resolves `serverName` (a valid Matrix server name) in the spec's order. */
export async function discover(serverName: string, resolver: DiscoveryResolver): Promise<Destination> {
  if (!isServerName(serverName)) throw new TypeError(`not a server name: ${serverName}`);
  const { hostname, port, ipLiteral } = splitServerName(serverName);
  // 1. An IP literal: that address, the given port or 8448; Host is the server name.
  if (ipLiteral) return { serverName, host: hostname, port: port ?? DEFAULT_FEDERATION_PORT, hostHeader: serverName, tlsName: hostname, step: 'ip-literal' };
  // 2. A hostname with a port: that host and port; Host is the server name; certificate for the hostname.
  if (port !== undefined) return { serverName, host: hostname, port, hostHeader: serverName, tlsName: hostname, step: 'explicit-port' };
  // 3. /.well-known/matrix/server, its delegated name resolved as below.
  const wellKnown = await resolver.fetchWellKnown(hostname);
  if (wellKnown.server !== undefined && isServerName(wellKnown.server)) {
    const d = splitServerName(wellKnown.server);
    if (d.ipLiteral) {
      return { serverName, host: d.hostname, port: d.port ?? DEFAULT_FEDERATION_PORT, hostHeader: wellKnown.server, tlsName: d.hostname, step: 'well-known-ip-literal' };
    }
    if (d.port !== undefined) {
      return { serverName, host: d.hostname, port: d.port, hostHeader: wellKnown.server, tlsName: d.hostname, step: 'well-known-explicit-port' };
    }
    // Delegated name without port: its SRV records, Host and certificate for the delegated name.
    const srv = await srvFor(resolver, d.hostname);
    if (srv) {
      return {
        serverName,
        host: srv.target.name,
        port: srv.target.port,
        hostHeader: d.hostname,
        tlsName: d.hostname,
        step: srv.legacy ? 'well-known-srv-legacy' : 'well-known-srv',
      };
    }
    return { serverName, host: d.hostname, port: DEFAULT_FEDERATION_PORT, hostHeader: d.hostname, tlsName: d.hostname, step: 'well-known-default-port' };
  }
  // 4./5. SRV for the original hostname: Host and certificate stay the original hostname (the
  // target proves by TLS that it is a valid delegate: DNS is not secure).
  const srv = await srvFor(resolver, hostname);
  if (srv) return { serverName, host: srv.target.name, port: srv.target.port, hostHeader: hostname, tlsName: hostname, step: srv.legacy ? 'srv-legacy' : 'srv' };
  // 6. The hostname itself on 8448.
  return { serverName, host: hostname, port: DEFAULT_FEDERATION_PORT, hostHeader: hostname, tlsName: hostname, step: 'default-port' };
}

// ---------------------------------------------------------------------------------------------
// Caching of /.well-known answers

export const WELL_KNOWN_DEFAULT_MS = 24 * 3600_000;
export const WELL_KNOWN_MAX_MS = 48 * 3600_000;
export const WELL_KNOWN_MIN_MS = 5 * 60_000;
/** Failed look-ups: 2 min, doubled at each further failure, at most 1 h (the spec's "up to an hour"). */
export const WELL_KNOWN_ERROR_FIRST_MS = 2 * 60_000;
export const WELL_KNOWN_ERROR_MAX_MS = 3600_000;

/**
 * How long a well-known answer may be kept: Cache-Control max-age (s-maxage is for shared caches,
 * ignored), else Expires against Date or now, else 24 h; no-store/no-cache mean the minimum;
 * always within [5 min, 48 h].
 */
export function wellKnownCacheMs(headers: { cacheControl?: string | undefined; expires?: string | undefined; date?: string | undefined }, now: number): number {
  const clamp = (ms: number) => Math.min(WELL_KNOWN_MAX_MS, Math.max(WELL_KNOWN_MIN_MS, ms));
  const cc = (headers.cacheControl ?? '').toLowerCase();
  if (/(?:^|[\s,])(?:no-store|no-cache)(?:$|[\s,=])/.test(cc)) return WELL_KNOWN_MIN_MS;
  const maxAge = /(?:^|[\s,])max-age\s*=\s*"?([0-9]{1,12})"?/.exec(cc);
  if (maxAge) return clamp(Number(maxAge[1]) * 1000);
  if (headers.expires !== undefined) {
    const expires = Date.parse(headers.expires);
    const date = headers.date !== undefined ? Date.parse(headers.date) : NaN;
    if (!Number.isNaN(expires)) return clamp(expires - (Number.isNaN(date) ? now : date));
  }
  return WELL_KNOWN_DEFAULT_MS;
}

interface CacheEntry {
  server: string | undefined;
  expires: number;
  failures: number;
}

/** Wraps a resolver so well-known answers are kept as long as `cacheMs` says, failures with backoff,
 *  and concurrent look-ups of one name share one request. Per app instance. */
export class CachingResolver implements DiscoveryResolver {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly pending = new Map<string, Promise<{ server: string | undefined; cacheMs: number }>>();

  constructor(
    private readonly inner: DiscoveryResolver,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 10_000,
  ) {}

  resolveSrv(name: string): Promise<SrvTarget[]> {
    return this.inner.resolveSrv(name);
  }

  async fetchWellKnown(hostname: string): Promise<{ server: string | undefined; cacheMs: number }> {
    const now = this.now();
    const hit = this.cache.get(hostname);
    if (hit && hit.expires > now) return { server: hit.server, cacheMs: hit.expires - now };
    const inflight = this.pending.get(hostname);
    if (inflight) return inflight;
    const p = (async () => {
      let entry: CacheEntry;
      try {
        const answer = await this.inner.fetchWellKnown(hostname);
        entry =
          answer.server !== undefined
            ? { server: answer.server, expires: this.now() + answer.cacheMs, failures: 0 }
            : this.failure(hit);
      } catch {
        entry = this.failure(hit);
      }
      if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(hostname, entry);
      return { server: entry.server, cacheMs: entry.expires - this.now() };
    })().finally(() => this.pending.delete(hostname));
    this.pending.set(hostname, p);
    return p;
  }

  private failure(previous: CacheEntry | undefined): CacheEntry {
    const failures = previous && previous.server === undefined ? previous.failures + 1 : 1;
    const ms = Math.min(WELL_KNOWN_ERROR_MAX_MS, WELL_KNOWN_ERROR_FIRST_MS * 2 ** (failures - 1));
    return { server: undefined, expires: this.now() + ms, failures };
  }
}
